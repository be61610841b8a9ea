"""Output shapes shared by several API modules and by the live push.

Each output shape is one named schema: the view answers with it, the
OpenAPI document lists it under its name, and ``engine.boards.live`` dumps
its Socket.IO events with it. A shape used by one resource only lives in
that resource's module.
"""

from __future__ import annotations

from collections.abc import Mapping

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


class Kept(fields.Nested):
    """A nested shape that may come as kept: this schema's own earlier dump answers as it was.

    Answers kept for retries (a finish's rewards stored with its score, a game
    action's stored result) were dumped with the schema when first given; a
    retry answers those keys again, word for word, for rows kept before today
    too. An object not dumped yet is dumped by the schema.
    """

    def _serialize(self, nested_obj, attr, obj, **kwargs):
        if isinstance(nested_obj, Mapping):
            names = [field.data_key or name for name, field in self.schema.dump_fields.items()]
            return {name: nested_obj[name] for name in names if name in nested_obj}
        return super()._serialize(nested_obj, attr, obj, **kwargs)


class PlayerPublicSchema(Schema):
    """A player as others see them on a board (dumps a ``Player``)."""

    id = fields.Integer()
    nickname = fields.String(attribute="display_name", metadata={
        "description": "the nickname, or 玩家 and the id when none; empty if the player is gone"})
    avatar = fields.String()


class LeaderboardEntrySchema(Schema):
    """One ranked player (ranks are 1-based; ties: who reached the score first).

    Dumps ``engine.boards.standings.Standing``.
    """

    rank = fields.Integer()
    score = fields.Integer()
    player = fields.Nested(PlayerPublicSchema)


class MyRankSchema(Schema):
    """The viewer's own rank and best score on a board (dumps ``standings.PlayerRank``)."""

    rank = fields.Integer(allow_none=True)
    score = fields.Integer(allow_none=True)


class RewardSchema(Schema):
    """A coupon won by a score, a rank or a goal, as the result screen shows it.

    Dumps ``engine.rewards.awards.WonCoupon``. Its dump is also what is kept
    with a score (``Score.rewards``), a game action's result and a referral
    reward's detail: keep the fields and their order, rows kept earlier are
    answered again as they are.
    """

    type = fields.Constant("coupon", metadata={"type": "string", "description": "coupon"})
    title = fields.String(attribute="batch.title")
    value_text = fields.String(attribute="batch.value_text")
    code = fields.String(attribute="coupon.code")
    expires_at = Moment(attribute="coupon.expires_at", allow_none=True)


GAME_STATE_VIEW = ("the game type's view of my state (nurture: growth, stage, energy, streak, "
                   "actions with ready_in seconds, matured)")


class GameActionResultSchema(Schema):
    """One action's outcome: what it gained, whether it reached the goal, the new state.

    Dumps ``engine.play.state.ActionDone``; its dump is kept with the action
    (``GameAction.result``) and answered again to a retry of the same key.
    """

    action = fields.String()
    gained = fields.Integer()
    matured = fields.Boolean(metadata={"description": "this action reached the goal"})
    rewards = fields.List(Kept(RewardSchema), metadata={
        "description": "coupons reaching the goal won (a retry answers those kept)"})
    garden = free_form(GAME_STATE_VIEW)


class CouponSchema(Schema):
    """A coupon as its holder sees it (dumps ``engine.rewards.service.HeldCoupon``)."""

    code = fields.String(allow_none=True, metadata={
        "description": "null while the coupon is held for review (no code, no QR to show)"})
    title = fields.String(attribute="batch.title")
    value_text = fields.String(attribute="batch.value_text")
    status = fields.String(metadata={
        "description": "issued | redeemed | expired | held (a risk flag waits: not redeemable)"})
    issued_at = Moment(attribute="coupon.issued_at", allow_none=True)
    expires_at = Moment(attribute="coupon.expires_at", allow_none=True)
    redeemed_at = Moment(attribute="coupon.redeemed_at", allow_none=True)


class LeaderboardPushSchema(Schema):
    """Socket.IO ``leaderboard`` event on ``/live``: a room's top N after a change.

    Dumps ``engine.boards.live.BoardPush``.
    """

    campaign = fields.String(metadata={"description": "the campaign's slug"})
    period = fields.String()
    period_key = fields.String()
    entries = fields.List(fields.Nested(LeaderboardEntrySchema))
    version = fields.Integer(metadata={"description": "grows with every push of the room"})
    epoch = fields.String(metadata={"description": "names the life of the version counter: "
                                                   "a new epoch (Redis flushed) restarts it"})


class MyRankPushSchema(MyRankSchema):
    """Socket.IO ``my_rank`` event on ``/live``: the player's rank after a change.

    Sent after the player's own score, and after each coalesced push to every
    connected player of the room whose rank changed (an overtaken player learns
    the new rank, listed on the pushed board or not). Dumps ``standings.PlayerRank``.
    """

    period = fields.String()
    campaign = fields.String(metadata={"description": "the campaign's slug"})


#: Socket.IO events the server emits on ``/live``, by event name (also in the OpenAPI document)
LIVE_EVENTS = {"leaderboard": LeaderboardPushSchema, "my_rank": MyRankPushSchema}
