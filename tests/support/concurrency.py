"""Real concurrency for tests: threads, each with its own app context and connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from engine.extensions import db


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
