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

from sqlalchemy import Insert, insert, literal, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause

from engine.clock import utcnow
from engine.extensions import db
from engine.models import Event

log = logging.getLogger(__name__)
_PENDING = "hudong_events"
_MARKS = "hudong_event_marks"  # savepoint -> how many events were pending at its start
# the columns ``event_values`` fills, in its order
EVENT_COLUMNS = ("brand_id", "campaign_id", "player_id", "kind", "props", "created_at")


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
    _pending(Recorded(kind, brand_id, campaign_id, player_id, props))
    return event


def event_insert(kind: str, *, brand_id: int, campaign_id: int | None = None,
                 player_id: int | None = None, after: FromClause | None = None,
                 **props) -> Insert:
    """Return the INSERT of an event for the current transaction (no unit of work).

    The caller executes it, alone or inside a larger statement, and commits;
    listeners learn of it after the commit as of ``record_event``'s. With
    ``after`` (a CTE of the statement it joins) the row is selected from it:
    no row of ``after``, no event, and the caller must roll back so that no
    listener hears of one.
    """
    values = event_values(kind, brand_id=brand_id, campaign_id=campaign_id,
                          player_id=player_id, **props)
    table = Event.__table__
    if after is None:
        return insert(table).values(values)
    columns = [table.c[name] for name in values]
    row = select(*(literal(values[c.name], c.type) for c in columns)).select_from(after)
    return insert(table).from_select(columns, row)


def event_values(kind: str, *, brand_id: int, campaign_id: int | None = None,
                 player_id: int | None = None, **props) -> dict:
    """Return an event's column values (``EVENT_COLUMNS``) for the caller's own INSERT.

    As with ``event_insert``, the caller writes the row in the current
    transaction and commits; listeners learn of it after the commit.
    """
    _pending(Recorded(kind, brand_id, campaign_id, player_id, props))
    return {"brand_id": brand_id, "campaign_id": campaign_id, "player_id": player_id,
            "kind": kind, "props": props, "created_at": utcnow()}


def _pending(recorded: Recorded) -> None:
    if _listeners:
        db.session.info.setdefault(_PENDING, []).append(recorded)


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        # a savepoint's release (begin_nested) commits nothing yet: its events wait for
        # the outermost commit (a listener's Redis round trip here would also run inside
        # the open write transaction, which stalls SQLite under gevent)
        return
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for listener in _listeners:
        try:
            listener(pending)
        except Exception:  # the events are committed: report, never undo the request
            log.exception("event listener %s failed for %d events", listener, len(pending))


@sa_event.listens_for(Session, "after_transaction_create")
def _savepoint_begun(session: Session, transaction) -> None:
    if transaction.nested:  # mark where its events start: its rollback drops only those
        marks = session.info.setdefault(_MARKS, {})
        marks[transaction] = len(session.info.get(_PENDING, ()))


@sa_event.listens_for(Session, "after_soft_rollback")
def _savepoint_rolled_back(session: Session, previous_transaction) -> None:
    """Forget the events a rolled-back savepoint recorded, and only those.

    SQLAlchemy ends a transaction (``after_transaction_end``) before it tells of
    the rollback, so the outermost one is handled there.
    """
    if previous_transaction.nested:
        mark = session.info.get(_MARKS, {}).pop(previous_transaction, None)
        pending = session.info.get(_PENDING)
        if pending is not None and mark is not None:
            del pending[mark:]


@sa_event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:  # committed (heard already), rolled back or closed
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)
