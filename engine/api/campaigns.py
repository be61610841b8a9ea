"""Player API for a campaign: its public view, opening sessions, leaderboards."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access import identity
from engine.access.rate_limits import limited
from engine.api.base import Blueprint
from engine.api.idempotency import idempotent
from engine.api.schemas import (
    LeaderboardEntrySchema,
    Moment,
    MyRankSchema,
    QuerySchema,
    free_form,
)
from engine.boards import standings
from engine.boards.periods import PERIODS
from engine.campaigns import cache, lifecycle, public_view
from engine.play import sessions

blp = Blueprint("campaigns", __name__, url_prefix="/api/v1/campaigns",
                description="A campaign as players see it")


class GameSchema(Schema):
    """The game a campaign plays: its type and the params its own schema validated."""

    type = fields.String()
    title = fields.String()
    params = free_form("the game type's params, as its own params schema filled them in")
    replayed = fields.Boolean(metadata={"description": "false: no sessions (nurture: garden API)"})
    ends_early = fields.Boolean(metadata={"description": "false: a game runs to its end"})


class ScheduleSchema(Schema):
    """When a campaign runs, and the zone its days and periods follow (dumps the campaign)."""

    starts_at = Moment(allow_none=True)
    ends_at = Moment(allow_none=True)
    timezone = fields.String()


class PrizePublicSchema(Schema):
    """A lottery prize as players see it."""

    id = fields.Integer()
    name = fields.String()
    image = fields.String()


class ClaimableSchema(Schema):
    """A coupon batch open to claim (领券)."""

    batch_id = fields.Integer(attribute="batch.id")
    title = fields.String(attribute="batch.title")
    value_text = fields.String(attribute="batch.value_text")
    left = fields.Integer()


class ViewerSchema(Schema):
    """The player viewing the page."""

    id = fields.Integer()
    nickname = fields.String(attribute="display_name")


class AudienceStatusSchema(Schema):
    """Whether the campaign's audience includes me, and why."""

    eligible = fields.Boolean(metadata={"description": "may I play"})
    reason = fields.String(allow_none=True, metadata={"description": (
        "in_audience | recommended | not_profiled | targeting_opt_out | not_in_audience | null")})


class ConsentNoticeSchema(Schema):
    """The profiling notice to show, and my answer to it."""

    handler = fields.String(metadata={"description": "the brand (personal-information handler)"})
    processor = fields.String(metadata={"description": "us, processing on the brand's behalf"})
    notice_version = fields.String()
    answered = fields.Boolean()
    profiling = fields.Boolean()
    targeting = fields.Boolean()


class CampaignPublicViewSchema(Schema):
    """A campaign as players see it, with the viewer's chances."""

    slug = fields.String(attribute="campaign.slug")
    title = fields.String(attribute="campaign.title")
    status = fields.String(attribute="campaign.status")
    live = fields.Boolean()
    game = fields.Nested(GameSchema)
    branding = free_form("the brand's colours, logo and copy, as the marketer set them",
                         attribute="campaign.branding")
    rules_text = fields.String(attribute="campaign.rules_text")
    schedule = fields.Nested(ScheduleSchema, attribute="campaign")
    prizes = fields.List(fields.Nested(PrizePublicSchema), attribute="rewards.prizes")
    plays_left = fields.Integer(allow_none=True, metadata={"description": "null: unlimited"})
    boards = fields.List(fields.String())
    draws_left = fields.Integer(attribute="rewards.draws_left")
    claimable = fields.List(fields.Nested(ClaimableSchema), attribute="rewards.claimable")
    player = fields.Nested(ViewerSchema, allow_none=True, metadata={"description": "me"})
    share_token = fields.String(allow_none=True, metadata={
        "description": "my share token: share links are /c/<slug>?s=<share_token>"})
    audience = fields.Nested(AudienceStatusSchema)
    consent = fields.Nested(ConsentNoticeSchema)


class StartSessionSchema(Schema):
    """The body of a session start: nothing is needed yet."""


class SessionGameSchema(Schema):
    """The game a session plays: its type and params (dumps the campaign)."""

    type = fields.String(attribute="game_type")
    params = free_form("the game type's params, as its own params schema filled them in",
                       attribute="game_params")


class SessionOpenedSchema(Schema):
    """A play session the server opened: play it with this seed, finish it with the token.

    Dumps ``engine.play.sessions.SessionOpened``.
    """

    session_id = fields.String(attribute="session.id")
    seed = fields.Integer(attribute="session.seed")
    token = fields.String()
    game = fields.Nested(SessionGameSchema, attribute="campaign")
    expires_at = Moment(attribute="session.expires_at")


class LeaderboardQuerySchema(QuerySchema):
    period = fields.String(load_default="all", validate=validate.OneOf(PERIODS))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100), metadata={
        "description": "top N; with around=me, N above and N below me"})
    around = fields.String(validate=validate.OneOf(["me"]))


class LeaderboardPageSchema(Schema):
    """A board's top N (or the N around me) and my rank."""

    period = fields.String()
    period_key = fields.String()
    entries = fields.List(fields.Nested(LeaderboardEntrySchema))
    me = fields.Nested(MyRankSchema, allow_none=True)


@blp.route("/<slug>")
class CampaignView(MethodView):
    @blp.response(200, CampaignPublicViewSchema)
    def get(self, slug):
        """Show a campaign: game, branding, schedule, rules, my plays left."""
        campaign = lifecycle.get_public_campaign(slug)
        player = identity.current_player(campaign.brand_id)
        return public_view.public_view(campaign, player)


@blp.route("/<slug>/sessions")
class SessionsView(MethodView):
    @idempotent
    @blp.arguments(StartSessionSchema)
    @blp.response(201, SessionOpenedSchema)
    @limited("session_start")
    def post(self, _body, slug):
        """Open a play session (403 not live, 429 no plays left today)."""
        found, player = cache.public_campaign_and_player(slug)
        campaign = found.campaign
        return sessions.open_session(campaign, identity.player_or_new(campaign, player))


@blp.route("/<slug>/leaderboard")
class LeaderboardView(MethodView):
    @blp.arguments(LeaderboardQuerySchema, location="query")
    @blp.response(200, LeaderboardPageSchema)
    def get(self, args, slug):
        """Show the top N of a period, or the N around me, and my rank."""
        campaign = lifecycle.get_public_campaign(slug)
        player = identity.current_player(campaign.brand_id)
        return standings.leaderboard_view(campaign, player, args["period"], args["limit"],
                                           around_me=args.get("around") == "me")
