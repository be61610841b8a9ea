"""Read an endpoint's delivery log and send a dead letter again."""

from __future__ import annotations

from sqlalchemy import func, select, update

from engine.clock import utcnow
from engine.errors import Conflict, NotFound
from engine.extensions import db
from engine.models import CrmEndpoint, Delivery
from tags.crm.endpoints import MAX_ID


def log_of(endpoint: CrmEndpoint, limit: int = 50, status: str | None = None,
           before: int | None = None) -> list[Delivery]:
    """Return the endpoint's deliveries, newest first (``before``: ids below it)."""
    query = select(Delivery).where(Delivery.endpoint_id == endpoint.id)
    if status:
        query = query.where(Delivery.status == status)
    if before:
        query = query.where(Delivery.id < before)
    return list(db.session.scalars(query.order_by(Delivery.id.desc()).limit(limit)))


def status_counts(endpoints: list[CrmEndpoint]) -> dict[int, dict[str, int]]:
    """Return how many deliveries of each endpoint are in each state."""
    counts: dict[int, dict[str, int]] = {e.id: {} for e in endpoints}
    if counts:
        rows = db.session.execute(
            select(Delivery.endpoint_id, Delivery.status, func.count())
            .where(Delivery.endpoint_id.in_(counts)).group_by(Delivery.endpoint_id,
                                                              Delivery.status))
        for endpoint_id, status, n in rows:
            counts[endpoint_id][status] = n
    return counts


def retry_dead(endpoint: CrmEndpoint, delivery_id: int) -> Delivery:
    """Make a dead delivery due now with a fresh count of attempts; 409 unless it is dead.

    The batch keeps its id, so a receiver that did get an earlier attempt
    recognises it by its Idempotency-Key.
    """
    delivery = db.session.get(Delivery, delivery_id) if delivery_id <= MAX_ID else None
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound()
    moved = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "dead")
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), lease_until=None))
    db.session.commit()
    if moved.rowcount != 1:
        raise Conflict("只有失败（dead）的投递可以重试", code="not_dead")
    db.session.refresh(delivery)
    return delivery
