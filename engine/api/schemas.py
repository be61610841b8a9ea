"""Output shapes shared by several API modules and by the live push.

Each output shape is one named schema: the view answers with it, the
OpenAPI document lists it under its name, and ``engine.boards.live`` dumps
its Socket.IO events with it. A shape used by one resource only lives in
that resource's module.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from engine.clock import isoformat


class QuerySchema(Schema):
    """Query arguments: unknown ones are ignored (WeChat appends its own)."""

    class Meta:
        unknown = EXCLUDE


def free_form(description: str, **kwargs) -> fields.Dict:
    """Return an object field whose keys belong to a game type or a marketer, described."""
    return fields.Dict(keys=fields.String(), metadata={"description": description}, **kwargs)


class Moment(fields.String):
    """A moment as ISO 8601 in UTC with its offset (``2030-02-28T16:00:00+00:00``), or null."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)


class Count(fields.Integer):
    """How many items a list holds (a service keeps the items, the answer shows the count)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else len(value)


class PlayerPublicSchema(Schema):
    """A player as others see them on a board."""

    id = fields.Integer()
    nickname = fields.String()
    avatar = fields.String()


class LeaderboardEntrySchema(Schema):
    """One ranked player (ranks are 1-based; ties: who reached the score first)."""

    rank = fields.Integer()
    score = fields.Integer()
    player = fields.Nested(PlayerPublicSchema)


class MyRankSchema(Schema):
    """The viewer's own rank and best score on a board."""

    rank = fields.Integer(allow_none=True)
    score = fields.Integer(allow_none=True)


class RewardSchema(Schema):
    """A coupon won by a score, a rank or a goal, as the result screen shows it."""

    type = fields.String(metadata={"description": "coupon"})
    title = fields.String()
    value_text = fields.String()
    code = fields.String()
    expires_at = fields.String(allow_none=True)


class CouponSchema(Schema):
    """A coupon as its holder sees it (dumps ``engine.rewards.service.HeldCoupon``)."""

    code = fields.String(attribute="coupon.code")
    title = fields.String(attribute="batch.title")
    value_text = fields.String(attribute="batch.value_text")
    status = fields.String(metadata={
        "description": "issued | redeemed | expired | held (a risk flag waits: not redeemable)"})
    issued_at = Moment(attribute="coupon.issued_at", allow_none=True)
    expires_at = Moment(attribute="coupon.expires_at", allow_none=True)
    redeemed_at = Moment(attribute="coupon.redeemed_at", allow_none=True)


class LeaderboardPushSchema(Schema):
    """Socket.IO ``leaderboard`` event on ``/live``: a room's top N after a change."""

    campaign = fields.String(metadata={"description": "the campaign's slug"})
    period = fields.String()
    period_key = fields.String()
    entries = fields.List(fields.Nested(LeaderboardEntrySchema))
    version = fields.Integer(metadata={"description": "grows with every push of the room"})
    epoch = fields.String(metadata={"description": "names the life of the version counter: "
                                                   "a new epoch (Redis flushed) restarts it"})


class MyRankPushSchema(Schema):
    """Socket.IO ``my_rank`` event on ``/live``: the player's rank after a change.

    Sent after the player's own score, and after each coalesced push to every
    connected player of the room whose rank changed (an overtaken player learns
    the new rank, listed on the pushed board or not).
    """

    rank = fields.Integer(allow_none=True)
    score = fields.Integer(allow_none=True)
    period = fields.String()
    campaign = fields.String(metadata={"description": "the campaign's slug"})


#: Socket.IO events the server emits on ``/live``, by event name (also in the OpenAPI document)
LIVE_EVENTS = {"leaderboard": LeaderboardPushSchema, "my_rank": MyRankPushSchema}
