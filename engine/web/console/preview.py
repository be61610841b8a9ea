"""The campaign's preview: a phone-sized frame playing test rounds that are stored nowhere.

The frame is a console page (same origin, so ``frame-ancestors 'self'``
allows it) that runs the game's own client. Its rounds are scored by
``engine.campaigns.preview``, which writes nothing: analysts may preview too.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import render_template, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from engine.access import auth
from engine.api.garden import GameStateViewSchema
from engine.api.schemas import GameActionResultSchema, free_form
from engine.campaigns import preview
from engine.errors import ValidationFailed
from engine.web.console import bp, campaign_forms
from games import get_game_type

MAX_SEED = 2**31 - 1
PREVIEW_STATE = "the preview's own state: the page keeps it and sends it with each action"


class ReplayIn(Schema):
    """A preview round: its seed and its moves."""

    class Meta:
        unknown = EXCLUDE

    seed = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_SEED))
    moves = fields.List(fields.Raw(), required=True, validate=validate.Length(max=50_000))


class ActIn(Schema):
    """A preview action on the preview's own state."""

    class Meta:
        unknown = EXCLUDE

    state = fields.Dict(required=True)
    action = fields.String(required=True, validate=validate.Length(min=1, max=32))


class PreviewStateSchema(GameStateViewSchema):
    """A fresh preview: a player's ``GET .../garden`` answer and its state (``PreviewState``)."""

    state = free_form(PREVIEW_STATE)


class PreviewDoneSchema(GameActionResultSchema):
    """A preview action: a player's action answer and the new state (dumps ``PreviewDone``)."""

    state = free_form(PREVIEW_STATE)


def _load(schema: Schema) -> dict:
    try:
        return schema.load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        raise ValidationFailed(fields=exc.messages) from None


@bp.get("/campaigns/<int:campaign_id>/preview")
def preview_page(campaign_id: int):
    """Show the phone-sized preview frame beside the campaign's summary."""
    campaign = auth.owned_campaign(campaign_id)
    return render_template("console/preview.html", campaign=campaign)


@bp.get("/campaigns/<int:campaign_id>/preview/frame")
def preview_frame(campaign_id: int):
    """Serve the page inside the frame: the game's client in preview mode."""
    campaign = auth.owned_campaign(campaign_id)
    game = get_game_type(campaign.game_type)
    branding = {**campaign_forms.DEFAULT_BRANDING, **(campaign.branding or {})}
    data = {"campaign_id": campaign.id, "slug": campaign.slug, "type": campaign.game_type,
            "replayed": game.replayed, "params": campaign.game_params,
            "branding": branding, "ends_early": game.ends_early}
    return render_template("console/preview_frame.html", campaign=campaign, game=game,
                           data=data, branding=branding)


@bp.post("/campaigns/<int:campaign_id>/preview/replay")
def preview_replay(campaign_id: int):
    """Score a preview round by replaying it (nothing is stored)."""
    campaign = auth.owned_campaign(campaign_id, reading=True)
    body = _load(ReplayIn())
    return asdict(preview.replay(campaign, body["seed"], body["moves"]))


@bp.get("/campaigns/<int:campaign_id>/preview/garden")
def preview_state(campaign_id: int):
    """Return a fresh preview state of a server-authoritative game."""
    return PreviewStateSchema().dump(preview.fresh_state(auth.owned_campaign(campaign_id)))


@bp.post("/campaigns/<int:campaign_id>/preview/garden")
def preview_act(campaign_id: int):
    """Apply an action to the preview's state (nothing is stored)."""
    campaign = auth.owned_campaign(campaign_id, reading=True)
    body = _load(ActIn())
    return PreviewDoneSchema().dump(preview.act(campaign, body["state"], body["action"]))
