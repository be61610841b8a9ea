"""Measure coupon claims per second over HTTP on PostgreSQL, and count any over-issue.

A claimable batch of ``INVENTORY`` codes (one per player) is claimed by
``CLIENTS`` threads until it runs out. Every claim comes from a new player:
a pool of browsers made beforehand, each of which opened the play page (so
its own cookie jar holds a player of the brand). A thread takes the next
browser's jar and claims, until it is told ``coupons_exhausted``.

Over-issue, which must be 0, adds up: issued rows beyond the inventory,
codes issued twice (in the database or in the answers), coupons above a
player's limit, and 201 answers whose code the database does not hold as
issued. SQLite has one writer at a time, so this row needs PostgreSQL: the
bench's own when it runs on one, else the machine's, else it is skipped.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests
from requests.cookies import RequestsCookieJar
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import SQLAlchemyError

from bench.load import Sample, timed_post
from bench.stores import BENCH_SLUG, Stores, fresh_postgres, prepare, redis_db_url
from bench.table import Row
from engine import create_app
from engine.config import normalize_database_url
from engine.extensions import db
from engine.models import Campaign
from engine.rewards.coupons import create_batch

log = logging.getLogger(__name__)
MACHINE_POSTGRES = "postgresql://postgres@127.0.0.1:5432/hudong_bench"
CLAIMS_REDIS_DB = 15  # of the embedded Redis, when the rest of the bench runs on SQLite
INVENTORY = 2000
PER_PLAYER_LIMIT = 1
CLIENTS = 32
SPARE_PER_CLIENT = 2  # players beyond the inventory: each thread meets "exhausted" once
TIMEOUT_S = 30


@dataclass
class ClaimResult:
    """What the claimers were answered, and what the database holds after."""

    inventory: int
    clients: int
    samples: list[Sample] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # coupon codes the 201s carried
    held: int = 0  # 201s whose coupon was held for risk review (no code shown)
    exhausted: int = 0  # 409 coupons_exhausted answers
    began: float = 0.0
    over_issue: int = 0
    left: int = 0  # codes still available after the run
    players: int = 0  # phones that opened the play page beforehand
    setup_cpu_s: float = 0.0  # the server's CPU while they did (not the claims')
    claim_cpu_s: float = 0.0  # the server's CPU from the first claim to the last answer

    def claim_cpu_ms(self) -> float:
        """Return the server's CPU ms per answered claim, the players' setup not included."""
        answered = len(self.samples)
        return 1000 * self.claim_cpu_s / answered if answered else float("nan")

    def setup_cpu_ms(self) -> float:
        """Return the server's CPU ms per player opening the play page before the claims."""
        return 1000 * self.setup_cpu_s / self.players if self.players else float("nan")

    def created(self) -> int:
        """Return how many claims were answered 201."""
        return sum(1 for s in self.samples if s.status == 201)

    def other(self) -> int:
        """Return answers that were neither 201 nor 409 coupons_exhausted."""
        return len(self.samples) - self.created() - self.exhausted

    def rate(self) -> float:
        """Return coupons issued per second, from the first claim to the last 201."""
        ends = [s.ended for s in self.samples if s.status == 201]
        return len(ends) / (max(ends) - self.began) if ends else 0.0


def is_postgres(url: str) -> bool:
    """Return whether ``url`` names a PostgreSQL database."""
    return url.startswith(("postgres://", "postgresql"))


def answers(url: str) -> bool:
    """Return whether the PostgreSQL server of ``url`` accepts a connection."""
    server = make_url(normalize_database_url(url)).set(database="postgres")
    engine = create_engine(server, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def claim_stores(stores: Stores, log_path: Path) -> Stores | None:
    """Return PostgreSQL stores for the claims, migrated and seeded; None if none answers."""
    if is_postgres(stores.database_url):
        return stores
    configured = os.environ.get("DATABASE_URL", "")
    server = configured if is_postgres(configured) else MACHINE_POSTGRES
    if not answers(server):
        return None
    redis_url = redis_db_url(stores.redis_url, CLAIMS_REDIS_DB)
    redis.Redis.from_url(redis_url).flushdb()
    fresh = Stores(fresh_postgres(server), redis_url, stores.secret_key, "PostgreSQL")
    prepare(fresh, log_path)
    return fresh


def create_claim_batch(stores: Stores) -> int:
    """Create the claimable batch on the bench campaign; return its id."""
    app = create_app(stores.app_config())
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == BENCH_SLUG))
        batch = create_batch(campaign.brand_id, campaign.id, INVENTORY, title="压测券",
                             valid_days=7, claimable=True,
                             per_player_limit=PER_PLAYER_LIMIT)
        db.session.commit()
        batch_id = batch.id
        db.session.remove()
        db.engine.dispose()
    return batch_id


def phone(n: int) -> dict[str, str]:
    """Return the headers of the ``n``-th bench phone: a user agent of its own.

    A device is its address and user agent (``engine.risk.claims``); every
    bench player comes from 127.0.0.1, so without its own user agent the
    whole run would be one device claiming for thousands of players, and
    every coupon after the fifth would be held for review: the run would
    measure flag raising, not claims.
    """
    return {"User-Agent": f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                          f"MicroMessenger/8.0.50 NetType/4G bench-phone/{n}"}


