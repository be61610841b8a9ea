"""A tag change as a CRM sees it: the shape of the pull API's changes and of a delivery's.

A delivery's changes are built afresh on every attempt from the outbox rows
(``tags.outbox.changes_by_id``), so a retry carries the same changes (and a
player erased meanwhile is sent without the personal fields erasure
removed). Their JSON is signed: ``DeliveredChangeSchema`` fixes the order of
the keys on the wire.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from engine.api.schemas import Moment
from tags.outbox import changes_by_id


class ChangePlayerSchema(Schema):
    """Whom a change is about (dumps ``tags.outbox.ChangedPlayer``)."""

    id = fields.Integer()
    openid = fields.String(allow_none=True)
    unionid = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "when the player gave it"})


class ChangeSchema(Schema):
    """A tag added to or removed from a player, or an erasure (dumps ``tags.outbox.Change``)."""

    id = fields.Integer()
    player = fields.Nested(ChangePlayerSchema, dump_only=True)
    tag = fields.String()
    group = fields.String()
    op = fields.String(metadata={"description": "add | remove | delete (erasure)"})
    rule_id = fields.Integer(allow_none=True)
    reason = fields.String(metadata={
        "description": "rule | consent_withdrawn | rule_deleted | erasure"})
    at = fields.DateTime()


class DeliveredChangeSchema(ChangeSchema):
    """A change in a delivery's signed body: with its position, ``at`` in ISO 8601 with offset."""

    position = fields.Integer(metadata={"description": "its place in the brand's commit order"})
    at = Moment()

    class Meta:
        # the order of the keys on the wire (the body is signed): never reorder
        fields = ("id", "position", "player", "tag", "group", "op", "rule_id", "reason", "at")


def changes_for(brand_id: int, change_ids: list[int]) -> list[dict]:
    """Return the changes ``change_ids`` of the brand in reading order, as a delivery sends them."""
    return DeliveredChangeSchema(many=True).dump(changes_by_id(brand_id, change_ids))
