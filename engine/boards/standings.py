"""Standings: a campaign's boards, fed by scores and rebuilt from the database.

Redis holds the boards; the ``scores`` table is the truth. A flushed Redis
loses nothing: ``rebuild_standings`` replays every score in the order it was
reached through the same best-score rule, so ranks come back identical.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine import keys
from engine.boards import leaderboard
from engine.boards.leaderboard import Board
from engine.boards.periods import PERIODS
from engine.clock import to_ms, utcnow
from engine.extensions import db, redis_store
from engine.models import Campaign, Player, Score
from games import get_game_type

log = logging.getLogger(__name__)
_BATCH = 2000


def is_ascending(campaign: Campaign) -> bool:
    """Return whether the campaign's game ranks smaller scores higher."""
    return get_game_type(campaign.game_type).lower_is_better(campaign.game_params or {})


def version_of(campaign: Campaign, game_version: int | None = None) -> int:
    """Return ``game_version``, or the campaign's current one when None."""
    return game_version if game_version is not None else (campaign.game_version or 1)


def boards_at(campaign: Campaign, moment: datetime,
              game_version: int | None = None) -> dict[str, Board]:
    """Return the current board of every period at ``moment`` (of the current rules'
    version unless ``game_version`` names an older one)."""
    ascending = is_ascending(campaign)
    version = version_of(campaign, game_version)
    return {period: leaderboard.board_for(campaign.id, period, moment, campaign.timezone,
                                          ascending, version)
            for period in PERIODS}


def submit_score(campaign: Campaign, player_id: int, score: int, reached_at: datetime,
                 game_version: int | None = None) -> dict[str, leaderboard.Ranked]:
    """Put a score on every period's board of its game version in one round trip.

    ``game_version`` is the version the play was opened with (a session opened
    before a bump is scored by, and ranked on, the old rules' boards).
    """
    boards = boards_at(campaign, reached_at, game_version)
    reached_ms = to_ms(reached_at)
    pipe = redis_store.campaign_pipeline(campaign.id)
    for board in boards.values():
        leaderboard.rank_member(board, player_id, score, reached_ms, pipe=pipe)
    return {period: leaderboard.parse_ranked(raw)
            for period, raw in zip(boards, redis_store.execute(pipe), strict=True)}


def players_by_id(player_ids: list[int]) -> dict[int, Player]:
    """Return the player row of each id (one query)."""
    if not player_ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Player).where(Player.id.in_(player_ids)))}


@dataclass(frozen=True)
class Unknown:
    """A ranked player whose row is gone: shown by id, with empty names."""

    id: int
    display_name: str = ""
    avatar: str = ""


@dataclass(frozen=True)
class Standing:
    """A ranked player on a board: rank, best score and their row."""

    rank: int
    score: int
    player: Player | Unknown


def standings_of(entries: list[leaderboard.Entry]) -> list[Standing]:
    """Return board entries with their players' rows, in board order."""
    people = players_by_id([e.player_id for e in entries])
    return [Standing(e.rank, e.score, people.get(e.player_id) or Unknown(e.player_id))
            for e in entries]


@dataclass(frozen=True)
class PlayerRank:
    """A player's rank and best score on a campaign period's board (None: not on it)."""

    campaign: str
    period: str
    rank: int | None
    score: int | None


@dataclass(frozen=True)
class LeaderboardPage:
    """A board's entries (top N or N around me) and the viewer's rank, if ranked."""

    period: str
    period_key: str
    entries: list[Standing]
    me: PlayerRank | None


def leaderboard_view(campaign: Campaign, player: Player | None, period: str, limit: int,
                     around_me: bool = False) -> LeaderboardPage:
    """Return a board's page: top N (or N around me) and my rank."""
    board = boards_at(campaign, utcnow())[period]
    if around_me and player is not None:
        # N above and N below me (a full window at either end of the board)
        entries = (leaderboard.around_me(board, player.id, 2 * limit + 1)
                   or leaderboard.top(board, limit))
    else:
        entries = leaderboard.top(board, limit)
    me = None
    if player is not None and (rank := leaderboard.rank_for(board, player.id)) is not None:
        me = PlayerRank(campaign.slug, period, rank, leaderboard.score_for(board, player.id))
    return LeaderboardPage(period, board.period_key, standings_of(entries), me)


def clear_standings(campaign_id: int) -> int:
    """Delete every leaderboard key of a campaign; return how many."""
    r = redis_store.r
    found = list(r.scan_iter(match=keys.leaderboard_pattern(campaign_id), count=500))
    if found:
        r.delete(*found)
    return len(found)


def rebuild_standings(campaign: Campaign,
                      progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild every board of ``campaign`` (every game version's) from its scores;
    return scores read."""
    clear_standings(campaign.id)
    ascending = is_ascending(campaign)
    total = db.session.scalar(select(db.func.count()).where(Score.campaign_id == campaign.id))
    query = (select(Score.player_id, Score.score, Score.created_at, Score.game_version)
             .where(Score.campaign_id == campaign.id)
             .order_by(Score.created_at, Score.id)
             .execution_options(yield_per=_BATCH))
    done = 0
    pipe = redis_store.campaign_pipeline(campaign.id)
    for player_id, score, created_at, version in db.session.execute(query):
        for period in PERIODS:
            board = leaderboard.board_for(campaign.id, period, created_at, campaign.timezone,
                                          ascending, version)
            leaderboard.rank_member(board, player_id, score, to_ms(created_at), pipe=pipe)
        done += 1
        if done % _BATCH == 0:
            redis_store.execute(pipe)
            if progress:
                progress(done, total)
    redis_store.execute(pipe)
    if progress:
        progress(done, total)
    log.info("rebuilt standings of campaign %s from %s scores", campaign.id, done)
    return done
