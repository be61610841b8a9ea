"""Console pages that make and change a campaign: new, edit by section, publish, pause, end.

Each section posts its own form; the view reads it (``campaign_forms`` or
the generated game form), calls one admin service and shows the page again
with the messages beside the fields. Images arrive as files beside the
fields they fill; a form with files has a body limit of its own
(``BODY_LIMITS`` in the package).
"""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from engine import media
from engine.access import auth
from engine.api.errors import status_of
from engine.campaigns import admin
from engine.errors import DomainError
from engine.web.console import bp, campaign_forms, param_form
from games import GAME_TYPES, get_game_type

SECTIONS = ("basics", "game", "branding", "schedule")


def _uploads(prefix_paths: list[str], brand_id: int) -> tuple[dict, dict]:
    """Store the files posted beside image fields; return ({path: url}, {path: errors})."""
    urls, errors = {}, {}
    for path in prefix_paths:
        file = request.files.get(param_form.FILE_PREFIX + path)
        if file is None or not file.filename:
            continue
        try:
            row = media.store_image(brand_id, file.read(), g.marketer.id)
            urls[path] = media.url_of(row)
        except DomainError as exc:
            errors[path] = [exc.message]
    return urls, errors


@bp.route("/brands/<slug>/campaigns/new", methods=["GET", "POST"])
def new_campaign(slug: str):
    """Pick a game type and name the campaign; it starts as a draft with default rules."""
    brand, errors = auth.owned_brand(slug), {}
    if request.method == "POST":
        try:
            form = campaign_forms.NewCampaignForm().load(request.form)
            made = admin.create_draft(brand, {**form, "game_params": {}})
            return redirect(url_for("console.edit_campaign", campaign_id=made.id))
        except ValidationError as exc:
            errors = exc.messages
        except DomainError as exc:
            errors = exc.fields or {"_schema": [exc.message]}
    return render_template("console/new_campaign.html", brand=brand, games=GAME_TYPES,
                           errors=errors, form=request.form), 422 if errors else 200


def _game_form(campaign, params: dict) -> list[param_form.FormField]:
    return param_form.describe(get_game_type(campaign.game_type).params_schema(), params)


def render_editor(campaign, errors: dict | None = None, status: int = 200, **overrides):
    """Render the editor page of ``campaign`` (with posted values after a refusal)."""
    params = overrides.pop("params", campaign.game_params or {})
    branding = overrides.pop("branding", campaign.branding or {})
    return render_template(
        "console/edit_campaign.html", campaign=campaign, errors=errors or {},
        game_form=_game_form(campaign, params), branding={**campaign_forms.DEFAULT_BRANDING,
                                                          **branding},
        warnings=campaign_forms.contrast_warnings(branding), timezones=campaign_forms.TIMEZONES,
        local=campaign_forms.local_input, saved=request.args.get("saved"),
        game=get_game_type(campaign.game_type), **overrides), status


@bp.get("/campaigns/<int:campaign_id>/edit")
def edit_campaign(campaign_id: int):
    """Show every section of the campaign's settings."""
    return render_editor(auth.owned_campaign(campaign_id))


def _saved(campaign, section: str):
    return redirect(url_for("console.edit_campaign", campaign_id=campaign.id, saved=section)
                    + f"#{section}")


@bp.post("/campaigns/<int:campaign_id>/basics")
def save_basics(campaign_id: int):
    """Save the title, link name and rules text."""
    campaign = auth.owned_campaign(campaign_id)
    try:
        admin.update_campaign(campaign, campaign_forms.BasicsForm().load(request.form))
    except ValidationError as exc:
        return render_editor(campaign, exc.messages, 422)
    except DomainError as exc:
        return render_editor(campaign, exc.fields or {"_schema": [exc.message]}, status_of(exc))
    return _saved(campaign, "basics")


@bp.post("/campaigns/<int:campaign_id>/game")
def save_game(campaign_id: int):
    """Save the game's parameters (a new game version once the campaign has plays)."""
    campaign = auth.owned_campaign(campaign_id)
    schema = get_game_type(campaign.game_type).params_schema()
    params = param_form.read(schema, request.form)
    urls, errors = _uploads(param_form.image_paths(_game_form(campaign, params)),
                            campaign.brand_id)
    for path, url in urls.items():
        param_form.set_path(params, path, url)
    if not errors:
        try:
            admin.update_campaign(campaign, {"game_params": params})
            return _saved(campaign, "game")
        except DomainError as exc:
            errors = _game_errors(exc)
    return render_editor(campaign, errors, 422, params=params)


def _game_errors(exc: DomainError) -> dict:
    if "game_params" in exc.fields and isinstance(exc.fields["game_params"], dict):
        return param_form.flatten_errors(exc.fields["game_params"])
    return {"_game": [exc.message]}


@bp.post("/campaigns/<int:campaign_id>/branding")
def save_branding(campaign_id: int):
    """Save colours, share copy, the logo and the share image (uploads replace them)."""
    campaign = auth.owned_campaign(campaign_id)
    try:
        branding = campaign_forms.BrandingForm().load(request.form)
    except ValidationError as exc:
        return render_editor(campaign, exc.messages, 422, branding=request.form.to_dict())
    urls, errors = _uploads(["logo", "share_image"], campaign.brand_id)
    branding.update(urls)
    if errors:
        return render_editor(campaign, errors, 422, branding=branding)
    admin.update_campaign(campaign, {"branding": {**(campaign.branding or {}), **branding}})
    return _saved(campaign, "branding")


@bp.post("/campaigns/<int:campaign_id>/schedule")
def save_schedule(campaign_id: int):
    """Save the schedule, time zone, plays a day and the boards players see."""
    campaign = auth.owned_campaign(campaign_id)
    try:
        admin.update_campaign(campaign, campaign_forms.load_schedule(request.form))
    except ValidationError as exc:
        return render_editor(campaign, exc.messages, 422)
    except DomainError as exc:
        return render_editor(campaign, exc.fields or {"_schema": [exc.message]}, status_of(exc))
    return _saved(campaign, "schedule")


ACTIONS = {"publish": admin.publish, "pause": admin.pause, "end": admin.end}


@bp.post("/campaigns/<int:campaign_id>/<any(publish,pause,end):action>")
def change_status(campaign_id: int, action: str):
    """Publish, pause or end the campaign (the page asks for confirmation first)."""
    campaign = auth.owned_campaign(campaign_id)
    try:
        ACTIONS[action](campaign)
    except DomainError as exc:
        return render_editor(campaign, {"_status": [exc.message]}, status_of(exc))
    return redirect(url_for("console.edit_campaign", campaign_id=campaign.id, saved=action))
