"""Run every benchmark and print one table: ``python -m bench``.

Order matters on a small machine: the in-process replay runs before any
server starts, and no two servers are ever up at the same time, so each gets
the same CPUs; the in-process Redis and SQL figures run with none up. The
coupon claims run last, on PostgreSQL (their own database when the rest runs
on SQLite).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    baseline,
    claims,
    finish,
    leaderboard_peers,
    live_latency,
    nurture_actions,
    page_weight,
    racing_replay,
    replay,
    sql_rank,
)
from bench.load import LoadResult
from bench.servers import LOG_DIR, Gunicorn
from bench.stores import BENCH_SLUG, DEMO_SLUG, LIVE_SLUG, Stores, fresh_stores, prepare
from bench.table import Row, render
from engine import create_app
from engine.extensions import db

LOG_PATH = LOG_DIR / "bench.log"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Return the command line: clients, warm-up and measured seconds."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not measured")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds measured")
    parser.add_argument("--live-clients", type=int, default=live_latency.CLIENTS,
                        help="Socket.IO clients watching the board")
    return parser.parse_args(argv)


def http_rows(ours: LoadResult, base: LoadResult) -> list[Row]:
    """Return the finish rows, each against the baseline, and the baseline's own rows."""
    figures = [("req/s", "req/s", lambda r, n: r.rate(n)),
               ("p50", "ms", lambda r, n: r.percentile_ms(n, 50)),
               ("p99", "ms", lambda r, n: r.percentile_ms(n, 99))]
    rows = [Row(f"finish {label} (HTTP, gunicorn gevent)", get(ours, "finish"), unit,
                get(base, "score"), "baseline") for label, unit, get in figures]
    rows.append(Row("finish+start non-2xx answers", ours.failures(),
                    f"of {ours.total():,} calls"))
    rows += [Row(f"baseline {label} (Flask+Redis ZADD/ZREVRANK)", get(base, "score"), unit)
             for label, unit, get in figures]
    rows.append(Row("baseline non-2xx answers", base.failures(), f"of {base.total():,} calls"))
    return rows


def cpu_rows(ours: LoadResult, base: LoadResult) -> list[Row]:
    """Return how busy each side was, to show which one bounds the figures."""
    return [
        Row("server CPU, finish run (gunicorn master+worker)", ours.cpu_pct(ours.server_cpu_s),
            "% of one core", base.cpu_pct(base.server_cpu_s), "baseline run"),
        Row(f"load generator CPU, finish run ({ours.clients} threads)",
            ours.cpu_pct(ours.client_cpu_s), "% of one core",
            base.cpu_pct(base.client_cpu_s), "baseline run"),
    ]


def with_server_cpu(server: Gunicorn, measure: Callable[[], LoadResult]) -> LoadResult:
    """Run ``measure`` and note the CPU ``server`` used meanwhile in its result."""
    before = server.cpu_seconds()
    result = measure()
    result.server_cpu_s = server.cpu_seconds() - before
    return result


def other_rows(speed: replay.ReplaySpeed, page: page_weight.PageWeight) -> list[Row]:
    """Return the replay-speed and page-weight rows."""
    return [
        Row(f"replay speed (6x6, {speed.logs} logs, {speed.mean_moves:.0f} moves avg)",
            speed.moves_per_s, "moves/s"),
        Row(f"bytes gzipped to first play (/c/{DEMO_SLUG}, {len(page.assets)} files)",
            page.kb, "KB", page_weight.BUDGET_KB, "budget"),
    ]


def game_rows(race: racing_replay.RaceSpeed, taps: LoadResult, clients: int) -> list[Row]:
    """Return the racing replay and nurture action rows."""
    label = f"nurture actions (HTTP, {clients} players tapping)"
    return [
        Row(f"racing replay speed ({race.races} races, {race.mean_ticks:,.0f} ticks avg)",
            race.ticks_per_s, "ticks/s"),
        Row(f"{label}", taps.rate("action"), "actions/s"),
        Row(f"{label} p50", taps.percentile_ms("action", 50), "ms"),
        Row(f"{label} p99", taps.percentile_ms("action", 99), "ms"),
        Row("nurture non-2xx answers", taps.failures(), f"of {taps.total():,} calls"),
    ]


def measure_live(stores: Stores, clients: int) -> live_latency.LiveResult:
    """Serve the app with the default push interval; time pushes to ``clients`` watchers."""
    env = {**stores.server_env(), "LIVE_PUSH_INTERVAL_MS": str(live_latency.PUSH_INTERVAL_MS)}
    room = ("--worker-connections", str(live_latency.WORKER_CONNECTIONS))
    with Gunicorn("wsgi:app", env, "bench-live.log", room) as app:
        return live_latency.measure(app.url, LIVE_SLUG, clients)


def redis_rows(stores: Stores) -> list[Row]:
    """Measure, in this process, our board against the peer library and against SQL."""
    app = create_app(stores.app_config())
    with app.app_context():
        peers = leaderboard_peers.measure(stores.redis_url)
        rank = sql_rank.measure(stores.database_url)
        db.engine.dispose()
    return leaderboard_peers.rows(peers) + sql_rank.rows(rank)


def measure_claims(stores: Stores) -> claims.ClaimResult | None:
    """Claim a coupon batch dry on PostgreSQL; None when no PostgreSQL answers."""
    on_postgres = claims.claim_stores(stores, LOG_PATH)
    if on_postgres is None:
        return None
    with Gunicorn("wsgi:app", on_postgres.server_env(), "bench-claims.log") as app:
        return claims.measure(app.url, on_postgres)


def run(stores: Stores, args: argparse.Namespace) -> tuple[list[Row], int]:
    """Measure everything against ``stores``; return the rows and the failure count."""
    speed, race = replay.measure(), racing_replay.measure()
    env = stores.server_env()
    nurture_actions.seed_campaign(stores.app_config())
    with Gunicorn("wsgi:app", env, "bench-app.log") as app:
        ours = with_server_cpu(app, lambda: finish.measure(
            app.url, BENCH_SLUG, args.clients, args.warmup, args.seconds))
        page = page_weight.measure(app.url, f"/c/{DEMO_SLUG}")
        taps = nurture_actions.measure(app.url, args.clients, args.warmup, args.seconds)
    with Gunicorn("bench.baseline_app:app", env, "bench-baseline.log") as base_app:
        base = with_server_cpu(base_app, lambda: baseline.measure(
            base_app.url, args.clients, args.warmup, args.seconds))
    live = measure_live(stores, args.live_clients)
    more = redis_rows(stores)
    claimed = measure_claims(stores)
    rows = (http_rows(ours, base) + cpu_rows(ours, base) + other_rows(speed, page)
            + game_rows(race, taps, args.clients)
            + live_latency.rows(live) + more + claims.rows(claimed))
    failures = (ours.failures() + base.failures() + taps.failures() + live.failed_submits()
                + claims.failures(claimed))
    return rows, failures


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the table; return the exit status."""
    args = parse_args(argv)
    began = time.monotonic()
    LOG_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hudong-bench-") as tmp, \
            fresh_stores(Path(tmp)) as stores:
        prepare(stores, LOG_PATH)
        rows, failures = run(stores, args)
    print(f"Hudong bench: {stores.label}; {args.clients} clients, {args.warmup:g} s warm-up "
          f"+ {args.seconds:g} s measured; {os.cpu_count()} CPUs; "
          f"{time.monotonic() - began:.0f} s in all; logs in {LOG_DIR}/bench*.log")
    print(render(rows))
    # a figure with refused calls (or an over-issued coupon) in it is no figure
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
