"""Turn the tag outbox into deliveries and send them: each change once per endpoint, in order.

Batching: the changes past an endpoint's cursor (``tags.outbox.changes_after``)
become one delivery row in the transaction that moves the cursor, so every
change lands in exactly one batch of each endpoint. Sending: a sender claims
the endpoint's oldest pending delivery with a lease (an atomic UPDATE), sends
it and records the outcome. A sender killed mid-send leaves only its lease,
which runs out; the batch is then sent again with the same id, which the
receiver recognises (Idempotency-Key). Failures are retried with exponential
backoff and jitter, and after ``CRM_MAX_ATTEMPTS`` the delivery is dead until
a marketer retries it. Redelivery is driven by these rows alone, never by
rq's own retries.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from engine.clock import utcnow
from engine.extensions import db
from engine.models import CrmEndpoint, Delivery
from tags.crm import payload
from tags.crm.webhook import Outcome, WebhookClient
from tags.crm.wecom_delivery import deliver_to_wecom
from tags.outbox import changes_after

log = logging.getLogger(__name__)
MAX_BATCHES_PER_RUN = 50


@dataclass
class SyncReport:
    """What one sync run did."""

    batched: int = 0
    delivered: int = 0
    failed: int = 0
    dead: list[int] = field(default_factory=list)


def backoff_s(attempts: int, base: float, cap: float) -> float:
    """Return the wait before retry number ``attempts``: exponential, capped, jittered.

    With ``base`` 2 s the first retry comes after 1-2 s, so a short outage
    heals quickly; the jitter keeps many endpoints from retrying in step.
    """
    return random.uniform(0.5, 1.0) * min(cap, base * 2 ** max(attempts - 1, 0))


def _wanted(endpoint: CrmEndpoint, change) -> bool:
    # an erasure concerns every CRM, whatever groups it takes
    return change.op == "delete" or not endpoint.tag_groups or change.group in endpoint.tag_groups


def batch_new(endpoint_id: int, max_batches: int = MAX_BATCHES_PER_RUN) -> int:
    """Put the endpoint's new changes into deliveries; return how many were made."""
    size, made = current_app.config["CRM_BATCH_SIZE"], 0
    for _ in range(max_batches):
        endpoint = db.session.get(CrmEndpoint, endpoint_id)
        after = endpoint.cursor
        page = changes_after(endpoint.brand_id, after, size)  # commits the session
        if not page.changes:
            return made
        endpoint = db.session.get(CrmEndpoint, endpoint_id)
        chosen = [c for c in page.changes if _wanted(endpoint, c)]
        moved = db.session.execute(update(CrmEndpoint).where(
            CrmEndpoint.id == endpoint_id, CrmEndpoint.cursor == after)
            .values(cursor=page.next_position))
        if moved.rowcount != 1:  # another worker batched these changes first
            db.session.rollback()
            return made
        if chosen:
            db.session.add(Delivery(
                endpoint_id=endpoint_id, change_ids=[c.id for c in chosen],
                batch_id=f"e{endpoint_id}-{chosen[0].position}-{chosen[-1].position}",
                next_attempt_at=utcnow()))
            made += 1
        db.session.commit()
        if len(page.changes) < size:
            break
    return made


def _claim(delivery_id: int) -> bool:
    """Take the delivery for one attempt (count it); False if another sender holds it."""
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["CRM_LEASE_S"])
    taken = db.session.execute(update(Delivery).where(
        Delivery.id == delivery_id, Delivery.status == "pending",
        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))
        .values(lease_until=lease, attempts=Delivery.attempts + 1))
    db.session.commit()
    return taken.rowcount == 1


def _record(delivery: Delivery, outcome: Outcome, report: SyncReport) -> None:
    cfg, now = current_app.config, utcnow()
    delivery.lease_until = None
    delivery.last_status, delivery.latency_ms = outcome.status, outcome.latency_ms
    if outcome.ok:
        # a success may still carry a note (WeCom: players without a contact skipped)
        delivery.status, delivery.delivered_at = "delivered", now
        delivery.last_error = outcome.error[:500]
        report.delivered += 1
    else:
        delivery.last_error = outcome.error[:500]
        report.failed += 1
        if delivery.attempts >= cfg["CRM_MAX_ATTEMPTS"]:
            delivery.status = "dead"
            report.dead.append(delivery.id)
            log.error("crm delivery %s (%s) dead after %s attempts: %s", delivery.id,
                      delivery.batch_id, delivery.attempts, outcome.error)
        else:
            wait = backoff_s(delivery.attempts, cfg["CRM_RETRY_BASE_S"], cfg["CRM_RETRY_MAX_S"])
            delivery.next_attempt_at = now + timedelta(seconds=wait)
            log.warning("crm delivery %s attempt %s failed (%s); retry in %.1fs",
                        delivery.batch_id, delivery.attempts, outcome.error, wait)
    db.session.commit()


def deliver(endpoint: CrmEndpoint, delivery: Delivery) -> Outcome:
    """Make one attempt at a delivery through the endpoint's adapter."""
    changes = payload.changes_for(endpoint.brand_id, delivery.change_ids)
    cfg = current_app.config
    if endpoint.kind == "wecom":
        return deliver_to_wecom(endpoint, changes)
    client = WebhookClient(cfg["CRM_HTTP_TIMEOUT_S"], cfg["CRM_ALLOW_PRIVATE_ADDRESSES"])
    try:
        return client.send(endpoint.url, endpoint.secret, delivery.batch_id, changes)
    finally:
        client.close()


def send_due(endpoint_id: int, report: SyncReport) -> None:
    """Send the endpoint's due deliveries oldest first; stop at the first that fails."""
    while True:
        delivery = db.session.scalar(select(Delivery).where(
            Delivery.endpoint_id == endpoint_id, Delivery.status == "pending")
            .order_by(Delivery.id).limit(1))
        if delivery is None or delivery.next_attempt_at > utcnow():
            return
        if not _claim(delivery.id):
            return  # held by another sender: order matters, so wait
        delivery = db.session.get(Delivery, delivery.id)
        endpoint = db.session.get(CrmEndpoint, endpoint_id)
        outcome = deliver(endpoint, delivery)
        _record(delivery, outcome, report)
        if not outcome.ok:
            return


def sync_all() -> SyncReport:
    """Batch and send for every active endpoint; return what was done."""
    report = SyncReport()
    ids = list(db.session.scalars(select(CrmEndpoint.id).where(CrmEndpoint.active.is_(True))
                                  .order_by(CrmEndpoint.id)))
    for endpoint_id in ids:
        report.batched += batch_new(endpoint_id)
        send_due(endpoint_id, report)
    return report
