"""Record events: the append-only log every report and tag is computed from."""

from __future__ import annotations

from engine.clock import utcnow
from engine.extensions import db
from engine.models import Event


def record_event(kind: str, *, brand_id: int, campaign_id: int | None = None,
                 player_id: int | None = None, **props) -> Event:
    """Add an event to the current transaction; the caller commits it."""
    event = Event(kind=kind, brand_id=brand_id, campaign_id=campaign_id, player_id=player_id,
                  props=props, created_at=utcnow())
    db.session.add(event)
    return event
