"""Run every benchmark and print one table: ``python -m bench``.

``python -m bench --only replay,finish`` runs just the named parts (see
``PARTS``), with the same row names as the whole table, to compare one change
before and after without the rest of the bench.

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

import numpy as np

from bench import (
    baseline,
    claims,
    crm_delivery,
    finish,
    leaderboard_peers,
    live_latency,
    nurture_actions,
    page_weight,
    play_page,
    racing_replay,
    referral,
    refused_body,
    replay,
    sql_rank,
    tag_changes,
    tag_rules,
)
from bench.load import LoadResult
from bench.servers import LOG_DIR, Gunicorn
from bench.stores import (
    BENCH_SLUG,
    DEMO_SLUG,
    LIVE_CALM_SLUG,
    LIVE_SLUG,
    Stores,
    fresh_stores,
    prepare,
)
from bench.table import Row, render
from engine import create_app
from engine.extensions import db

LOG_PATH = LOG_DIR / "bench.log"
# games played ahead per closed-loop client: more than a saturated run sends
CLOSED_GAMES_PER_CLIENT = 45
# what --only may name: the synthesis replay speed, the HTTP finish rows and the
# coupon claim rows (with the baseline they are read against), the live push rows, the
# nurture action rows (with the baseline)
PARTS = ("replay", "finish", "claims", "live", "nurture")


def _parts(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in PARTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(PARTS)}, not {text!r}")
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Return the command line: clients, warm-up and measured seconds."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not measured")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds measured")
    parser.add_argument("--live-clients", type=int, default=live_latency.CLIENTS,
                        help="Socket.IO clients watching the board")
    parser.add_argument("--live-background", type=float, default=live_latency.BACKGROUND_RATE,
                        help="other players' finishes per second during the live run")
    parser.add_argument("--only", type=_parts, default=None,
                        help=f"comma-separated parts to run alone: {', '.join(PARTS)}")
    return parser.parse_args(argv)


def http_rows(closed: finish.FinishRun, opened: finish.FinishRun, open_rate: float,
              base: LoadResult, games: list[finish.Game]) -> list[Row]:
    """Return the finish rows, each against the baseline or its target, and the baseline's."""
    rate = base.rate("score")
    moves = np.array([g.moves for g in games])
    label = (f"HTTP, gunicorn gevent, {len(games):,} honest 5x5 games "
             f"{moves.min()}-{moves.max()} moves, median {np.median(moves):.0f}")
    base_cpu = 1000 * base.server_cpu_s / base.total() if base.total() else float("nan")
    rows = [
        Row(f"finish req/s ({label}; closed loop)", closed.rate(), "req/s", rate, "baseline"),
        Row("finish p50 (closed loop)", closed.percentile_ms(50), "ms",
            base.percentile_ms("score", 50), "baseline"),
        Row("finish p99 (closed loop)", closed.percentile_ms(99), "ms",
            base.percentile_ms("score", 99), "baseline"),
        Row(f"finish p99 open loop (Poisson {open_rate:.0f}/s = 0.25x baseline; "
            f"{opened.rate():.0f}/s answered)", opened.percentile_ms(99), "ms", 100, "target"),
        Row("finish SQL statements/request (server count)",
            closed.statements_per_request(), "statements", 6, "budget"),
        Row("finish server CPU/request (closed loop window)", closed.cpu_ms_per_request(),
            "ms", base_cpu, "baseline"),
        Row("finish non-2xx answers", closed.failures() + opened.failures(),
            f"of {len(closed.statuses) + len(opened.statuses):,} measured finishes"),
    ]
    figures = [("req/s", "req/s", lambda r: r.rate("score")),
               ("p50", "ms", lambda r: r.percentile_ms("score", 50)),
               ("p99", "ms", lambda r: r.percentile_ms("score", 99))]
    rows += [Row(f"baseline {name} (Flask+Redis ZADD/ZREVRANK)", get(base), unit)
             for name, unit, get in figures]
    rows.append(Row("baseline server CPU/request", base_cpu, "ms"))
    rows.append(Row("baseline non-2xx answers", base.failures(), f"of {base.total():,} calls"))
    return rows


def cpu_rows(closed: finish.FinishRun, base: LoadResult) -> list[Row]:
    """Return how busy the server was, to show which side bounds the figures."""
    busy = 100 * closed.server_cpu_s / closed.window_s if closed.window_s else float("nan")
    return [Row("server CPU, finish run (gunicorn master+worker)", busy, "% of one core",
                base.cpu_pct(base.server_cpu_s), "baseline run")]


