"""Close leaderboard periods: freeze final standings, award rank prizes once.

Closing is idempotent and resumable. Freezing writes the period's row and
all its standings in one transaction (a unique bucket: a second run finds
it). Each rank prize carries an award key, so a run that crashed halfway and
runs again issues only what is missing. Standings are computed from the
``scores`` table, the source of truth, with the boards' own tie rule.

Boards are per game version (editing the rules after plays bumps it), so
periods close per version too: a day cut by a bump has two daily boards,
each closed and awarded. A superseded version's all-time board ends with the
bump: closing freezes its standings (kept for reading) but awards no
all-time prizes, which go to the board standing when the campaign ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from engine.boards import standings
from engine.boards.periods import CLOSING, period_bounds, period_key, start_of_day
from engine.clock import as_utc, local_day, to_ms, utcnow
from engine.errors import NotFound
from engine.events import record_event
from engine.extensions import db
from engine.models import (
    Campaign,
    CouponBatch,
    FinalStanding,
    PeriodClose,
    Player,
    RewardRule,
    Score,
)
from engine.rewards import awards, failures

log = logging.getLogger(__name__)
CLOSABLE = ("live", "paused", "ended")


def due_periods(campaign: Campaign, now: datetime) -> Iterator[tuple[int, str, str]]:
    """Yield (game version, period, key) for every ended period that may hold scores."""
    spans = db.session.execute(
        select(Score.game_version, func.min(Score.created_at), func.max(Score.created_at))
        .where(Score.campaign_id == campaign.id).group_by(Score.game_version)
        .order_by(Score.game_version)).all()
    current = campaign.game_version or 1
    ended = campaign.ends_at is not None and as_utc(campaign.ends_at) <= now
    tz = campaign.timezone
    for version, first, last in spans:
        seen: set[tuple[str, str]] = set()
        day = local_day(first, tz)
        # no period after the last score holds anything to freeze
        until = min(local_day(now, tz), local_day(last, tz))
        while day <= until:
            for period in CLOSING:
                key = period_key(period, start_of_day(day, tz), tz)
                if (period, key) not in seen and period_bounds(period, key, tz)[1] <= now:
                    seen.add((period, key))
                    yield version, period, key
            day += timedelta(days=1)
        if ended or version < current:  # a superseded version's all-time board is over
            yield version, "all", "all"


def final_ranking(campaign: Campaign, period: str, key: str,
                  game_version: int | None = None) -> list[tuple[int, int, datetime]]:
    """Return (player, best score, reached at) in rank order for one bucket of one version."""
    query = select(Score.player_id, Score.score, Score.created_at).where(
        Score.campaign_id == campaign.id,
        Score.game_version == standings.version_of(campaign, game_version),
    ).order_by(Score.created_at, Score.id)
    if period != "all":
        start, end = period_bounds(period, key, campaign.timezone)
        query = query.where(Score.created_at >= start, Score.created_at < end)
    ascending = standings.is_ascending(campaign)
    best: dict[int, tuple[int, datetime]] = {}
    for player_id, score, reached in db.session.execute(query):
        held = best.get(player_id)
        if held is None or (score < held[0] if ascending else score > held[0]):
            best[player_id] = (score, reached)
    sign = 1 if ascending else -1
    # the boards' tie rule: equal scores go to whoever reached them first
    order = sorted(best.items(), key=lambda kv: (sign * kv[1][0], to_ms(kv[1][1]), kv[0]))
    return [(player_id, score, reached) for player_id, (score, reached) in order]


def freeze(campaign: Campaign, period: str, key: str,
           game_version: int | None = None) -> PeriodClose:
    """Write the period's final standings once; return its close row."""
    version = standings.version_of(campaign, game_version)
    found = _close_row(campaign.id, period, key, version)
    if found is not None:
        return found
    ranking = final_ranking(campaign, period, key, version)
    close = PeriodClose(campaign_id=campaign.id, game_version=version, period=period,
                        period_key=key, status="frozen", players=len(ranking),
                        frozen_at=utcnow())
    try:
        db.session.add(close)
        db.session.flush()
        rows = [{"close_id": close.id, "player_id": pid, "rank": rank, "score": score,
                 "reached_at": reached}
                for rank, (pid, score, reached) in enumerate(ranking, start=1)]
        for start in range(0, len(rows), 1000):
            db.session.execute(insert(FinalStanding), rows[start:start + 1000])
        db.session.commit()
    except IntegrityError:  # another worker froze it first
        db.session.rollback()
        return _close_row(campaign.id, period, key, version)
    return close


def _close_row(campaign_id: int, period: str, key: str, game_version: int) -> PeriodClose | None:
    return db.session.scalar(select(PeriodClose).where(
        PeriodClose.campaign_id == campaign_id, PeriodClose.game_version == game_version,
        PeriodClose.period == period, PeriodClose.period_key == key))


