"""Admin API for award failures: earned coupons not issued, and their retry (marketer)."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access.auth import marketer_required, owned_campaign
from engine.api.base import Blueprint
from engine.api.schemas import QuerySchema
from engine.rewards import failures

blp = Blueprint("admin_award_failures", __name__, url_prefix="/api/v1/admin",
                description="Earned coupons that could not be issued, and their retry (marketer)")


class AwardFailureSchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    rule_id = fields.Integer(allow_none=True)
    player_id = fields.Integer()
    batch_id = fields.Integer()
    source = fields.String(metadata={"description": "score | rank | goal_reached"})
    award_key = fields.String()
    period = fields.String(allow_none=True)
    period_key = fields.String(allow_none=True)
    game_version = fields.Integer(metadata={"description": "a rank prize's board version"})
    reason = fields.String(metadata={
        "description": "coupons_exhausted | coupon_limit_reached | coupon_not_available"})
    message = fields.String()
    attempts = fields.Integer()
    status = fields.String(metadata={"description": "open | resolved"})
    coupon_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    last_tried_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)


class AwardFailuresSchema(Schema):
    failures = fields.List(fields.Nested(AwardFailureSchema))


class AwardFailuresQuery(QuerySchema):
    status = fields.String(validate=validate.OneOf(["open", "resolved"]))


@blp.route("/campaigns/<int:campaign_id>/award-failures")
class AwardFailuresView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(AwardFailuresQuery, location="query")
    @blp.response(200, AwardFailuresSchema)
    def get(self, query, campaign_id):
        """List the campaign's award failures, newest first, each with its reason."""
        campaign = owned_campaign(campaign_id)
        return {"failures": failures.failures_of(campaign, query.get("status"))}


@blp.route("/campaigns/<int:campaign_id>/award-failures/<int:failure_id>/retry")
class AwardFailureRetryView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, AwardFailureSchema)
    def post(self, campaign_id, failure_id):
        """Issue the coupon now (200, resolved); 409 with the reason while it still cannot be."""
        return failures.retry(owned_campaign(campaign_id), failure_id)