def with_server_cpu(server: Gunicorn, measure: Callable[[], LoadResult]) -> LoadResult:
    """Run ``measure`` and note the CPU ``server`` used meanwhile in its result."""
    before = server.cpu_seconds()
    result = measure()
    result.server_cpu_s = server.cpu_seconds() - before
    return result


def replay_row(speed: replay.ReplaySpeed) -> Row:
    """Return the synthesis replay-speed row."""
    return Row(f"replay speed (6x6, {speed.logs} logs, {speed.mean_moves:.0f} moves avg)",
               speed.moves_per_s, "moves/s", 500_000, "target")


def other_rows(speed: replay.ReplaySpeed, page: page_weight.PageWeight) -> list[Row]:
    """Return the replay-speed and page-weight rows."""
    return [
        replay_row(speed),
        Row(f"bytes gzipped to first play (/c/{DEMO_SLUG}, {len(page.assets)} files)",
            page.kb, "KB", page_weight.BUDGET_KB, "budget"),
    ]


def game_rows(race: racing_replay.RaceSpeed, taps: LoadResult, clients: int,
              base: LoadResult) -> list[Row]:
    """Return the racing replay and nurture action rows."""
    return [Row(f"racing replay speed ({race.races} races, {race.mean_ticks:,.0f} ticks avg)",
                race.ticks_per_s, "ticks/s", 500_000, "target"),
            *nurture_rows(taps, clients, base)]


def nurture_rows(taps: LoadResult, clients: int, base: LoadResult) -> list[Row]:
    """Return the nurture action rows, against the baseline."""
    label = f"nurture actions (HTTP, {clients} players tapping)"
    cpu_ms = 1000 * taps.server_cpu_s / taps.total() if taps.total() else float("nan")
    base_cpu = 1000 * base.server_cpu_s / base.total() if base.total() else float("nan")
    return [
        Row(f"{label}", taps.rate("action"), "actions/s", base.rate("score"), "baseline"),
        # both CPU-bound in one process: 0.3x the baseline's rate is <= 3.3x its CPU
        Row("nurture server CPU/request (whole run)", cpu_ms, "ms", base_cpu, "baseline"),
        Row(f"{label} p50", taps.percentile_ms("action", 50), "ms"),
        Row(f"{label} p99", taps.percentile_ms("action", 99), "ms"),
        Row("nurture non-2xx answers", taps.failures(), f"of {taps.total():,} calls"),
    ]


def measure_live(stores: Stores, clients: int,
                 background_rate: float = live_latency.BACKGROUND_RATE,
                 slug: str = LIVE_SLUG) -> live_latency.LiveResult:
    """Serve the app with the default push interval; time pushes to ``clients`` watchers
    of ``slug``'s board while others finish at ``background_rate`` per second."""
    env = {**stores.server_env(), "LIVE_PUSH_INTERVAL_MS": str(live_latency.PUSH_INTERVAL_MS)}
    room = ("--worker-connections", str(live_latency.WORKER_CONNECTIONS))
    with Gunicorn("wsgi:app", env, "bench-live.log", room) as app:
        return live_latency.measure(app.url, slug, clients, server_cpu=app.cpu_seconds,
                                    background_rate=background_rate)


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
        return claims.measure(app.url, on_postgres, app.cpu_seconds)


def measure_baseline(env: dict, args: argparse.Namespace) -> LoadResult:
    """Serve the bare Flask+Redis baseline app and load it as the finish runs are."""
    with Gunicorn("bench.baseline_app:app", env, "bench-baseline.log") as base_app:
        return with_server_cpu(base_app, lambda: baseline.measure(
            base_app.url, args.clients, args.warmup, args.seconds))


def measure_finish(app: Gunicorn, base: LoadResult, args: argparse.Namespace
                   ) -> tuple[finish.FinishRun, finish.FinishRun, float, list[finish.Game]]:
    """Finish honest games on ``app``: closed loop, then open loop at a quarter of ``base``.

    Returns both runs, the open loop's rate and the games played.
    """
    open_rate = 0.25 * base.rate("score")
    closed_n = args.clients * CLOSED_GAMES_PER_CLIENT
    games = finish.prepare(app.url, BENCH_SLUG, closed_n + max(int(open_rate * args.seconds), 1))
    closed = finish.closed_loop(games[:closed_n], args.clients, args.warmup, args.seconds,
                                app.cpu_seconds)
    opened = finish.open_loop(games[closed_n:], open_rate, app.cpu_seconds)
    return closed, opened, open_rate, games


