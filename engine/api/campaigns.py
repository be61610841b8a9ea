"""Player API for a campaign: its public view, opening sessions, leaderboards."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.access import identity
from engine.access.rate_limits import limited
from engine.api.schemas import LeaderboardEntrySchema, MyRankSchema, QuerySchema
from engine.boards import standings
from engine.boards.periods import PERIODS
from engine.campaigns import lifecycle, public_view
from engine.clock import isoformat
from engine.play import sessions

blp = Blueprint("campaigns", __name__, url_prefix="/api/v1/campaigns",
                description="A campaign as players see it")


class GameSchema(Schema):
    type = fields.String()
    title = fields.String()
    params = fields.Dict()
    replayed = fields.Boolean(metadata={"description": "false: no sessions (nurture: garden API)"})
    ends_early = fields.Boolean(metadata={"description": "false: a game runs to its end"})


class CampaignPublicSchema(Schema):
    slug = fields.String()
    title = fields.String()
    status = fields.String()
    live = fields.Boolean()
    game = fields.Nested(GameSchema)
    branding = fields.Dict()
    rules_text = fields.String()
    schedule = fields.Dict()
    prizes = fields.List(fields.Dict(), metadata={"description": "lottery prizes: id, name, image"})
    plays_left = fields.Integer(allow_none=True, metadata={"description": "null: unlimited"})
    boards = fields.List(fields.String())
    draws_left = fields.Integer()
    claimable = fields.List(fields.Dict(), metadata={
        "description": "coupon batches open to claim: batch_id, title, value_text, left"})
    player = fields.Dict(allow_none=True, metadata={"description": "me: id, nickname"})
    share_token = fields.String(allow_none=True, metadata={
        "description": "my share token: share links are /c/<slug>?s=<share_token>"})
    audience = fields.Dict(metadata={"description": (
        "eligible: may I play; reason: in_audience | recommended | not_profiled | "
        "targeting_opt_out | not_in_audience | null")})
    consent = fields.Dict(metadata={"description": (
        "profiling notice: handler (the brand), processor (us), notice_version, answered, "
        "profiling, targeting")})


class StartSessionSchema(Schema):
    """The body of a session start: nothing is needed yet."""


class SessionOpenedSchema(Schema):
    session_id = fields.String()
    seed = fields.Integer()
    token = fields.String()
    game = fields.Nested(GameSchema)
    expires_at = fields.String()


class LeaderboardQuerySchema(QuerySchema):
    period = fields.String(load_default="all", validate=validate.OneOf(PERIODS))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100), metadata={
        "description": "top N; with around=me, N above and N below me"})
    around = fields.String(validate=validate.OneOf(["me"]))


class LeaderboardSchema(Schema):
    period = fields.String()
    period_key = fields.String()
    entries = fields.List(fields.Nested(LeaderboardEntrySchema))
    me = fields.Nested(MyRankSchema, allow_none=True)


@blp.route("/<slug>")
class CampaignView(MethodView):
    @blp.response(200, CampaignPublicSchema)
    def get(self, slug):
        """Show a campaign: game, branding, schedule, rules, my plays left."""
        campaign = lifecycle.get_public_campaign(slug)
        player = identity.current_player(campaign.brand_id)
        return public_view.public_view(campaign, player)


@blp.route("/<slug>/sessions")
class SessionsView(MethodView):
    @blp.arguments(StartSessionSchema)
    @blp.response(201, SessionOpenedSchema)
    @limited("session_start")
    def post(self, _body, slug):
        """Open a play session (403 not live, 429 no plays left today)."""
        campaign = lifecycle.get_public_campaign(slug)
        session = sessions.start_session(campaign, identity.player_for_request(campaign))
        return {"session_id": session.id, "seed": session.seed,
                "token": sessions.session_token(session),
                "game": {"type": campaign.game_type, "params": campaign.game_params},
                "expires_at": isoformat(session.expires_at)}


@blp.route("/<slug>/leaderboard")
class LeaderboardView(MethodView):
    @blp.arguments(LeaderboardQuerySchema, location="query")
    @blp.response(200, LeaderboardSchema)
    def get(self, args, slug):
        """Show the top N of a period, or the N around me, and my rank."""
        campaign = lifecycle.get_public_campaign(slug)
        player = identity.current_player(campaign.brand_id)
        return standings.leaderboard_view(campaign, player, args["period"], args["limit"],
                                           around_me=args.get("around") == "me")
