"""Record events: the append-only log every report and tag is computed from.

Code outside the engine learns of events only after they are committed:
``on_committed(listener)`` (registered by the app factory, e.g. tag
re-evaluation) is called with the events of each committed transaction.
A listener must be cheap (it runs on the request's path) and must not touch
the database session; a listener that fails is logged, never the request's
failure (the event is committed already).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.extensions import db
from engine.models import Event

log = logging.getLogger(__name__)
_PENDING = "hudong_events"


@dataclass(frozen=True)
class Recorded:
    """What a listener learns of one committed event."""

    kind: str
    brand_id: int
    campaign_id: int | None
    player_id: int | None
    props: dict


Listener = Callable[[list[Recorded]], None]
_listeners: list[Listener] = []


def on_committed(listener: Listener) -> None:
    """Call ``listener`` with the events of every committed transaction (once per listener)."""
    if listener not in _listeners:
        _listeners.append(listener)


def record_event(kind: str, *, brand_id: int, campaign_id: int | None = None,
                 player_id: int | None = None, **props) -> Event:
    """Add an event to the current transaction; the caller commits it."""
    event = Event(kind=kind, brand_id=brand_id, campaign_id=campaign_id, player_id=player_id,
                  props=props, created_at=utcnow())
    db.session.add(event)
    if _listeners:
        db.session.info.setdefault(_PENDING, []).append(
            Recorded(kind, brand_id, campaign_id, player_id, props))
    return event


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for listener in _listeners:
        try:
            listener(pending)
        except Exception:  # the events are committed: report, never undo the request
            log.exception("event listener %s failed for %d events", listener, len(pending))


@sa_event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
