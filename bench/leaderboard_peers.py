"""Measure our leaderboard's write+rank against the classic Redis library's.

The peer is PyPI's ``leaderboard`` (agoragames' leaderboard-python, the
Redis sorted-set library our vocabulary comes from). Both run the same
workload on the same Redis from this process, one call at a time: random
member ids, random scores, and each op writes a score then reads the
member's rank. Ours is ``engine.boards.leaderboard.rank_member``, one EVALSHA that
keeps the player's best (with the time tie-break in the member name) and
answers the rank; theirs is ``rank_member`` (a MULTI/EXEC pipeline with one
ZADD, which overwrites) then ``rank_for`` (ZREVRANK): two round trips.
The two alternate in short rounds so that any drift of the machine falls on
both alike.

leaderboard 3.7.3 (2018) calls ``zadd`` the way redis-py 2 took it; a shim
here turns those calls into redis-py's ``zadd(name, {member: score})`` and
forwards everything else, so their code runs unchanged on today's client.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
import redis
from leaderboard.leaderboard import Leaderboard

from bench.table import Row
from engine.boards import leaderboard
from engine.boards.leaderboard import Board

MEMBERS = 100_000
ROUNDS = 3
ROUND_S = 1.0
OPS = 200_000  # more than any side reaches in its rounds
PEER_BOARD = "bench:peer:leaderboard"
# a campaign id no bench campaign has, so the board is ours alone
OUR_BOARD = Board(campaign_id=990_001, period="all", period_key="all")


class _LegacyZadd:
    """Forward to a redis-py client or pipeline, taking ``zadd(name, score, member)``."""

    def __init__(self, target):
        self._target = target

    def zadd(self, name: str, score: float, member: str):
        """Add ``member`` with ``score`` the redis-py 2 way round."""
        return self._target.zadd(name, {member: score})

    def __getattr__(self, name: str):
        return getattr(self._target, name)


class LegacyRedis(_LegacyZadd):
    """Wrap a redis-py client so leaderboard 3.7.3's ``zadd`` calls work on it."""

    def pipeline(self, *args, **kwargs) -> _LegacyZadd:
        """Return a pipeline that takes redis-py 2 ``zadd`` calls."""
        return _LegacyZadd(self._target.pipeline(*args, **kwargs))


@dataclass(frozen=True)
class PeerResult:
    """Write+rank ops per second of ours and of the peer."""

    ours: float
    theirs: float
    members: int  # distinct ids the workload draws from


def workload(count: int = OPS, seed: int = 20240601) -> tuple[list[int], list[int]]:
    """Return random member ids and random scores, the same for both sides."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, MEMBERS + 1, size=count)
    scores = rng.integers(0, 1_000_000, size=count)
    return ids.tolist(), scores.tolist()


def ours_op(ids: list[int], scores: list[int]) -> Callable[[int], None]:
    """Return op ``i`` of our side: rank_member (write and rank in one EVALSHA)."""
    def op(i: int) -> None:
        leaderboard.rank_member(OUR_BOARD, ids[i], scores[i], reached_ms=i)
    return op


def theirs_op(board: Leaderboard, ids: list[int], scores: list[int]) -> Callable[[int], None]:
    """Return op ``i`` of the peer: rank_member, then rank_for."""
    def op(i: int) -> None:
        member = str(ids[i])
        board.rank_member(member, scores[i])
        board.rank_for(member)
    return op


def run_for(op: Callable[[int], None], start: int, seconds: float) -> tuple[int, float]:
    """Run ops from index ``start`` for ``seconds``; return the next index and time taken."""
    i, began = start, time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline:
        op(i)
        i += 1
    return i, time.perf_counter() - began


def measure(redis_url: str) -> PeerResult:
    """Alternate both sides in rounds on ``redis_url``; call inside an app context."""
    ids, scores = workload()
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    peer = Leaderboard(PEER_BOARD, redis_connection=LegacyRedis(client))
    sides = {"ours": ours_op(ids, scores), "theirs": theirs_op(peer, ids, scores)}
    done = {name: 0 for name in sides}
    spent = {name: 0.0 for name in sides}
    try:
        for _ in range(ROUNDS):
            for name, op in sides.items():
                done[name], seconds = run_for(op, done[name], ROUND_S)
                spent[name] += seconds
    finally:
        client.delete(PEER_BOARD, OUR_BOARD.key, OUR_BOARD.members_key)
        client.close()
    return PeerResult(done["ours"] / spent["ours"], done["theirs"] / spent["theirs"], MEMBERS)


def rows(result: PeerResult) -> list[Row]:
    """Return our write+rank rate against the peer's, and the peer's own row."""
    peer = f"PyPI leaderboard {version('leaderboard')}"
    unit = f"ops/s, 1 caller, same Redis, {result.members:,} random ids"
    return [Row("leaderboard write+rank, ours (rank_member: 1 EVALSHA)", result.ours, unit,
                result.theirs, peer),
            Row(f"leaderboard write+rank, {peer} (rank_member+rank_for)", result.theirs, unit)]
