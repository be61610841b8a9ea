"""Profile coupon claims in-process: where a claim's CPU goes, and what the bench counts.

``python -m bench.claim_profile`` creates the bench's claimable batch
(``bench.claims``) and ``--count`` players, each a phone of its own that
opened the play page, then claims once per player through the Flask test
client: first bare (CPU ms per claim, SQL statements and Redis round trips
per claim, and the CPU of opening the play page, which the bench's server
CPU figure also carries), then under ``cProfile`` with a CPU-time clock. It
prints each step's share of the profiled claim time (cumulative, so a
step's SQL is inside it) and the top functions. ``--bare`` prints only the
bare figures, ``--rounds N`` repeats the bare pass (for an A/B of two trees
run in turn); the batch holds ``bench.claims.INVENTORY`` codes for them all.

Claims need PostgreSQL (``bench.claims``): the stores are the bench's, so
set ``DATABASE_URL``/``REDIS_URL`` (with ``BENCH_DATABASE``/
``BENCH_REDIS_DB`` on a shared machine). On SQLite it still runs, one
claim at a time.

cProfile charges every Python call, so call-heavy code (SQLAlchemy,
redis-py, Flask) weighs more under it than without: the shares rank costs,
the bare CPU ms per claim sizes them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flask import has_request_context
from sqlalchemy import event

from bench.claims import INVENTORY, create_claim_batch, phone
from bench.finish_profile import print_steps, profiled
from bench.servers import LOG_DIR
from bench.stores import BENCH_RATE_LIMITS, BENCH_SLUG, fresh_stores, prepare
from engine import create_app
from engine.config import rate_limits
from engine.extensions import db
from tests.support.redis_calls import counted_round_trips

WARM = 20  # claims before the measured ones: the per-process caches fill
# (label, file suffix, function): the steps of a claim, by the function that does each
STEPS = (
    ("the idempotency wrapper", "engine/api/idempotency.py", "wrapper"),
    ("the two rate limits and the view", "flask_limiter/_limits.py", "__inner"),
    ("the view", "engine/api/rewards.py", "post"),
    ("  the campaign and player (statement 1)", "engine/campaigns/cache.py",
     "public_campaign_and_player"),
    ("  the device key", "engine/access/rate_limits.py", "device_key"),
    ("  service.claim", "engine/rewards/service.py", "claim"),
    ("    rows by key (session.get: the batch, the coupon taken)", "sqlalchemy/orm/session.py",
     "get"),
    ("    the device's claims (note_claim, Redis)", "engine/risk/claims.py", "note_claim"),
    ("    issue_coupon", "engine/rewards/coupons.py", "issue_coupon"),
    ("      the player's held count", "engine/rewards/coupons.py", "_held"),
    ("      take one (pick, update, reload)", "engine/rewards/coupons.py", "_take_one"),
    ("      the coupon_issued event", "engine/events.py", "record_event"),
    ("    the risk check", "engine/risk/claims.py", "check_claim"),
    ("    the commit", "sqlalchemy/orm/session.py", "commit"),
    ("      the after-commit listeners", "engine/events.py", "_committed"),
    ("  the answer (CouponSchema)", "marshmallow/schema.py", "dump"),
)


@dataclass(frozen=True)
class Claimer:
    """A phone that opened the play page, with the claim it will send."""

    client: object
    headers: dict[str, str]


def make_claimers(app, first: int, count: int) -> list[Claimer]:
    """Open the play page as ``count`` new phones, numbered from ``first``."""
    claimers = []
    for n in range(first, first + count):
        client, headers = app.test_client(), phone(n)
        resp = client.get(f"/c/{BENCH_SLUG}", headers=headers)
        assert resp.status_code == 200, resp.status_code
        claimers.append(Claimer(client, headers))
    return claimers


def claim_all(claimers: list[Claimer], url: str) -> None:
    """Claim once per claimer; any answer but a 201 with a code is a setup error."""
    for claimer in claimers:
        resp = claimer.client.post(url, json={}, headers=claimer.headers)
        assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
        assert resp.get_json()["code"], "held for review: the run would measure flag raising"


def bare(app, url: str, count: int, first: int) -> tuple[float, float, float, float]:
    """Return CPU ms per play-page open, per claim, statements and round trips per claim."""
    began = time.process_time()
    claimers = make_claimers(app, first, count)
    page_ms = 1000 * (time.process_time() - began) / count
    statements = []

    def note(*_args) -> None:
        if has_request_context():
            statements.append(1)

    event.listen(db.engine, "before_cursor_execute", note)
    with counted_round_trips() as trips:
        began = time.process_time()
        claim_all(claimers, url)
        claim_ms = 1000 * (time.process_time() - began) / count
    event.remove(db.engine, "before_cursor_execute", note)
    return page_ms, claim_ms, len(statements) / count, len(trips) / count


def profile(app, url: str, count: int, callees: list[str], bare_only: bool,
            rounds: int = 1) -> None:
    """Claim ``count`` coupons bare ``rounds`` times, then ``count`` more under cProfile."""
    claim_all(make_claimers(app, 0, WARM), url)  # warm the per-process caches
    for n in range(rounds):
        page_ms, claim_ms, statements, trips = bare(app, url, count, WARM + n * count)
        print(f"{count} claims: {claim_ms:.2f} ms CPU each bare, {statements:.2f} SQL "
              f"statements and {trips:.2f} Redis round trips each; opening the play page: "
              f"{page_ms:.2f} ms CPU per phone")
    if bare_only:
        return
    claimers = make_claimers(app, WARM + rounds * count, count)
    stats = profiled(claim_all, claimers, url)
    print(f"{1000 * stats.total_tt / count:.2f} ms per claim under the profiler")
    print_steps(stats, STEPS, callees)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.claim_profile", description=__doc__)
    parser.add_argument("--count", type=int, default=300, help="claims per pass")
    parser.add_argument("--callees", nargs="*", default=[],
                        help="pstats restrictions whose callees to print, e.g. claim")
    parser.add_argument("--rounds", type=int, default=1, help="bare passes")
    parser.add_argument("--bare", action="store_true", help="only the CPU ms, no profile")
    args = parser.parse_args(argv)
    if WARM + args.count * (args.rounds + (0 if args.bare else 1)) > INVENTORY:
        parser.error(f"the batch holds {INVENTORY:,} codes: fewer claims per pass or rounds")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir, fresh_stores(Path(workdir)) as stores:
        print(f"stores: {stores.label}")
        prepare(stores, LOG_DIR / "claim-profile.log")
        batch_id = create_claim_batch(stores)
        app = create_app({**stores.app_config(), "RATE_LIMITS": rate_limits(BENCH_RATE_LIMITS)})
        url = f"/api/v1/campaigns/{BENCH_SLUG}/coupon-batches/{batch_id}/claim"
        with app.app_context():
            profile(app, url, args.count, args.callees, args.bare, args.rounds)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