def measure_nurture(stores: Stores, args: argparse.Namespace) -> LoadResult:
    """Seed the nurture campaign, serve the app alone and tap it as the whole bench does."""
    nurture_actions.seed_campaign(stores.app_config())
    with Gunicorn("wsgi:app", stores.server_env(), "bench-app.log") as app:
        return with_server_cpu(app, lambda: nurture_actions.measure(
            app.url, args.clients, args.warmup, args.seconds))


def run_only(stores: Stores, args: argparse.Namespace) -> tuple[list[Row], int]:
    """Measure only the parts ``--only`` names; return their rows and failure count."""
    rows, failures = [], 0
    if "replay" in args.only:
        rows.append(replay_row(replay.measure()))
    base = None
    if any(part in args.only for part in ("finish", "claims", "nurture")):
        base = measure_baseline(stores.server_env(), args)
        failures += base.failures()
    if "finish" in args.only:
        with Gunicorn("wsgi:app", stores.server_env(), "bench-app.log") as app:
            closed, opened, open_rate, games = measure_finish(app, base, args)
        rows += http_rows(closed, opened, open_rate, base, games) + cpu_rows(closed, base)
        failures += closed.failures() + opened.failures()
    if "claims" in args.only:
        claimed = measure_claims(stores)
        rows += claims.rows(claimed, base.rate("score"))
        failures += claims.failures(claimed)
    if "nurture" in args.only:
        taps = measure_nurture(stores, args)
        rows += nurture_rows(taps, args.clients, base)
        failures += taps.failures()
    if "live" in args.only:
        live = measure_live(stores, args.live_clients, args.live_background)
        rows += live_latency.rows(live)
        failures += live.failed_submits()
    return rows, failures


def run(stores: Stores, args: argparse.Namespace) -> tuple[list[Row], int]:
    """Measure everything against ``stores``; return the rows and the failure count."""
    speed, race = replay.measure(), racing_replay.measure()
    env = stores.server_env()
    nurture_actions.seed_campaign(stores.app_config())
    share_path = referral.seed_campaign(stores.app_config())
    base = measure_baseline(env, args)
    with Gunicorn("wsgi:app", env, "bench-app.log") as app:
        closed, opened, open_rate, games = measure_finish(app, base, args)
        page = page_weight.measure(app.url, f"/c/{DEMO_SLUG}")
        screens = play_page.measure(app.url)
        taps = with_server_cpu(app, lambda: nurture_actions.measure(
            app.url, args.clients, args.warmup, args.seconds))
        refused = refused_body.measure(app.url)
        pulled = tag_changes.measure(stores, app.url)
        opens = with_server_cpu(app, lambda: referral.measure_opens(
            app.url, share_path, args.clients, args.warmup, args.seconds))
    live = measure_live(stores, args.live_clients)
    calm = measure_live(stores, args.live_clients, live_latency.SUSTAINED_RATE, LIVE_CALM_SLUG)
    more = redis_rows(stores)
    forest = referral.measure_report()
    report_cache = referral.measure_report_cache(stores.app_config())
    crm = crm_delivery.measure(stores)
    claimed = measure_claims(stores)
    rows = (http_rows(closed, opened, open_rate, base, games) + cpu_rows(closed, base)
            + other_rows(speed, page) + screens + game_rows(race, taps, args.clients, base)
            + refused_body.rows(refused) + live_latency.rows(live)
            + live_latency.sustained_rows(calm) + more
            + crm_delivery.rows(crm) + claims.rows(claimed, base.rate("score"))
            + tag_changes.rows(pulled) + referral.rows(opens, forest, report_cache)
            + tag_rules.measure())
    failures = (closed.failures() + opened.failures() + base.failures() + taps.failures()
                + live.failed_submits() + calm.failed_submits() + claims.failures(claimed)
                + crm.receiver_refused + refused_body.failures(refused) + pulled.failures()
                + opens.failures())
    return rows, failures


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the table; return the exit status."""
    args = parse_args(argv)
    began = time.monotonic()
    LOG_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hudong-bench-") as tmp, \
            fresh_stores(Path(tmp)) as stores:
        prepare(stores, LOG_PATH)
        rows, failures = (run_only if args.only else run)(stores, args)
    print(f"Hudong bench: {stores.label}; {args.clients} clients, {args.warmup:g} s warm-up "
          f"+ {args.seconds:g} s measured; {os.cpu_count()} CPUs; "
          f"{time.monotonic() - began:.0f} s in all; logs in {LOG_DIR}/bench*.log")
    print(render(rows))
    # a figure with refused calls (or an over-issued coupon) in it is no figure
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
