"""Player API: the profiling consent (PIPL), per brand, answered from a campaign's page."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access import identity
from engine.api.base import Blueprint
from engine.campaigns import lifecycle
from tags import consent

blp = Blueprint("consent", __name__, url_prefix="/api/v1/campaigns",
                description="A player's consent to profiling (per brand)")


class ConsentBodySchema(Schema):
    profiling = fields.Boolean(required=True, metadata={
        "description": "true: the brand may tag me; false: never (withdraws tags held)"})
    notice_version = fields.String(required=True, validate=validate.Length(min=1, max=20))
    targeting = fields.Boolean(metadata={
        "description": "false: tags must not decide what I am offered (PIPL Art. 24)"})


class ConsentSchema(Schema):
    profiling = fields.Boolean()
    targeting = fields.Boolean()
    notice_version = fields.String()
    updated_at = fields.DateTime()


@blp.route("/<slug>/consent")
class ConsentView(MethodView):
    @blp.arguments(ConsentBodySchema)
    @blp.response(200, ConsentSchema)
    def post(self, body, slug):
        """Record my answer to the profiling notice for this campaign's brand."""
        campaign = lifecycle.get_public_campaign(slug)
        return consent.record_consent(campaign, identity.player_for_request(campaign),
                                      body["profiling"], body["notice_version"],
                                      body.get("targeting"))
