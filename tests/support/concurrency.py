"""Real concurrency for tests: threads, each with its own app context and connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from engine.errors import NoPlaysLeft
from engine.extensions import db
from engine.models import Campaign, Player
from engine.play import sessions


def run_together(app, jobs: Sequence, work: Callable, workers: int = 32) -> list:
    """Run ``work(job)`` for every job on ``workers`` threads, the first wave released at once.

    Each call runs in its own app context, so its own session and database
    connection: the races are the database's, not Python's.
    """
    gate = threading.Barrier(min(workers, len(jobs)))

    def one(indexed):
        index, job = indexed
        with app.app_context():
            try:
                if index < workers:
                    gate.wait(timeout=30)
                return work(job)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, list(enumerate(jobs))))


def wait_until(predicate: Callable[[], object], timeout: float, what: str,
               interval: float = 0.01):
    """Return ``predicate()``'s first true value, polling; fail naming ``what`` at the deadline.

    Tests wait for a condition, not for a fixed time: a loaded machine only
    makes them slower, never wrong.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def start_together(app, campaign_id: int, player_id: int, starts: int,
                   workers: int = 16) -> list:
    """Start ``starts`` sessions of one player at once; return each play number or refusal.

    A start refused for want of plays answers its error code (``no_plays_left``).
    """
    def start(_):
        campaign, player = db.session.get(Campaign, campaign_id), db.session.get(Player, player_id)
        try:
            return sessions.start_session(campaign, player).play_no
        except NoPlaysLeft as exc:
            db.session.rollback()
            return exc.code

    return run_together(app, range(starts), start, workers=workers)
