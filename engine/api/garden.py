"""Player API for a nurture garden: its state, and one action at a time."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access import identity
from engine.access.rate_limits import limited
from engine.api.base import Blueprint
from engine.api.schemas import GAME_STATE_VIEW, GameActionResultSchema, RewardSchema, free_form
from engine.campaigns import cache, lifecycle
from engine.play import state

blp = Blueprint("garden", __name__, url_prefix="/api/v1/campaigns",
                description="Nurture: a player's plant and its daily care")


class GardenActionSchema(Schema):
    action = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z][a-z0-9_]{0,31}$", error="Not an action key."))
    # a client-made id per tap: a retried request with the same key is answered again
    idempotency_key = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.:-]{8,64}$", error="8-64 letters, digits or _.:-"))


class GoalRewardSchema(Schema):
    """What reaching the goal brings, and the coupon once won (dumps ``GoalReward``)."""

    title = fields.String(metadata={"description": "the rule's title, else its batch's"})
    value_text = fields.String(attribute="batch.value_text")
    won = fields.Nested(RewardSchema, allow_none=True)


class GameStateViewSchema(Schema):
    """My state in a server-authoritative game, and what its goal brings."""

    garden = free_form(GAME_STATE_VIEW)
    maturity_rewards = fields.List(fields.Nested(GoalRewardSchema), metadata={
        "description": "goal_reached rewards (the field keeps its first name)"})


@blp.route("/<slug>/garden")
class GardenView(MethodView):
    @blp.response(200, GameStateViewSchema)
    def get(self, slug):
        """Show my plant: growth, stage, energy, streak and each action's timer."""
        campaign = lifecycle.get_public_campaign(slug)
        return state.state_view(campaign, identity.player_for_request(campaign))


@blp.route("/<slug>/garden/actions")
class GardenActionsView(MethodView):
    @blp.arguments(GardenActionSchema)
    @blp.response(200, GameActionResultSchema)
    @limited("garden_action")
    def post(self, body, slug):
        """Do one action (429 with retry_after while cooling down, over the limit or tired)."""
        found, player = cache.public_campaign_and_player(slug)
        campaign = found.campaign
        return state.perform(campaign, identity.player_or_new(campaign, player), body["action"],
                              body["idempotency_key"])
