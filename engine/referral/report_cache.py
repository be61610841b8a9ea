"""The referral report and trees served from Redis, so a big campaign is not recomputed per read.

A report over a million players costs seconds (loading the events and the
forest, then numpy); marketers reload it, and several read it at once. Each
computed answer is kept under the campaign, the range (or the tree's
player) and the campaign's referral data version: a counter bumped by every
new referral and every referred friend's verified play
(``bump_version``). A kept answer is served while the version is the same
and it is younger than ``REFERRAL_REPORT_TTL_S`` (60 s: visits, shares and
coupon events do not bump the version, so they show within a minute). When
it is out of date, the one reader that takes the lock computes it again and
the others are served the previous answer meanwhile; with none kept, they
wait for the first (at most ``WAIT_S``) instead of computing it too.

An answer is kept as its dataclasses' ``asdict`` JSON (the same keys its
schema answers) and read back with ``from_kept``; a change to that form must
change the key (``what``), so entries kept before it are not misread.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from flask import current_app

from engine import keys
from engine.extensions import redis_store
from engine.models import Campaign
from engine.referral import report

log = logging.getLogger(__name__)
LOCK_TTL_S = 120
WAIT_S = 30.0
POLL_S = 0.05


def bump_version(campaign_id: int) -> None:
    """Note that the campaign's referral data changed: kept reports are out of date."""
    redis_store.r.incr(keys.referral_version(campaign_id))


def events_committed(events) -> None:
    """Bump the version of each campaign a committed referral or referred play touched.

    Run after the commit (``engine.events.on_committed``), never inside the
    transaction: a Redis round trip while SQLite's write lock is held stalls
    every other request of a gevent worker ("database is locked").
    """
    for campaign_id in {e.campaign_id for e in events
                        if e.kind in ("referral", "referred_play") and e.campaign_id}:
        bump_version(campaign_id)


def _version(campaign_id: int) -> int:
    return int(redis_store.r.get(keys.referral_version(campaign_id)) or 0)


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "-"


def _usable(kept: dict | None, version: int, ttl_s: int) -> bool:
    return kept is not None and kept["version"] == version and time.time() - kept["at"] < ttl_s


def _cached(campaign: Campaign, what: str, compute: Callable[[], dict]) -> dict:
    """Return ``compute()``'s answer, from Redis while it is current (see the module doc)."""
    ttl_s = current_app.config["REFERRAL_REPORT_TTL_S"]
    key, lock = keys.referral_report(campaign.id, what), keys.referral_report_lock(campaign.id,
                                                                                    what)
    version = _version(campaign.id)
    raw = redis_store.r.get(key)
    kept = json.loads(raw) if raw is not None else None
    if _usable(kept, version, ttl_s):
        return kept["answer"]
    deadline = time.monotonic() + WAIT_S
    while not redis_store.r.set(lock, "1", nx=True, ex=LOCK_TTL_S):
        if kept is not None:
            return kept["answer"]  # another reader is computing it: the previous one now
        if time.monotonic() > deadline:
            break  # the computing reader is gone or slow: compute it here too
        time.sleep(POLL_S)
        raw = redis_store.r.get(key)
        if raw is not None:
            return json.loads(raw)["answer"]
    try:
        answer = compute()
        redis_store.r.set(key, json.dumps({"version": version, "at": time.time(),
                                           "answer": answer}, separators=(",", ":")),
                          ex=max(ttl_s * 10, 600))
    finally:
        redis_store.r.delete(lock)
    return answer


def referral_report(campaign: Campaign, start: datetime | None = None,
                    end: datetime | None = None) -> report.ReferralReport:
    """Return the referral report over ``[start, end]``, computed at most once a while."""
    report.check_range(start, end)
    what = f"report:{campaign.timezone}:{_stamp(start)}:{_stamp(end)}"
    answer = _cached(campaign, what, lambda: asdict(report.referral_report(campaign, start, end)))
    return report.ReferralReport.from_kept(answer)


def referral_tree(campaign: Campaign, player_id: int) -> report.TreeNode:
    """Return one sharer's downstream tree, computed at most once a while."""
    # "tree2": kept trees gained cut_by_depth (kept "tree" entries lack it)
    return report.TreeNode.from_kept(_cached(
        campaign, f"tree2:{player_id}", lambda: asdict(report.referral_tree(campaign, player_id))))
