"""Run every benchmark and print one table: ``python -m bench``.

Order matters on a small machine: the in-process replay runs before any
server starts, and the app and the baseline are never up at the same time,
so each gets the same CPUs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import baseline, finish, page_weight, replay
from bench.load import LoadResult
from bench.servers import LOG_DIR, Gunicorn
from bench.stores import BENCH_SLUG, DEMO_SLUG, Stores, fresh_stores, prepare
from bench.table import Row, render

LOG_PATH = LOG_DIR / "bench.log"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Return the command line: clients, warm-up and measured seconds."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not measured")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds measured")
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


def run(stores: Stores, args: argparse.Namespace) -> tuple[list[Row], int]:
    """Measure everything against ``stores``; return the rows and the non-2xx count."""
    speed = replay.measure()
    env = stores.server_env()
    with Gunicorn("wsgi:app", env, "bench-app.log") as app:
        ours = with_server_cpu(app, lambda: finish.measure(
            app.url, BENCH_SLUG, args.clients, args.warmup, args.seconds))
        page = page_weight.measure(app.url, f"/c/{DEMO_SLUG}")
    with Gunicorn("bench.baseline_app:app", env, "bench-baseline.log") as base_app:
        base = with_server_cpu(base_app, lambda: baseline.measure(
            base_app.url, args.clients, args.warmup, args.seconds))
    rows = http_rows(ours, base) + cpu_rows(ours, base) + other_rows(speed, page)
    return rows, ours.failures() + base.failures()


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
    return 1 if failures else 0  # a figure with refused calls in it is no figure


if __name__ == "__main__":
    sys.exit(main())