def rank_award(campaign: Campaign, rule: RewardRule, close: PeriodClose,
               player_id: int) -> failures.Award:
    """Return the award a rank rule makes: once per period won, or once per player."""
    batch = db.session.get(CouponBatch, rule.batch_id)
    where = {"period": close.period, "period_key": close.period_key,
             "game_version": close.game_version}
    if rule.repeat == awards.ONCE:
        return failures.Award(campaign, batch, player_id, "rank",
                              f"rank:{rule.id}:once:p:{player_id}", rule_id=rule.id, **where)
    # version 1 keeps the keys awarded before versions existed
    version = "" if close.game_version == 1 else f":v{close.game_version}"
    return failures.Award(campaign, batch, player_id, "rank",
                          f"rank:{rule.id}:{close.period}:{close.period_key}{version}"
                          f":p:{player_id}", rule_id=rule.id, past_limit=True, **where)


def award_rank_prizes(campaign: Campaign, close: PeriodClose) -> int:
    """Issue every rank prize of a frozen period; return how many were new.

    A prize that cannot be issued is recorded as an award failure; the
    period then stays "incomplete" (see ``close_period``). A superseded
    version's all-time board awards nothing (see the module's note).
    """
    if close.period == "all" and close.game_version < (campaign.game_version or 1):
        return 0
    rules = db.session.scalars(select(RewardRule).where(
        RewardRule.campaign_id == campaign.id, RewardRule.trigger == "rank",
        RewardRule.period == close.period).order_by(RewardRule.id)).all()
    issued = 0
    for rule in rules:
        winners = db.session.scalars(select(FinalStanding).where(
            FinalStanding.close_id == close.id,
            FinalStanding.rank.between(rule.rank_from or 1, rule.rank_to or rule.rank_from or 1))
            .order_by(FinalStanding.rank)).all()
        for standing in winners:
            if awards.award_once(rank_award(campaign, rule, close, standing.player_id)):
                issued += 1
            db.session.commit()  # each prize is durable on its own: a crash resumes here
    return issued


def close_period(campaign: Campaign, period: str, key: str,
                 game_version: int | None = None) -> PeriodClose:
    """Freeze and award one period; running it again changes nothing once it is closed.

    A period whose prizes could not all be issued stays "incomplete", never
    "closed" over a lost prize: the next run tries the missing ones again, and
    a marketer's retry of the last failure closes it.
    """
    close = freeze(campaign, period, key, game_version)
    if close.status == "closed":
        return close
    issued = award_rank_prizes(campaign, close)
    missing = failures.open_count(campaign.id, period, key, close.game_version)
    close.status = "incomplete" if missing else "closed"
    close.closed_at = None if missing else utcnow()
    close.awarded += issued
    record_event("period_closed", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 period=period, period_key=key, game_version=close.game_version,
                 players=close.players, awarded=issued, not_issued=missing)
    db.session.commit()
    log.log(logging.WARNING if missing else logging.INFO,
            "%s %s v%s %s/%s: %s players, %s prizes, %s not issued", close.status,
            campaign.slug, close.game_version, period, key, close.players, issued, missing)
    return close


def close_due(now: datetime | None = None,
              progress: Callable[[Campaign, str, str, PeriodClose], None] | None = None
              ) -> list[PeriodClose]:
    """Close every ended, unclosed period of every campaign; return what was closed."""
    now = now or utcnow()
    closed = []
    for campaign in db.session.scalars(select(Campaign).where(Campaign.status.in_(CLOSABLE))
                                       .order_by(Campaign.id)).all():
        done = {(c.game_version, c.period, c.period_key) for c in db.session.scalars(
            select(PeriodClose).where(PeriodClose.campaign_id == campaign.id,
                                      PeriodClose.status == "closed"))}
        for version, period, key in due_periods(campaign, now):
            if (version, period, key) in done:
                continue
            close = close_period(campaign, period, key, version)
            closed.append(close)
            if progress:
                progress(campaign, period, key, close)
    return closed


def closes_of(campaign: Campaign) -> list[PeriodClose]:
    """Return every frozen or closed period of the campaign (every version), newest first."""
    return list(db.session.scalars(
        select(PeriodClose).where(PeriodClose.campaign_id == campaign.id)
        .order_by(PeriodClose.frozen_at.desc(), PeriodClose.id.desc())))


@dataclass(frozen=True)
class StandingRow:
    """One final rank of a closed period, with its player."""

    rank: int
    score: int
    reached_at: datetime
    player: Player


@dataclass(frozen=True)
class FinalStandings:
    """A closed period's row and its final top ranks (the row's fields read through)."""

    close: PeriodClose
    entries: list[StandingRow]

    game_version = property(lambda self: self.close.game_version)
    period = property(lambda self: self.close.period)
    period_key = property(lambda self: self.close.period_key)
    status = property(lambda self: self.close.status)
    players = property(lambda self: self.close.players)
    awarded = property(lambda self: self.close.awarded)
    closed_at = property(lambda self: self.close.closed_at)


def final_standings(campaign: Campaign, period: str, key: str, limit: int,
                    game_version: int | None = None) -> FinalStandings:
    """Return a closed period's final top ``limit`` with each player's profile
    (of the current game version unless ``game_version`` names an older one)."""
    close = _close_row(campaign.id, period, key, standings.version_of(campaign, game_version))
    if close is None:
        raise NotFound("该周期尚未结算")
    rows = db.session.execute(
        select(FinalStanding, Player).join(Player, Player.id == FinalStanding.player_id)
        .where(FinalStanding.close_id == close.id).order_by(FinalStanding.rank).limit(limit))
    return FinalStandings(close, [StandingRow(s.rank, s.score, s.reached_at, p)
                                  for s, p in rows])
