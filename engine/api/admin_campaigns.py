"""Admin API for campaigns: list and create per brand, read, patch, publish, pause, end.

The rules of a campaign's life (slug unique, schedule in order, game locked
while live, which status may follow which) live in ``engine.campaigns.admin``;
the views only parse, call one service function and serialize.
"""

from __future__ import annotations

import json
import re

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from engine.access.auth import marketer_required, owned_brand, owned_campaign
from engine.api.base import Blueprint
from engine.api.schemas import Moment, free_form
from engine.boards.periods import PERIODS
from engine.campaigns import admin
from engine.rewards.draws import DrawConfigSchema

blp = Blueprint("admin_campaigns", __name__, url_prefix="/api/v1/admin",
                description="Campaigns of the marketer's brands")

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


def _json_size(limit: int):
    def check(value) -> None:
        if len(json.dumps(value, ensure_ascii=False)) > limit:
            raise ValidationError(f"不能超过 {limit} 个字符")
    return check


def _distinct(values: list) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("不能重复")


class CampaignInSchema(Schema):
    slug = fields.String(required=True, validate=validate.Regexp(
        SLUG_RE, error="只能包含小写字母、数字和连字符，2-64 位"))
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    game_type = fields.String(required=True, validate=validate.Length(min=1, max=32))
    game_params = fields.Dict(keys=fields.String(), load_default=dict,
                              validate=_json_size(20_000))
    branding = fields.Dict(keys=fields.String(), load_default=dict, validate=_json_size(20_000))
    rules_text = fields.String(load_default="", validate=validate.Length(max=10_000))
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(max=64))
    starts_at = fields.AwareDateTime(allow_none=True)
    ends_at = fields.AwareDateTime(allow_none=True)
    plays_per_day = fields.Integer(strict=True, load_default=0,
                                   validate=validate.Range(min=0, max=1000))
    require_userinfo = fields.Boolean(load_default=False)
    draw_config = fields.Nested(DrawConfigSchema, load_default=lambda: DrawConfigSchema().load({}))
    boards = fields.List(fields.String(validate=validate.OneOf(PERIODS)),
                         load_default=lambda: list(PERIODS),
                         validate=[validate.Length(min=1, max=3), _distinct])


class AdminCampaignSchema(Schema):
    """A campaign with every field, as the marketer sees it."""

    id = fields.Integer()
    brand = fields.String(attribute="brand.slug", metadata={"description": "the brand's slug"})
    slug = fields.String()
    status = fields.String(metadata={"description": "draft | live | paused | ended"})
    title = fields.String()
    game_type = fields.String()
    game_params = free_form("the game type's params, as its own params schema filled them in")
    game_version = fields.Integer(metadata={
        "description": "starts at 1; bumped when the game or its parameters change after plays"})
    branding = free_form("the brand's colours, logo and copy")
    rules_text = fields.String()
    timezone = fields.String()
    starts_at = Moment(allow_none=True)
    ends_at = Moment(allow_none=True)
    plays_per_day = fields.Integer()
    require_userinfo = fields.Boolean()
    draw_config = fields.Nested(DrawConfigSchema)
    boards = fields.List(fields.String())
    created_at = Moment()
    updated_at = Moment()


class AdminCampaignsSchema(Schema):
    campaigns = fields.List(fields.Nested(AdminCampaignSchema))


class AdminBrandSchema(Schema):
    slug = fields.String()
    name = fields.String()


class AdminBrandsSchema(Schema):
    brands = fields.List(fields.Nested(AdminBrandSchema))


class CampaignActionSchema(Schema):
    """The body of publish, pause and end: nothing."""


class CampaignPatchSchema(CampaignInSchema):
    """Any of the fields of a new campaign (loaded with ``partial=True``)."""


# the views


@blp.route("/brands")
class BrandsView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, AdminBrandsSchema)
    def get(self):
        """List the brands I work for."""
        return {"brands": admin.brands_of_marketer()}


@blp.route("/brands/<brand_slug>/campaigns")
class BrandCampaignsView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, AdminCampaignsSchema)
    def get(self, brand_slug):
        """List the brand's campaigns, newest first."""
        return {"campaigns": admin.campaigns_of(owned_brand(brand_slug))}

    @blp.arguments(CampaignInSchema)
    @blp.response(201, AdminCampaignSchema)
    def post(self, body, brand_slug):
        """Create a draft campaign (409 ``slug_taken``; 422 ``invalid_params``)."""
        return admin.create_draft(owned_brand(brand_slug), body)


@blp.route("/campaigns/<int:campaign_id>")
class CampaignView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, AdminCampaignSchema)
    def get(self, campaign_id):
        """Show a campaign with every field."""
        return owned_campaign(campaign_id)

    @blp.arguments(CampaignPatchSchema(partial=True))
    @blp.response(200, AdminCampaignSchema)
    def patch(self, body, campaign_id):
        """Change some fields; game parameters are validated by the game type again."""
        return admin.update_campaign(owned_campaign(campaign_id), body)


@blp.route("/campaigns/<int:campaign_id>/publish")
class PublishView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(CampaignActionSchema)
    @blp.response(200, AdminCampaignSchema)
    def post(self, _body, campaign_id):
        """Make the campaign live (422 when its end has passed or it ends before it starts)."""
        return admin.publish(owned_campaign(campaign_id))


@blp.route("/campaigns/<int:campaign_id>/pause")
class PauseView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(CampaignActionSchema)
    @blp.response(200, AdminCampaignSchema)
    def post(self, _body, campaign_id):
        """Pause a live campaign: players see it but cannot play."""
        return admin.pause(owned_campaign(campaign_id))


@blp.route("/campaigns/<int:campaign_id>/end")
class EndView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(CampaignActionSchema)
    @blp.response(200, AdminCampaignSchema)
    def post(self, _body, campaign_id):
        """End a published campaign for good (409 ``campaign_not_published`` for a draft)."""
        return admin.end(owned_campaign(campaign_id))
