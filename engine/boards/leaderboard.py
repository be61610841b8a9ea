"""Leaderboards: Redis sorted sets per campaign and period, rebuilt from SQL.

Following Nakama, a board is defined by its sort order, its operator (best
score per player), its reset schedule (all-time, daily, weekly in the
campaign's timezone) and it is authoritative (only server-computed scores
reach it). The vocabulary follows the classic Redis leaderboard libraries:
``rank_member``, ``rank_for``, ``score_for``, ``top``, ``around_me``,
``total_members``. Ranks are 1-based.

Tie rule: equal scores rank by who reached the score first. The sorted-set
score is the exact game score; the tie-break lives in the member name
(``keys.leaderboard``), whose byte order Redis uses for equal scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine import keys
from engine.boards.periods import period_key
from engine.extensions import redis_store

_TIEBREAK_MAX = 10**13 - 1  # ms timestamps stay below this until the year 2286

# KEYS[1] board, KEYS[2] members; ARGV player, score, member, order ("asc"|"desc").
# Keeps the player's best, then answers {changed, 0-based rank, best score} in one trip.
_RANK_MEMBER = """
local old = redis.call('HGET', KEYS[2], ARGV[1])
local score = tonumber(ARGV[2])
local changed = 1
if old then
  local cur = redis.call('ZSCORE', KEYS[1], old)
  if cur then
    cur = tonumber(cur)
    if (ARGV[4] == 'asc' and score >= cur) or (ARGV[4] ~= 'asc' and score <= cur) then
      changed = 0
    else
      redis.call('ZREM', KEYS[1], old)
    end
  end
end
local member = old
if changed == 1 then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  member = ARGV[3]
end
local rank
if ARGV[4] == 'asc' then rank = redis.call('ZRANK', KEYS[1], member)
else rank = redis.call('ZREVRANK', KEYS[1], member) end
return {changed, rank, redis.call('ZSCORE', KEYS[1], member)}
"""


@dataclass(frozen=True)
class Board:
    """One bucket of one campaign's leaderboard."""

    campaign_id: int
    period: str
    period_key: str
    ascending: bool = False
    # the campaign's game rules version: a bump (rules edited after plays) starts new boards
    game_version: int = 1

    @property
    def key(self) -> str:
        return keys.leaderboard(self.campaign_id, self.period, self.period_key,
                                self.game_version)

    @property
    def members_key(self) -> str:
        return keys.leaderboard_members(self.campaign_id, self.period, self.period_key,
                                        self.game_version)


@dataclass(frozen=True)
class Entry:
    """A ranked player on a board."""

    rank: int
    player_id: int
    score: int


def board_for(campaign_id: int, period: str, moment: datetime, tz: str,
              ascending: bool = False, game_version: int = 1) -> Board:
    """Return the board of ``period`` (of one game version) that is current at ``moment``."""
    return Board(campaign_id, period, period_key(period, moment, tz), ascending, game_version)


def member_for(board: Board, player_id: int, reached_ms: int) -> str:
    """Return the member name that encodes the tie rule of ``board``.

    Descending boards are read with ZREVRANGE, which orders equal scores by
    member bytes descending, so the tiebreak counts down from a ceiling;
    ascending boards count up. Either way the earlier score comes first.
    """
    tiebreak = reached_ms if board.ascending else _TIEBREAK_MAX - reached_ms
    return f"{tiebreak:013d}:{player_id}"


def _player_of(member: str) -> int:
    return int(member.rsplit(":", 1)[1])


@dataclass(frozen=True)
class Ranked:
    """The outcome of ranking a score: whether it was a new best, rank and best."""

    changed: bool
    rank: int
    best: int


def parse_ranked(raw) -> Ranked:
    """Return the script's ``{changed, rank, best}`` reply as a ``Ranked``."""
    changed, rank, best = raw
    return Ranked(bool(changed), int(rank) + 1, int(float(best)))


def rank_member(board: Board, player_id: int, score: int, reached_ms: int, pipe=None):
    """Record ``score`` if it beats the player's best; return a ``Ranked``.

    With ``pipe`` the call is queued and the caller runs the pipeline with
    ``redis_store.execute`` and parses its reply with ``parse_ranked``.
    """
    order = "asc" if board.ascending else "desc"
    board_keys = [board.key, board.members_key]
    args = [player_id, int(score), member_for(board, player_id, reached_ms), order]
    if pipe is not None:
        redis_store.queue_script(pipe, _RANK_MEMBER, board_keys, args)
        return None
    script = redis_store.r.register_script(_RANK_MEMBER)  # EVALSHA, loaded on first miss
    return parse_ranked(script(keys=board_keys, args=args))


def rank_for(board: Board, player_id: int) -> int | None:
    """Return the player's 1-based rank, or None when not on the board."""
    r = redis_store.r
    member = r.hget(board.members_key, player_id)
    if member is None:
        return None
    rank = r.zrank(board.key, member) if board.ascending else r.zrevrank(board.key, member)
    return None if rank is None else rank + 1


def score_for(board: Board, player_id: int) -> int | None:
    """Return the player's best score on the board, or None."""
    r = redis_store.r
    member = r.hget(board.members_key, player_id)
    score = None if member is None else r.zscore(board.key, member)
    return None if score is None else int(score)


def total_members(board: Board) -> int:
    """Return how many players are on the board."""
    return redis_store.r.zcard(board.key)


def _range(board: Board, start: int, stop: int) -> list[Entry]:
    r = redis_store.r
    if board.ascending:
        rows = r.zrange(board.key, start, stop, withscores=True)
    else:
        rows = r.zrevrange(board.key, start, stop, withscores=True)
    return [Entry(start + i + 1, _player_of(m), int(s)) for i, (m, s) in enumerate(rows)]


def top(board: Board, limit: int) -> list[Entry]:
    """Return the first ``limit`` entries."""
    return _range(board, 0, limit - 1) if limit > 0 else []


def leaders(board: Board, page: int, page_size: int = 20) -> list[Entry]:
    """Return page ``page`` (1-based) of the board."""
    start = (max(page, 1) - 1) * page_size
    return _range(board, start, start + page_size - 1)


def around_me(board: Board, player_id: int, limit: int) -> list[Entry]:
    """Return up to ``limit`` entries centred on the player (empty if absent)."""
    rank = rank_for(board, player_id)
    if rank is None or limit <= 0:
        return []
    # centre on the player, but keep a full window at either end of the board
    start = max(min(rank - 1 - limit // 2, total_members(board) - limit), 0)
    return _range(board, start, start + limit - 1)


def percentile_for(board: Board, player_id: int) -> float | None:
    """Return the share of players the player ranks at or above, 0..100."""
    rank, total = rank_for(board, player_id), total_members(board)
    if rank is None or not total:
        return None
    return round(100.0 * (total - rank + 1) / total, 2)
