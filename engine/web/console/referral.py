"""Console page for a campaign's referral rewards: welcome reward, levels 1 and 2, caps,
and the compliance risk acknowledgement (recorded with who and when).

The form is read into the admin API's own schema (``ReferralConfigSchema``) and
saved by the same service (``engine.referral.rewards``); nothing is decided here.
"""

from __future__ import annotations

from dataclasses import replace

from flask import g, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from engine.access import auth
from engine.api.errors import status_of
from engine.errors import DomainError
from engine.referral import rewards
from engine.rewards import admin as reward_admin
from engine.web.console import bp

CAPS = ("per_sharer_per_day", "per_sharer_per_campaign")


def _number(raw: str):
    raw = raw.strip()
    return int(raw) if raw.isdigit() else raw


def _spec(form, prefix: str) -> dict | None:
    kind = (form.get(f"{prefix}_kind") or "").strip()
    if not kind:
        return None
    spec = {"kind": kind, "amount": _number(form.get(f"{prefix}_amount") or "1")}
    if kind == "coupon":
        spec["batch_id"] = _number(form.get(f"{prefix}_batch_id") or "0")
    return spec


def body_of(form) -> dict:
    """Return the referral form as the admin API's body (levels 1 and 2 in order)."""
    levels = [s for s in (_spec(form, "level1"), _spec(form, "level2")) if s]
    body = {"welcome": _spec(form, "welcome"), "levels": levels,
            "sharer_rewards_enabled": bool(form.get("sharer_rewards_enabled")),
            "acknowledge_risk": bool(form.get("acknowledge_risk")),
            "caps": {name: _number(form.get(name) or "0") for name in CAPS}}
    return body


def form_errors(messages: dict) -> dict:
    """Flatten the schema's nested messages onto the form's field names."""
    flat: dict[str, list] = {}
    for key, value in messages.items():
        if key == "levels" and isinstance(value, dict):
            for index, inner in value.items():
                for name, texts in (inner.items() if isinstance(inner, dict) else []):
                    flat[f"level{int(index) + 1}_{name}"] = texts
        elif key in ("welcome", "caps") and isinstance(value, dict):
            for name, texts in value.items():
                flat[f"welcome_{name}" if key == "welcome" else name] = texts
        else:
            flat[key] = value if isinstance(value, list) else [str(value)]
    return flat


def _page(campaign, config: rewards.ReferralSettings, errors: dict | None = None,
          saved: bool = False, status: int = 200):
    levels = config.levels or []
    slots = {"welcome": config.welcome, "level1": levels[0] if levels else None,
             "level2": levels[1] if len(levels) > 1 else None}
    return render_template(
        "console/referral.html", campaign=campaign, config=config, slots=slots,
        kinds=rewards.REWARD_KINDS, batches=reward_admin.batches_of(campaign),
        errors=errors or {}, saved=saved), status


@bp.get("/campaigns/<int:campaign_id>/referral")
def referral(campaign_id: int):
    """Show the campaign's referral rewards and who acknowledged the risk, when."""
    campaign = auth.owned_campaign(campaign_id)
    return _page(campaign, rewards.referral_config(campaign))


@bp.post("/campaigns/<int:campaign_id>/referral")
def save_referral(campaign_id: int):
    """Save the referral rewards (a third level and unacknowledged sharer rewards refused)."""
    campaign = auth.owned_campaign(campaign_id)
    body = body_of(request.form)
    shown = replace(rewards.referral_config(campaign),  # the form as sent, shown again
                    **{k: body[k] for k in ("welcome", "levels", "sharer_rewards_enabled",
                                            "caps")})
    try:
        if _spec(request.form, "level2") and not _spec(request.form, "level1"):
            # levels are positional: a lone second level would silently become the first
            raise ValidationError({"levels": {1: {"kind": [_("Set level 1 first.")]}}})
        saved = rewards.set_referral_config(
            campaign, rewards.ReferralConfigSchema().load(body), g.marketer.email)
    except ValidationError as exc:
        return _page(campaign, shown, form_errors(exc.messages), status=422)
    except DomainError as exc:
        return _page(campaign, shown, form_errors(exc.fields or {"_schema": [exc.message]})
                     | {"_schema": [exc.message]}, status=status_of(exc))
    return _page(campaign, saved, saved=True)
