"""Player API for rewards: lottery draws, claiming a coupon, my coupons."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from engine.access import identity, rate_limits
from engine.access.rate_limits import limited
from engine.api.base import Blueprint
from engine.api.idempotency import idempotent
from engine.api.schemas import CouponSchema
from engine.campaigns import cache, lifecycle
from engine.rewards import service

blp = Blueprint("rewards", __name__, url_prefix="/api/v1", description="Coupons and draws")


class EmptySchema(Schema):
    """A body that carries nothing."""


class CouponsSchema(Schema):
    """My coupons (我的券), newest first."""

    coupons = fields.List(fields.Nested(CouponSchema))


class PrizeWonSchema(Schema):
    """A prize a draw won, with its coupon when it carries one."""

    id = fields.Integer(attribute="prize.id")
    name = fields.String(attribute="prize.name")
    image = fields.String(attribute="prize.image")
    coupon = fields.Nested(CouponSchema, allow_none=True)


class DrawResultSchema(Schema):
    """What one draw won (null: nothing) and the draws left."""

    prize = fields.Nested(PrizeWonSchema, allow_none=True)
    draws_left = fields.Integer()


@blp.route("/campaigns/<slug>/draws")
class DrawsView(MethodView):
    @idempotent
    @blp.arguments(EmptySchema)
    @blp.response(200, DrawResultSchema)
    @limited("draw")
    def post(self, _body, slug):
        """Spend one draw (429 when none is left) and show what it won."""
        campaign = lifecycle.get_public_campaign(slug)
        return service.draw_for(campaign, identity.player_for_request(campaign))


@blp.route("/campaigns/<slug>/coupon-batches/<int:batch_id>/claim")
class ClaimView(MethodView):
    @idempotent
    @blp.arguments(EmptySchema)
    @blp.response(201, CouponSchema)
    @limited("claim")
    def post(self, _body, slug, batch_id):
        """Claim a coupon of a claimable batch (409 when gone or already held)."""
        found, player = cache.public_campaign_and_player(slug)
        campaign = found.campaign
        return service.claim(campaign, identity.player_or_new(campaign, player), batch_id,
                             device=rate_limits.device_key())


@blp.route("/me/coupons")
class MyCouponsView(MethodView):
    @blp.response(200, CouponsSchema)
    def get(self):
        """List the coupons of every player this browser is, newest first."""
        return {"coupons": service.my_coupons(identity.known_player_ids())}
