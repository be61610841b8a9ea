"""Measure the raw Flask+Redis baseline the same way as the finish endpoint."""

from __future__ import annotations

import itertools
import logging

import requests

from bench.load import LoadResult, Sample, run_clients, timed_post

log = logging.getLogger(__name__)
_members = itertools.count(1)


def score_once(http: requests.Session, base_url: str) -> list[Sample]:
    """Post one score to the baseline app; return the call's sample."""
    n = next(_members)
    # a spread of members and scores, so the board grows as ours does
    body = {"member": f"player{n % 5000}", "score": (n * 7919) % 100_000}
    sample, resp = timed_post(http, "score", f"{base_url}/score", body)
    if resp is None or sample.status != 200:
        log.warning("baseline answered %s: %s", sample.status, resp.text[:300] if resp else "")
    return [sample]


def measure(base_url: str, clients: int, warmup_s: float, duration_s: float) -> LoadResult:
    """Run ``clients`` clients against the baseline app and return the result."""
    return run_clients(lambda http: score_once(http, base_url), clients, warmup_s, duration_s)
