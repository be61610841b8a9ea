"""Admin API for referral rewards and the risk queue (marketer)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access.auth import marketer_required, owned_brand, owned_campaign
from engine.api.base import Blueprint
from engine.api.schemas import QuerySchema, free_form
from engine.models.risk import FLAG_STATUSES
from engine.referral import rewards
from engine.risk import flags as risk_flags
from engine.risk import review

blp = Blueprint("admin_referral", __name__, url_prefix="/api/v1/admin",
                description="Referral rewards and the risk queue (marketer)")


class ReferralConfigOutSchema(rewards.ReferralConfigSchema):
    """A campaign's referral rewards with the risk notice and who acknowledged it
    (dumps ``engine.referral.rewards.ReferralSettings``)."""

    acknowledged_by = fields.String(allow_none=True)
    acknowledged_at = fields.String(allow_none=True)
    risk_notice = fields.String()


class FlagSchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    player_id = fields.Integer(allow_none=True)
    kind = fields.String(metadata={"description": "referral_burst_address | referral_sharer_burst"
                                                  " | score_outlier | claim_device_players"})
    reason = fields.String()
    details = free_form("the figures that raised it: count, window_s, limit, value (the "
                        "address or sharer), newcomer_id; for a score: score, limit, median, "
                        "mad, sample, session_id; for a claim: device, players, batch_id")
    subject_kind = fields.String()
    subject_id = fields.Integer()
    held = fields.List(fields.Integer(), metadata={
        "description": "what waits, by subject_kind: referral reward ids (referral), the held "
                       "score's id (score), the coupon's id (coupon)"})
    status = fields.String()
    default_action = fields.String()
    deadline = fields.AwareDateTime()
    decided_by = fields.String(allow_none=True)
    decision_reason = fields.String()
    decided_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class FlagsSchema(Schema):
    flags = fields.List(fields.Nested(FlagSchema))


class FlagsQuerySchema(QuerySchema):
    status = fields.String(validate=validate.OneOf(FLAG_STATUSES))
    campaign_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class DecisionSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=255))


@blp.route("/campaigns/<int:campaign_id>/referral-rewards")
class ReferralRewardsView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, ReferralConfigOutSchema)
    def get(self, campaign_id):
        """Show the referral rewards: welcome, levels, caps, who acknowledged the risk."""
        return rewards.referral_config(owned_campaign(campaign_id))

    @blp.arguments(rewards.ReferralConfigSchema)
    @blp.response(200, ReferralConfigOutSchema)
    def put(self, body, campaign_id):
        """Set them (422 ``too_many_levels`` for a third level, ``risk_not_acknowledged``)."""
        return rewards.set_referral_config(owned_campaign(campaign_id), body, g.marketer.email)


@blp.route("/campaigns/<int:campaign_id>/risk-settings")
class RiskSettingsView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, risk_flags.RiskConfigSchema)
    def get(self, campaign_id):
        """Show the risk thresholds, the review deadline and the default after it."""
        return risk_flags.risk_config(owned_campaign(campaign_id))

    @blp.arguments(risk_flags.RiskConfigSchema)
    @blp.response(200, risk_flags.RiskConfigSchema)
    def put(self, body, campaign_id):
        """Set them (``default_action``: approve or reject a flag nobody reviewed in time)."""
        return risk_flags.set_risk_config(owned_campaign(campaign_id), body)


@blp.route("/brands/<brand_slug>/flags")
class FlagsView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(FlagsQuerySchema, location="query")
    @blp.response(200, FlagsSchema)
    def get(self, args, brand_slug):
        """List the risk queue, newest first (overdue flags follow their default first)."""
        brand = owned_brand(brand_slug)
        return {"flags": review.flags_of(brand.id, args.get("status"), args.get("campaign_id"),
                                         args["limit"])}


@blp.route("/brands/<brand_slug>/flags/<int:flag_id>/approve")
class ApproveFlagView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(DecisionSchema)
    @blp.response(200, FlagSchema)
    def post(self, body, brand_slug, flag_id):
        """Approve: what the flag held is given now (409 when already decided)."""
        return review.review(owned_brand(brand_slug).id, flag_id, "approve", g.marketer.email,
                             body["reason"])


@blp.route("/brands/<brand_slug>/flags/<int:flag_id>/reject")
class RejectFlagView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(DecisionSchema)
    @blp.response(200, FlagSchema)
    def post(self, body, brand_slug, flag_id):
        """Reject with a reason: what the flag held is not given (409 when already decided)."""
        return review.review(owned_brand(brand_slug).id, flag_id, "reject", g.marketer.email,
                             body["reason"])
