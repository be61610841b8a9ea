"""Admin API for closed leaderboard periods: which are closed, and their final standings."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access.auth import marketer_required, owned_campaign
from engine.api.base import Blueprint
from engine.api.schemas import QuerySchema
from engine.boards import period_close

blp = Blueprint("admin_standings", __name__, url_prefix="/api/v1/admin",
                description="Final standings of closed periods")


class CloseSchema(Schema):
    """A frozen or closed leaderboard period."""

    game_version = fields.Integer(metadata={
        "description": "the game rules' version whose boards closed (editing the rules "
                       "after plays starts new boards)"})
    period = fields.String()
    period_key = fields.String()
    status = fields.String(metadata={"description": "frozen | closed (prizes awarded)"})
    players = fields.Integer()
    awarded = fields.Integer()
    closed_at = fields.DateTime(allow_none=True)


class ClosesSchema(Schema):
    closes = fields.List(fields.Nested(CloseSchema))


class StandingsQuerySchema(QuerySchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    game_version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1),
                                  metadata={"description": "an earlier version's final "
                                                           "standings; default: the current"})


class StandingPlayerSchema(Schema):
    """A ranked player as the marketer sees them."""

    id = fields.Integer()
    nickname = fields.String(attribute="display_name")
    openid = fields.String(allow_none=True)


class FinalStandingSchema(Schema):
    """One final rank of a closed period."""

    rank = fields.Integer()
    score = fields.Integer()
    reached_at = fields.DateTime(metadata={"description": "when the player reached the score"})
    player = fields.Nested(StandingPlayerSchema)


class StandingsSchema(CloseSchema):
    """A closed period's final ranks."""

    entries = fields.List(fields.Nested(FinalStandingSchema))


@blp.route("/campaigns/<int:campaign_id>/standings")
class ClosesView(MethodView):
    decorators = [marketer_required]

    @blp.response(200, ClosesSchema)
    def get(self, campaign_id):
        """List the campaign's frozen and closed periods, newest first."""
        return {"closes": period_close.closes_of(owned_campaign(campaign_id))}


@blp.route("/campaigns/<int:campaign_id>/standings/<period>/<period_key>")
class StandingsView(MethodView):
    decorators = [marketer_required]

    @blp.arguments(StandingsQuerySchema, location="query")
    @blp.response(200, StandingsSchema)
    def get(self, args, campaign_id, period, period_key):
        """Show a closed period's final ranks, scores and players (404 if not closed)."""
        return period_close.final_standings(owned_campaign(campaign_id), period, period_key,
                                            args["limit"], args["game_version"])
