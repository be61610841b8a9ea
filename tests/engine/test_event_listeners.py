"""Listeners hear of exactly the events their transaction committed.

A rolled-back savepoint (``begin_nested``: a coupon that could not be issued,
a lost insert race) undoes its own events only; the events recorded before it
in the same transaction still reach the listeners at the commit.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import events
from engine.events import record_event
from engine.extensions import db
from engine.models import Event
from tests.factories import make_brand


@pytest.fixture()
def heard(app):
    """Every batch of events the listeners were told of, while the test runs."""
    batches: list[list[str]] = []

    def listener(recorded):
        batches.append([r.kind for r in recorded])

    events.on_committed(listener)
    yield batches
    events._listeners.remove(listener)


class Undone(Exception):
    pass


def _stored_kinds(brand_id: int) -> list[str]:
    return list(db.session.scalars(select(Event.kind).where(Event.brand_id == brand_id)
                                   .order_by(Event.id)))


def test_a_rolled_back_savepoint_drops_only_its_own_events(app, heard):
    brand = make_brand()
    db.session.commit()
    heard.clear()
    record_event("before", brand_id=brand.id)
    try:
        with db.session.begin_nested():
            record_event("inside", brand_id=brand.id)
            db.session.flush()
            raise Undone()
    except Undone:
        pass
    record_event("after", brand_id=brand.id)
    db.session.commit()
    assert heard == [["before", "after"]]
    assert _stored_kinds(brand.id) == ["before", "after"]


def test_a_released_savepoint_keeps_its_events_for_the_commit(app, heard):
    brand = make_brand()
    db.session.commit()
    heard.clear()
    record_event("before", brand_id=brand.id)
    with db.session.begin_nested():
        record_event("inside", brand_id=brand.id)
    assert heard == []  # a release commits nothing yet
    try:
        with db.session.begin_nested():  # a second savepoint, rolled back, after the first
            record_event("undone", brand_id=brand.id)
            db.session.flush()
            raise Undone()
    except Undone:
        pass
    db.session.commit()
    assert heard == [["before", "inside"]]
    assert _stored_kinds(brand.id) == ["before", "inside"]


def test_a_rolled_back_transaction_is_heard_of_by_no_one(app, heard):
    brand = make_brand()
    db.session.commit()
    heard.clear()
    record_event("lost", brand_id=brand.id)
    db.session.flush()
    db.session.rollback()
    record_event("next", brand_id=brand.id)
    db.session.commit()
    assert heard == [["next"]]
    assert db.session.scalar(select(func.count(Event.id)).where(
        Event.brand_id == brand.id, Event.kind == "lost")) == 0
