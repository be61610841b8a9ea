"""Console page for a campaign's audience: which tag's holders it is for, limited or recommended.

Registered on the tags console blueprint (``tags.console.bp``). The form is read
into the admin API's own schema (``AudienceSchema``) and saved by the same
service (``tags.admin.set_audience``), so an unknown tag is refused in one place.
"""

from __future__ import annotations

from flask import render_template, request
from marshmallow import ValidationError

from engine.access import auth
from engine.api.errors import status_of
from engine.errors import DomainError
from tags import admin
from tags.admin_api import AudienceSchema
from tags.console import bp

MODES = ("limit", "recommend")


def _current(campaign) -> dict:
    audience = campaign.audience or {}
    return {"tag": audience.get("tag") or "", "mode": audience.get("mode") or "limit"}


def _page(campaign, shown: dict, errors: dict | None = None, saved: bool = False,
          status: int = 200):
    return render_template(
        "console/audience.html", campaign=campaign, shown=shown, modes=MODES,
        tags=admin.tag_counts(campaign.brand_id), errors=errors or {}, saved=saved), status


@bp.get("/campaigns/<int:campaign_id>/audience")
def campaign_audience(campaign_id: int):
    """Show who the campaign is for: everyone, or the holders of one tag."""
    campaign = auth.owned_campaign(campaign_id)
    return _page(campaign, _current(campaign))


@bp.post("/campaigns/<int:campaign_id>/audience")
def save_campaign_audience(campaign_id: int):
    """Set the campaign's audience (an analyst's change is refused with 403)."""
    campaign = auth.owned_campaign(campaign_id)
    tag = (request.form.get("tag") or "").strip()
    shown = {"tag": tag, "mode": request.form.get("mode") or "limit"}
    try:
        body = AudienceSchema().load({"tag": tag or None, "mode": shown["mode"]})
        saved = admin.set_audience(campaign, body["tag"], body["mode"] or "limit")
    except ValidationError as exc:
        return _page(campaign, shown, exc.messages, status=422)
    except DomainError as exc:
        return _page(campaign, shown, (exc.fields or {}) | {"_schema": [exc.message]},
                     status=status_of(exc))
    return _page(campaign, {"tag": saved.tag or "", "mode": saved.mode or "limit"},
                 saved=True)