def make_players(base_url: str, slug: str,
                 count: int) -> list[tuple[RequestsCookieJar, dict[str, str]]]:
    """Open the play page as ``count`` new phones; return their cookie jars and headers."""
    def visit(n: int) -> tuple[RequestsCookieJar, dict[str, str]]:
        with requests.Session() as http:
            http.headers.update(phone(n))
            http.get(f"{base_url}/c/{slug}", timeout=TIMEOUT_S).raise_for_status()
            return http.cookies, phone(n)

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(visit, range(count)))


def claim_until_gone(base_url: str, slug: str, batch_id: int,
                     players: list[tuple[RequestsCookieJar, dict[str, str]]]) -> ClaimResult:
    """Claim with ``CLIENTS`` threads, a new player each time, until told the batch is gone."""
    url = f"{base_url}/api/v1/campaigns/{slug}/coupon-batches/{batch_id}/claim"
    result, lock = ClaimResult(INVENTORY, CLIENTS), threading.Lock()

    def client() -> None:
        with requests.Session() as http:
            while players:
                try:
                    http.cookies, headers = players.pop()
                except IndexError:  # another thread took the last one
                    return
                http.headers.update(headers)
                sample, resp = timed_post(http, "claim", url, {})
                body = resp.json() if resp is not None else {}
                with lock:
                    result.samples.append(sample)
                    if sample.status == 201 and body.get("code") is None:
                        result.held += 1  # held for review: issued, its code not shown
                    elif sample.status == 201:
                        result.codes.append(body.get("code"))
                    elif sample.status == 409 and _error_code(body) == "coupons_exhausted":
                        result.exhausted += 1
                        return

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    result.began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def audit(database_url: str, batch_id: int, result: ClaimResult) -> None:
    """Count over-issue and the codes left from the database into ``result``."""
    engine = create_engine(database_url)
    args = {"b": batch_id, "limit": PER_PLAYER_LIMIT}
    with engine.connect() as conn:
        issued = set(conn.execute(text(
            "SELECT code FROM coupons WHERE batch_id = :b AND status <> 'available'"), args)
            .scalars())
        rows = conn.execute(text("SELECT count(*) - count(DISTINCT code), "
                                 "count(*) FILTER (WHERE status <> 'available'), "
                                 "count(*) FILTER (WHERE status = 'available') "
                                 "FROM coupons WHERE batch_id = :b"), args).one()
        above_limit = conn.execute(text(
            "SELECT coalesce(sum(n - :limit), 0) FROM (SELECT count(*) AS n FROM coupons "
            "WHERE batch_id = :b AND player_id IS NOT NULL GROUP BY player_id) AS held "
            "WHERE n > :limit"), args).scalar()
    engine.dispose()
    duplicated_db, issued_rows, result.left = rows
    duplicated_answers = len(result.codes) - len(set(result.codes))
    phantoms = len(set(result.codes) - issued)
    result.over_issue = (max(0, issued_rows - result.inventory) + duplicated_db
                         + duplicated_answers + int(above_limit) + phantoms)


def measure(base_url: str, stores: Stores, server_cpu: Callable[[], float]) -> ClaimResult:
    """Claim a fresh batch dry through the server at ``base_url``; audit the database.

    ``server_cpu`` reads the server's CPU seconds so far: the players' setup
    (each opens the play page, a request dearer than a claim) and the claims
    are charged apart.
    """
    batch_id = create_claim_batch(stores)
    cpu = server_cpu()
    players = make_players(base_url, BENCH_SLUG, INVENTORY + CLIENTS * SPARE_PER_CLIENT)
    setup_cpu, count = server_cpu() - cpu, len(players)
    cpu = server_cpu()
    result = claim_until_gone(base_url, BENCH_SLUG, batch_id, players)
    result.claim_cpu_s = server_cpu() - cpu
    result.players, result.setup_cpu_s = count, setup_cpu
    audit(stores.database_url, batch_id, result)
    return result


def _error_code(body: dict) -> str | None:
    """Return the ``code`` of an API.md error body, if it is one."""
    error = body.get("error")
    return error.get("code") if isinstance(error, dict) else None


def rows(result: ClaimResult | None, baseline_rate: float | None = None) -> list[Row]:
    """Return the claims rows (over-issue included, CPU per claim), or say it was skipped."""
    figure = f"coupon claims (HTTP, {CLIENTS} clients, PostgreSQL, a new player each)"
    if result is None:
        return [Row(figure, "skipped (needs PostgreSQL)", "")]
    return [Row(figure, result.rate(),
                f"claims/s; over-issue {result.over_issue} (must be 0); "
                f"{result.created():,}x201 ({result.held} held for review), "
                f"{result.exhausted}x409 exhausted, "
                f"{result.other()} other; {result.left} of {result.inventory:,} left",
                baseline_rate, "baseline"),
            Row("coupon claim server CPU/request (the claims alone)", result.claim_cpu_ms(),
                "ms"),
            Row("coupon claim player setup server CPU/player (play page opened beforehand)",
                result.setup_cpu_ms(), f"ms; {result.players:,} players, not in the claims' CPU")]


def failures(result: ClaimResult | None) -> int:
    """Return the claims that went wrong: unexpected answers, over-issue, held coupons.

    Every bench phone is a device of its own, so a held coupon means the run
    measured risk review instead of claims.
    """
    return 0 if result is None else result.other() + result.over_issue + result.held
