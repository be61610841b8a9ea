"""The CRM sync as an rq job, kept going by a ticker in every ``flask jobs worker``.

The ticker enqueues one sync job every ``CRM_POLL_S`` seconds unless one is
already waiting. A worker killed mid-job leaves that job in rq's failed
registry, never retried by rq: the next tick's job resumes from the
deliveries' own state (``tags.crm.sync``).
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from engine import keys
from engine.extensions import redis_store

log = logging.getLogger(__name__)
JOB = "tags.crm.jobs.sync_job"
QUEUED_TTL_S = 120  # a lost flag (worker killed before the job ran) only delays a tick


def sync_job() -> dict:
    """Batch and send every endpoint's changes once; return the counts."""
    from tags.crm.sync import sync_all

    redis_store.r.delete(keys.crm_sync_queued())
    report = sync_all()
    if report.batched or report.delivered or report.failed:
        log.info("crm sync: %s batched, %s delivered, %s failed, dead %s", report.batched,
                 report.delivered, report.failed, report.dead)
    return {"batched": report.batched, "delivered": report.delivered, "failed": report.failed,
            "dead": report.dead}


def request_sync() -> bool:
    """Enqueue a sync job unless one is already waiting; return whether one was enqueued."""
    from engine.jobs import queue

    if not redis_store.r.set(keys.crm_sync_queued(), "1", nx=True, ex=QUEUED_TTL_S):
        return False
    queue().enqueue(JOB, job_timeout=max(600, current_app.config["CRM_LEASE_S"] * 4),
                    result_ttl=60, failure_ttl=24 * 3600)
    return True


def start_ticker(app: Flask, stop: threading.Event) -> threading.Thread:
    """Start a daemon thread that requests a sync every ``CRM_POLL_S`` until ``stop`` is set."""
    interval = max(app.config["CRM_POLL_S"], 0.2)

    def tick() -> None:
        while not stop.is_set():
            try:
                with app.app_context():
                    request_sync()
            except Exception:  # a Redis hiccup must not end the ticker
                log.exception("crm sync tick failed")
            stop.wait(interval)

    thread = threading.Thread(target=tick, name="crm-sync-ticker", daemon=True)
    thread.start()
    return thread
