"""Measure a rank lookup at 1,000,000 entries: SQL ``COUNT(*)`` against our Redis board.

The same million (player, score) pairs go into a table with an index on
score in the bench database (one ``executemany`` transaction on SQLite,
``COPY`` on PostgreSQL; the index is built after the load, as a bulk load
would) and into a board of ours. The board is filled in bulk, ZADD and HSET
pipelined in chunks, with exactly the members ``rank_member`` would write
(``member_for``): a million EVALSHAs would only take longer to reach the
same state. Then random players' ranks are looked up both ways, one call at
a time: ``SELECT COUNT(*) FROM t WHERE score > :s`` (+1 is the rank) and
``engine.boards.leaderboard.rank_for`` (HGET + ZREVRANK).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, create_engine, text

from bench.table import Row
from engine.boards import leaderboard
from engine.boards.leaderboard import Board, member_for
from engine.extensions import redis_store

ENTRIES = 1_000_000
CHUNK = 50_000
TABLE = "bench_rank_scores"
SQL_S = 3.0
REDIS_S = 2.0
# a campaign id no bench campaign has, so the board is ours alone
BOARD = Board(campaign_id=990_002, period="all", period_key="all")
DIALECTS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class RankResult:
    """Rank lookups per second both ways, and what the loads cost."""

    sql_per_s: float
    redis_per_s: float
    dialect: str
    sql_load_s: float
    redis_load_s: float


def entries(count: int = ENTRIES, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Return player ids 1..count and a random score for each."""
    scores = np.random.default_rng(seed).integers(0, 1_000_000_000, size=count)
    return np.arange(1, count + 1), scores


def load_sqlite(engine: Engine, ids: np.ndarray, scores: np.ndarray) -> None:
    """Insert the rows in one transaction with executemany."""
    rows = list(zip(ids.tolist(), scores.tolist(), strict=True))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO {TABLE} (player_id, score) VALUES (?, ?)", rows)


def load_postgres(engine: Engine, ids: np.ndarray, scores: np.ndarray) -> None:
    """Stream the rows in with COPY."""
    buffer = io.StringIO()
    np.savetxt(buffer, np.column_stack([ids, scores]), fmt="%d", delimiter="\t")
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur, \
                cur.copy(f"COPY {TABLE} (player_id, score) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()


def load_sql(engine: Engine, ids: np.ndarray, scores: np.ndarray) -> None:
    """Create the table, bulk-load it, index score, and gather statistics."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
        conn.exec_driver_sql(f"CREATE TABLE {TABLE} (player_id INTEGER PRIMARY KEY, "
                             "score BIGINT NOT NULL)")
    postgres = engine.dialect.name == "postgresql"
    (load_postgres if postgres else load_sqlite)(engine, ids, scores)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"CREATE INDEX ix_{TABLE}_score ON {TABLE} (score)")
        # PostgreSQL needs the visibility map for an index-only count
        conn.exec_driver_sql(f"VACUUM ANALYZE {TABLE}" if postgres else f"ANALYZE {TABLE}")


def load_board(ids: np.ndarray, scores: np.ndarray) -> None:
    """Fill our board with the members and hash ``rank_member`` would leave."""
    r = redis_store.r
    r.delete(BOARD.key, BOARD.members_key)
    for start in range(0, len(ids), CHUNK):
        chunk = zip(ids[start:start + CHUNK].tolist(), scores[start:start + CHUNK].tolist(),
                    strict=True)
        members = {pid: (member_for(BOARD, pid, reached_ms=0), score) for pid, score in chunk}
        pipe = r.pipeline(transaction=False)
        pipe.zadd(BOARD.key, {m: score for m, score in members.values()})
        pipe.hset(BOARD.members_key, mapping={pid: m for pid, (m, _) in members.items()})
        pipe.execute()


def lookups_per_s(lookup: Callable[[int], object], picks: list[int], seconds: float) -> float:
    """Return how many ``lookup(pick)`` calls run per second, for ``seconds``."""
    done, began = 0, time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline:
        lookup(picks[done % len(picks)])
        done += 1
    return done / (time.perf_counter() - began)


def timed(step: Callable[[], None]) -> float:
    """Run ``step``; return the seconds it took."""
    began = time.perf_counter()
    step()
    return time.perf_counter() - began


def measure(database_url: str) -> RankResult:
    """Load a million entries both ways and time random rank lookups; in an app context."""
    ids, scores = entries()
    engine = create_engine(database_url)
    picks = np.random.default_rng(11).integers(0, ENTRIES, size=100_000).tolist()
    id_list, score_list = ids.tolist(), scores.tolist()
    try:
        sql_load_s = timed(lambda: load_sql(engine, ids, scores))
        redis_load_s = timed(lambda: load_board(ids, scores))
        query = text(f"SELECT COUNT(*) FROM {TABLE} WHERE score > :s")
        with engine.connect() as conn:
            sql = lookups_per_s(lambda i: conn.execute(query, {"s": score_list[i]}).scalar(),
                                picks, SQL_S)
        ours = lookups_per_s(lambda i: leaderboard.rank_for(BOARD, id_list[i]), picks, REDIS_S)
    finally:
        redis_store.r.delete(BOARD.key, BOARD.members_key)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
        engine.dispose()
    return RankResult(sql, ours, engine.dialect.name, sql_load_s, redis_load_s)


def rows(result: RankResult) -> list[Row]:
    """Return our rank lookup rate against SQL COUNT(*), and the SQL row itself."""
    sql = DIALECTS.get(result.dialect, result.dialect)
    size = f"{ENTRIES:,} entries"
    return [
        Row(f"rank lookup at {size}, ours (rank_for: HGET+ZREVRANK)", result.redis_per_s,
            f"lookups/s, 1 caller (board filled in {result.redis_load_s:.1f} s)",
            result.sql_per_s, f"{sql} COUNT(*)"),
        Row(f"rank lookup at {size}, {sql} SELECT COUNT(*) WHERE score > s", result.sql_per_s,
            f"lookups/s, 1 caller, index on score (loaded in {result.sql_load_s:.1f} s)"),
    ]
