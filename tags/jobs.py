"""Tag evaluation jobs on rq: incremental after events (bursts coalesced), full on demand.

After a transaction with events commits, ``events_committed`` adds markers
for the players whose tags may have changed to the brand's dirty set and
enqueues one job per brand unless one is already waiting: a burst of
events becomes one job. The job clears the flag first, takes the markers,
turns them into players (a play may move everyone's percentile in its
campaign; a referral changes the whole tree) and evaluates only those.
No SQL runs on the event's path, only two or three Redis commands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import func, or_, select

from engine import jobs as engine_jobs
from engine import keys
from engine.events import Recorded
from engine.extensions import db, redis_store
from engine.models import Campaign, Referral, Score, TagChange
from engine.referral.tokens import sharer_from_token
from tags import evaluation

log = logging.getLogger(__name__)
# how long a scheduled flag lives if its job is lost: the next event schedules again
_FLAG_TTL_S = 600
TRIGGER_KINDS = frozenset({"visit", "play_finished", "garden_action", "garden_matured", "share",
                           "referral", "referred_play", "coupon_issued", "coupon_redeemed",
                           "draw", "consent"})


def _markers(ev: Recorded) -> list[str]:
    found = [f"p:{ev.player_id}"]
    if ev.kind == "play_finished" and ev.campaign_id:
        found.append(f"c:{ev.campaign_id}")
    if ev.kind in ("referral", "referred_play") and ev.campaign_id:
        found.append(f"r:{ev.campaign_id}:{ev.player_id}")
    token = ev.props.get("share_token")
    if ev.kind == "visit" and token and ev.campaign_id:
        found.append(f"s:{ev.campaign_id}:{token}")
    return found


def events_committed(events: list[Recorded]) -> None:
    """Mark the players these committed events may re-tag; schedule one job per brand."""
    by_brand: dict[int, set[str]] = {}
    for ev in events:
        if ev.kind in TRIGGER_KINDS and ev.player_id is not None:
            by_brand.setdefault(ev.brand_id, set()).update(_markers(ev))
    for brand_id, markers in by_brand.items():
        pipe = redis_store.r.pipeline(transaction=False)
        pipe.sadd(keys.tags_dirty(brand_id), *markers)
        pipe.set(keys.tags_scheduled(brand_id, "incremental"), 1, nx=True, ex=_FLAG_TTL_S)
        if pipe.execute()[1]:
            engine_jobs.queue().enqueue(reevaluate_job, brand_id)


def schedule_full(brand_id: int) -> None:
    """Enqueue a full evaluation of the brand unless one is already waiting."""
    if redis_store.r.set(keys.tags_scheduled(brand_id, "full"), 1, nx=True, ex=_FLAG_TTL_S):
        engine_jobs.queue().enqueue(evaluate_job, brand_id)


@dataclass(frozen=True)
class EvaluationStatus:
    """Where a brand's tag evaluation stands: what waits, and when a tag last changed."""

    full_queued: bool
    incremental_queued: bool
    waiting_markers: int
    last_change_at: datetime | None

    @property
    def up_to_date(self) -> bool:
        return not (self.full_queued or self.incremental_queued or self.waiting_markers)


def evaluation_status(brand_id: int) -> EvaluationStatus:
    """Return whether evaluations of the brand are waiting, and its last tag change."""
    pipe = redis_store.r.pipeline(transaction=False)
    pipe.exists(keys.tags_scheduled(brand_id, "full"))
    pipe.exists(keys.tags_scheduled(brand_id, "incremental"))
    pipe.scard(keys.tags_dirty(brand_id))
    full, incremental, markers = pipe.execute()
    last = db.session.scalar(select(func.max(TagChange.created_at))
                             .where(TagChange.brand_id == brand_id))
    return EvaluationStatus(bool(full), bool(incremental), int(markers), last)


def evaluate_job(brand_id: int) -> int:
    """Evaluate every player of the brand; return how many changes were written."""
    redis_store.r.delete(keys.tags_scheduled(brand_id, "full"))
    return evaluation.evaluate_brand(brand_id).changes


def take_markers(brand_id: int) -> set[str]:
    """Return and clear the brand's dirty markers, atomically."""
    pipe = redis_store.r.pipeline(transaction=True)
    pipe.smembers(keys.tags_dirty(brand_id))
    pipe.delete(keys.tags_dirty(brand_id))
    return set(pipe.execute()[0])


def reevaluate_job(brand_id: int) -> int:
    """Evaluate the players marked since the last run; return how many changes were written."""
    redis_store.r.delete(keys.tags_scheduled(brand_id, "incremental"))
    markers = take_markers(brand_id)
    players = affected_players(brand_id, markers)
    if not len(players):
        return 0
    return evaluation.evaluate_brand(brand_id, players).changes


def affected_players(brand_id: int, markers: set[str]) -> np.ndarray:
    """Turn markers into the player ids whose tags may have changed."""
    players: set[int] = set()
    ranked = _ranked_campaigns(brand_id)
    for marker in markers:
        kind, _, rest = marker.partition(":")
        if kind == "p":
            players.add(int(rest))
        elif kind == "c" and (int(rest) in ranked or "any" in ranked):
            players.update(db.session.scalars(select(Score.player_id).distinct().where(
                Score.campaign_id == int(rest))))
        elif kind == "r":
            campaign_id, player_id = (int(x) for x in rest.split(":"))
            players.update(_tree(campaign_id, player_id))
        elif kind == "s":
            campaign_id, token = rest.split(":", 1)
            campaign = db.session.get(Campaign, int(campaign_id))
            sharer = sharer_from_token(campaign, token) if campaign else None
            if sharer is not None:
                players.add(sharer)
    return np.array(sorted(players), np.int64)


def _ranked_campaigns(brand_id: int) -> set:
    """Return the campaigns (ids, or "any") whose percentiles some rule of the brand reads."""
    found: set = set()

    def walk(node: dict) -> None:
        for key in ("all", "any"):
            for child in node.get(key, ()):
                walk(child)
        if "not" in node:
            walk(node["not"])
        if "top_pct" in node:
            found.add(node["campaign"])

    for rule in evaluation.rules_of(brand_id):
        walk(rule.rule)
    return found


def _tree(campaign_id: int, player_id: int) -> set[int]:
    """Return every player of the referral tree ``player_id`` is in, in one campaign."""
    mine = db.session.scalar(select(Referral.root_id).where(Referral.campaign_id == campaign_id,
                                                            Referral.player_id == player_id))
    root = mine or player_id
    members = set(db.session.scalars(select(Referral.player_id).where(
        Referral.campaign_id == campaign_id,
        or_(Referral.root_id == root, Referral.player_id == root))))
    return members | {root, player_id}
