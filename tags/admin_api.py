"""Admin API for a brand's tags: groups, rules (CRUD, dry run) and counts per tag."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access.auth import marketer_required, owned_brand, owned_campaign
from engine.api.base import Blueprint
from tags import admin

blp = Blueprint("admin_tags", __name__, url_prefix="/api/v1/admin",
                description="A brand's tag groups, tag rules and tag counts")

_NAME = validate.Length(min=1, max=40)


class GroupName(fields.String):
    """A tag group by its name: loads the name as given, dumps the name of a rule's group row."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(None if value is None else value.name, attr, obj, **kwargs)


class GroupSchema(Schema):
    """A tag group (dumps a ``TagGroup``)."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=_NAME)
    exclusive = fields.Boolean(load_default=False, metadata={
        "description": "a player holds at most one tag of the group (highest priority wins)"})


class GroupsSchema(Schema):
    """The brand's tag groups."""

    groups = fields.List(fields.Nested(GroupSchema))


RULE_JSON = "JSON condition (docs/tags.md)"


class RuleSchema(Schema):
    """A tag rule: the tag, its group and the condition (dumps a ``TagRule``)."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=_NAME, metadata={"description": "the tag"})
    group = GroupName(required=True, validate=_NAME, metadata={"description": "the group's name"})
    rule = fields.Raw(required=True, metadata={"description": RULE_JSON})
    priority = fields.Integer(load_default=0, validate=validate.Range(min=-1000, max=1000))
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class RulePatchSchema(Schema):
    name = fields.String(validate=_NAME)
    group = fields.String(validate=_NAME)
    rule = fields.Raw(metadata={"description": RULE_JSON})
    priority = fields.Integer(validate=validate.Range(min=-1000, max=1000))


class RulesSchema(Schema):
    """The brand's tag rules, by group, priority (highest first) and id."""

    rules = fields.List(fields.Nested(RuleSchema))


class DryRunBodySchema(Schema):
    rule = fields.Raw(required=True, metadata={"description": RULE_JSON})


class DryRunSchema(Schema):
    """What a rule would do now, nothing saved (dumps ``tags.evaluation.DryRun``)."""

    players = fields.Integer(metadata={"description": "players of the brand"})
    matched = fields.Integer(metadata={"description": "players the rule matches now"})
    would_tag = fields.Integer(metadata={"description": "of those, who consented to profiling"})


class TagCountSchema(Schema):
    """A tag with how many players hold it now (dumps ``tags.evaluation.TagCount``)."""

    rule_id = fields.Integer(attribute="rule.id")
    tag = fields.String(attribute="rule.name")
    group = fields.String(attribute="group.name")
    exclusive = fields.Boolean(attribute="group.exclusive")
    priority = fields.Integer(attribute="rule.priority")
    players = fields.Integer(metadata={"description": "players holding the tag now"})


class TagCountsSchema(Schema):
    """Every tag of the brand, by group, priority (highest first) and rule id."""

    tags = fields.List(fields.Nested(TagCountSchema))


@blp.route("/brands/<brand>/tag-groups")
class GroupsView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, GroupsSchema)
    def get(self, brand):
        """List the brand's tag groups (the default set on first use)."""
        return {"groups": admin.groups_of(owned_brand(brand).id)}

    @blp.arguments(GroupSchema)
    @blp.response(201, GroupSchema)
    def post(self, body, brand):
        """Create a tag group; 409 for a name the brand already uses."""
        return admin.create_group(owned_brand(brand).id, body["name"], body["exclusive"])


@blp.route("/brands/<brand>/tag-rules")
class RulesView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, RulesSchema)
    def get(self, brand):
        """List the brand's tag rules."""
        return {"rules": admin.rules_of(owned_brand(brand).id)}

    @blp.arguments(RuleSchema)
    @blp.response(201, RuleSchema)
    def post(self, body, brand):
        """Create a tag rule (422 naming the field for an unknown metric or operator)."""
        return admin.create_rule(owned_brand(brand).id, body)


@blp.route("/brands/<brand>/tag-rules/<int:rule_id>")
class RuleView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(RulePatchSchema)
    @blp.response(200, RuleSchema)
    def patch(self, body, brand, rule_id):
        """Change a tag rule; its tag is re-evaluated for everyone soon."""
        return admin.update_rule(owned_brand(brand).id, rule_id, body)

    @blp.response(204)
    def delete(self, brand, rule_id):
        """Delete a tag rule; each holder of its tag gets a ``remove`` change."""
        admin.delete_rule(owned_brand(brand).id, rule_id)


@blp.route("/brands/<brand>/tag-rules/dry-run")
class DryRunView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(DryRunBodySchema)
    @blp.response(200, DryRunSchema)
    def post(self, body, brand):
        """Count the players a rule would tag now, without saving it."""
        return admin.dry_run(owned_brand(brand).id, body["rule"])


@blp.route("/brands/<brand>/tags")
class TagsView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, TagCountsSchema)
    def get(self, brand):
        """List every tag of the brand with how many players hold it."""
        return {"tags": admin.tag_counts(owned_brand(brand).id)}


class AudienceSchema(Schema):
    """Who a campaign is for (dumps ``tags.admin.Audience``)."""

    tag = fields.String(required=True, allow_none=True, validate=_NAME, metadata={
        "description": "the tag whose holders the campaign is for; null: everyone"})
    mode = fields.String(load_default="limit", allow_none=True,
                         validate=validate.OneOf(["limit", "recommend"]), metadata={
        "description": "limit: others get 403 not_in_audience; recommend: a hint only"})


@blp.route("/campaigns/<int:campaign_id>/audience")
class AudienceView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(AudienceSchema)
    @blp.response(200, AudienceSchema)
    def put(self, body, campaign_id):
        """Set who the campaign is for: the holders of one tag, limited or recommended."""
        return admin.set_audience(owned_campaign(campaign_id), body["tag"],
                                  body["mode"] or "limit")
