"""Console page for a campaign's rewards: coupon batches (generated or imported), prizes, rules.

The forms are read by the admin API's own schemas (typed from the form's
strings first), and each calls the same service as the API.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields

from engine.access import auth
from engine.api.admin_rewards import CouponBatchInSchema, PrizeInSchema, RewardRuleInSchema
from engine.api.errors import status_of
from engine.errors import DomainError
from engine.models import CouponBatch, Prize, RewardRule
from engine.rewards import admin
from engine.web.console import bp


def typed(schema: Schema, form) -> dict:
    """Return the form's values typed for ``schema``: empty fields left out, boxes as bools."""
    data = {}
    for name, f in schema.fields.items():
        raw = (form.get(name) or "").strip()
        if isinstance(f, fields.Boolean):
            data[name] = bool(raw)
        elif raw and isinstance(f, fields.Integer):
            data[name] = int(raw) if raw.lstrip("-").isdigit() else raw
        elif raw:
            data[name] = raw
    return data


def _page(campaign, errors: dict | None = None, report: dict | None = None, status: int = 200,
          section: str = ""):
    return render_template(
        "console/rewards.html", campaign=campaign, batches=admin.batches_of(campaign),
        prizes=admin.prizes_of(campaign), rules=admin.rules_of(campaign),
        errors=errors or {}, report=report, section=section), status


@bp.get("/campaigns/<int:campaign_id>/rewards")
def rewards(campaign_id: int):
    """Show the campaign's coupon batches, prizes and reward rules."""
    return _page(auth.owned_campaign(campaign_id))


def _codes_file() -> str | None:
    upload = request.files.get("codes_file")
    if upload is None or not upload.filename:
        return None
    return admin.decode_csv(upload.read(admin.MAX_CSV_BYTES + 1))


@bp.post("/campaigns/<int:campaign_id>/rewards/batches")
def create_batch(campaign_id: int):
    """Create a coupon batch: generated codes, or codes imported from a CSV with a row report."""
    campaign = auth.owned_campaign(campaign_id)
    try:
        body = typed(CouponBatchInSchema(), request.form)
        if (text := _codes_file()) is not None:
            body["codes_csv"] = text
        made = admin.create_batch(campaign, CouponBatchInSchema().load(body))
    except ValidationError as exc:
        return _page(campaign, exc.messages, status=422, section="batches")
    except DomainError as exc:
        return _page(campaign, exc.fields or {"_schema": [exc.message]}, status=status_of(exc),
                     section="batches")
    return _page(campaign, report=made.import_report, section="batches")


@bp.post("/campaigns/<int:campaign_id>/rewards/batches/<int:batch_id>/codes")
def import_codes(campaign_id: int, batch_id: int):
    """Import more codes into a batch from a CSV; show the row report."""
    campaign = auth.owned_campaign(campaign_id)
    batch = auth.owned(CouponBatch, batch_id)
    try:
        if batch.campaign_id != campaign.id or (text := _codes_file()) is None:
            raise DomainError("请选择 CSV 文件", code="no_file", fields={"codes_file": ["必填"]})
        done = admin.import_more(batch, text)
    except DomainError as exc:
        return _page(campaign, exc.fields or {"_schema": [exc.message]}, status=status_of(exc),
                     section="batches")
    return _page(campaign, report=done, section="batches")


@bp.post("/campaigns/<int:campaign_id>/rewards/prizes")
def create_prize(campaign_id: int):
    """Add a lottery prize."""
    campaign = auth.owned_campaign(campaign_id)
    try:
        admin.create_prize(campaign, PrizeInSchema().load(typed(PrizeInSchema(), request.form)))
    except ValidationError as exc:
        return _page(campaign, exc.messages, status=422, section="prizes")
    except DomainError as exc:
        return _page(campaign, exc.fields or {"_schema": [exc.message]}, status=status_of(exc),
                     section="prizes")
    return redirect(url_for("console.rewards", campaign_id=campaign.id) + "#prizes")


@bp.post("/campaigns/<int:campaign_id>/rewards/rules")
def create_rule(campaign_id: int):
    """Add a reward rule (a score threshold, a rank range of a period, a reached goal)."""
    campaign = auth.owned_campaign(campaign_id)
    try:
        schema = RewardRuleInSchema()
        admin.create_rule(campaign, schema.load(typed(schema, request.form)))
    except ValidationError as exc:
        return _page(campaign, exc.messages, status=422, section="rules")
    except DomainError as exc:
        return _page(campaign, exc.fields or {"_schema": [exc.message]}, status=status_of(exc),
                     section="rules")
    return redirect(url_for("console.rewards", campaign_id=campaign.id) + "#rules")


@bp.post("/campaigns/<int:campaign_id>/rewards/<any(prizes,rules):kind>/<int:item_id>/delete")
def delete_reward(campaign_id: int, kind: str, item_id: int):
    """Delete a prize (refused once awarded) or a reward rule."""
    campaign = auth.owned_campaign(campaign_id)
    try:
        if kind == "prizes":
            admin.delete_prize(auth.owned(Prize, item_id))
        else:
            admin.delete_rule(auth.owned(RewardRule, item_id))
    except DomainError as exc:
        return _page(campaign, {"_schema": [exc.message]}, status=status_of(exc), section=kind)
    return redirect(url_for("console.rewards", campaign_id=campaign.id) + f"#{kind}")
