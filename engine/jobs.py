"""Background jobs on rq, on the app's plain Redis (never a cluster): the queue and its jobs.

Run a worker with ``flask jobs worker``; it runs jobs in-process (no fork)
inside the app context and, with its scheduler, the hourly period close.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import redis
from flask import current_app
from rq import Queue, SimpleWorker

from engine.clock import utcnow
from engine.extensions import redis_store

log = logging.getLogger(__name__)
QUEUE_NAME = "hudong"
CLOSE_JOB_ID = "close-periods"
TICKERS = "hudong_worker_tickers"


def connection() -> redis.Redis:
    """Return a bytes-mode client on the queue's plain Redis (rq stores pickles)."""
    return redis.Redis.from_url(redis_store.queue_url)


def queue() -> Queue:
    """Return the app's job queue."""
    return Queue(QUEUE_NAME, connection=connection())


def next_hour(now: datetime) -> datetime:
    """Return a few seconds past the next full hour (periods end on the hour)."""
    return now.replace(minute=0, second=5, microsecond=0) + timedelta(hours=1)


def close_periods_job(reschedule: bool = True) -> int:
    """Close every ended period; schedule the next run; return how many closed."""
    from engine.boards.period_close import close_due

    closed = close_due()
    if reschedule:
        schedule_close(next_hour(utcnow()))
    return len(closed)


def close_job_id(at: datetime | None) -> str:
    """Return the job id of the close run at ``at`` (one per hour), or of the run now."""
    return f"{CLOSE_JOB_ID}-{at:%Y%m%dT%H}" if at else f"{CLOSE_JOB_ID}-now"


def schedule_close(at: datetime | None = None):
    """Enqueue the period close now or at ``at``, at most once per slot."""
    q = queue()
    job_id = close_job_id(at)
    existing = q.fetch_job(job_id)
    if existing is not None:
        if existing.get_status(refresh=True) in ("queued", "scheduled", "started", "deferred"):
            return existing
        existing.delete()
    if at is None:
        return q.enqueue(close_periods_job, job_id=job_id)
    return q.enqueue_at(at, close_periods_job, job_id=job_id)


def add_ticker(app, start) -> None:
    """Register ``start(app, stop_event)``: a thread every long-running worker starts.

    Packages that need a job enqueued periodically (the CRM sync) register
    one here from ``engine.routes``; the engine never imports them.
    """
    app.extensions.setdefault(TICKERS, []).append(start)


def run_worker(burst: bool = False) -> bool:
    """Work the queue in this process until stopped (or until empty with ``burst``)."""
    app = current_app._get_current_object()
    stop = threading.Event()
    if not burst:
        for start in app.extensions.get(TICKERS, []):
            start(app, stop)
    worker = SimpleWorker([queue()], connection=connection())
    try:
        return worker.work(burst=burst, with_scheduler=not burst, logging_level="INFO")
    finally:
        stop.set()
