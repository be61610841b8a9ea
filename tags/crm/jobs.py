"""The CRM sync as an rq job, kept going by a ticker in every ``flask jobs worker``.

The ticker enqueues one sync job every ``CRM_POLL_S`` seconds unless one is
already waiting (a flag in Redis says so). A worker killed mid-job leaves that
job in rq's failed registry, never retried by rq: the next tick's job resumes
from the deliveries' own state (``tags.crm.sync``). A worker killed after
taking the waiting job but before the job cleared the flag leaves the flag
with no job behind it; a starting worker's ticker sees that (no sync job in
the queue) and clears it, so the new worker syncs at once rather than after
the flag's ``QUEUED_TTL_S``.
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


def request_sync(recover: bool = False) -> bool:
    """Enqueue a sync job unless one is already waiting; return whether one was enqueued.

    With ``recover`` (a worker starting) a flag with no sync job in the queue
    behind it is a dead worker's: it is cleared first.
    """
    from engine.jobs import queue

    if recover and not any(job.func_name == JOB for job in queue().get_jobs()):
        redis_store.r.delete(keys.crm_sync_queued())
    if not redis_store.r.set(keys.crm_sync_queued(), "1", nx=True, ex=QUEUED_TTL_S):
        return False
    queue().enqueue(JOB, job_timeout=max(600, current_app.config["CRM_LEASE_S"] * 4),
                    result_ttl=60, failure_ttl=24 * 3600)
    return True


def start_ticker(app: Flask, stop: threading.Event) -> threading.Thread:
    """Start a daemon thread that requests a sync every ``CRM_POLL_S`` until ``stop`` is set."""
    interval = max(app.config["CRM_POLL_S"], 0.2)

    def tick() -> None:
        first = True
        while not stop.is_set():
            try:
                with app.app_context():
                    request_sync(recover=first)
                first = False
            except Exception:  # a Redis hiccup must not end the ticker
                log.exception("crm sync tick failed")
            stop.wait(interval)

    thread = threading.Thread(target=tick, name="crm-sync-ticker", daemon=True)
    thread.start()
    return thread
