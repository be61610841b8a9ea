"""CRM pull API (brand API key, scope ``tags:read``): tag changes by cursor, a player's tags."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access.auth import api_key_required
from engine.api.base import Blueprint
from engine.api.schemas import QuerySchema
from tags import outbox, state
from tags.crm.payload import ChangeSchema

blp = Blueprint("crm_tags", __name__, url_prefix="/api/v1/crm",
                description="Tag changes and player tags for the brand's CRM (API key)")


class ChangesQuerySchema(QuerySchema):
    cursor = fields.String(load_default=None, validate=validate.Length(max=200), metadata={
        "description": "next_cursor of the previous page; absent: from the beginning"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ChangesSchema(Schema):
    """A page of tag changes in commit order, and the cursor to read on from."""

    changes = fields.List(fields.Nested(ChangeSchema))
    next_cursor = fields.String()


class PlayerTagSchema(Schema):
    """A tag the player holds now (dumps ``tags.state.HeldTag``)."""

    tag = fields.String(attribute="rule.name", metadata={"description": "the tag's name"})
    group = fields.String(attribute="group.name", metadata={"description": "its group's name"})
    rule_id = fields.Integer(attribute="held.rule_id")
    set_at = fields.DateTime(attribute="held.set_at", metadata={
        "description": "when the player got the tag"})


class PlayerTagsSchema(Schema):
    """A player's current tags, oldest first."""

    player_id = fields.Integer()
    tags = fields.List(fields.Nested(PlayerTagSchema))


@blp.route("/tag-changes")
class TagChangesView(MethodView):
    decorators = [api_key_required("tags:read")]

    @blp.arguments(ChangesQuerySchema, location="query")
    @blp.response(200, ChangesSchema)
    def get(self, args):
        """Read tag changes after a cursor: each exactly once, in commit order."""
        after = outbox.decode_cursor(g.brand_id, args["cursor"])
        page = outbox.changes_after(g.brand_id, after, args["limit"])
        return {"changes": page.changes,
                "next_cursor": outbox.encode_cursor(g.brand_id, page.next_position)}


@blp.route("/players/<int:player_id>/tags")
class PlayerTagsView(MethodView):
    decorators = [api_key_required("tags:read")]

    @blp.response(200, PlayerTagsSchema)
    def get(self, player_id):
        """List a player's current tags with the rule and time that set each."""
        return {"player_id": player_id, "tags": state.tags_of(g.brand_id, player_id)}
