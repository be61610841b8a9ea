"""CRM and POS API (brand API key): redeeming coupons."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access.auth import api_key_required
from engine.api.base import Blueprint
from engine.api.schemas import Moment
from engine.rewards import coupons

blp = Blueprint("crm", __name__, url_prefix="/api/v1/crm",
                description="For the brand's CRM and POS (API key)")


class RedeemSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    store_id = fields.String(validate=validate.Length(max=64), allow_none=True)
    order_id = fields.String(validate=validate.Length(max=64), allow_none=True)


class RedeemedSchema(Schema):
    """A coupon just redeemed (dumps the ``Coupon`` row)."""

    code = fields.String()
    status = fields.String()
    redeemed_at = Moment()
    player_id = fields.Integer(allow_none=True)


@blp.route("/coupons/redeem")
class RedeemView(MethodView):
    decorators = [api_key_required("coupons:redeem")]

    @blp.arguments(RedeemSchema)
    @blp.response(200, RedeemedSchema)
    def post(self, body):
        """Redeem a coupon: 200 once, 409 after, 410 expired, 404 unknown."""
        return coupons.redeem_coupon(g.brand_id, body["code"], body.get("store_id"),
                                     body.get("order_id"))
