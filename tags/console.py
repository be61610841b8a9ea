"""Console pages for a brand's audience tags: counts, groups, rules with a dry run, evaluation.

A blueprint nested in the console's (``engine/routes.py`` nests it), so the
console's sign-in, CSRF check and error pages apply; the pages call the same
services as the admin API (``tags.admin``), so a rule is judged in one place.
"""

from __future__ import annotations

import json

from flask import Blueprint, render_template, request
from marshmallow import Schema, ValidationError, fields, validate

from engine.access import auth
from engine.api.errors import status_of
from engine.errors import DomainError, NotFound
from engine.models import TagRule
from tags import admin, jobs
from tags.evaluation import DryRun
from tags.language import EVENT_KINDS, OPS
from tags.metrics import CAMPAIGN_METRICS, METRICS

bp = Blueprint("tags", __name__)
_NAME = validate.Length(min=1, max=40)
EXAMPLE = {"all": [{"metric": "plays", "op": ">=", "value": 3},
                   {"event": "play_finished", "within_days": 7, "min_count": 1}]}


class RuleForm(Schema):
    """The rule form as the admin API's body: the rule's JSON text parsed first."""

    name = fields.String(required=True, validate=_NAME)
    group = fields.String(required=True, validate=_NAME)
    priority = fields.Integer(load_default=0, validate=validate.Range(min=-1000, max=1000))
    rule = fields.Raw(required=True)


class GroupForm(Schema):
    name = fields.String(required=True, validate=_NAME)
    exclusive = fields.Boolean(load_default=False)


def _rule_of(form):
    """Return the rule's JSON text parsed (the rule language, docs/tags.md)."""
    text = (form.get("rule") or "").strip()
    if not text:
        raise ValidationError({"rule": ["required"]})
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationError({"rule": [f"JSON: {exc.msg} ({exc.lineno}:{exc.colno})"]}) from None


def _rule_form(form) -> dict:
    """Read the rule form into the admin API's body."""
    data = {k: (form.get(k) or "").strip() for k in ("name", "group", "priority")}
    return RuleForm().load({**{k: v for k, v in data.items() if v}, "rule": _rule_of(form)})


def flat(messages, path: str = "") -> list[str]:
    """Return nested validation messages as lines: ``all › 1 › metric: 未知指标：x``."""
    if isinstance(messages, dict):
        return [line for key, inner in messages.items()
                for line in flat(inner, f"{path} › {key}" if path else str(key))]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{path}: {m}" if path else m for m in messages]
    if isinstance(messages, list):
        return [line for m in messages for line in flat(m, path)]
    return [f"{path}: {messages}" if path else str(messages)]


def _page(brand, *, errors: dict | None = None, editing: dict | None = None,
          dry_run: DryRun | None = None, group_errors: dict | None = None, done: str = "",
          status: int = 200):
    return render_template(
        "console/tags.html", brand=brand, tab="tags", counts=admin.tag_counts(brand.id),
        groups=admin.groups_of(brand.id), progress=jobs.evaluation_status(brand.id),
        errors=errors or {}, editing=editing, dry_run=dry_run,
        group_errors=group_errors or {}, done=done,
        rule_errors=flat((errors or {}).get("rule", [])),
        metrics=sorted(METRICS), campaign_metrics=sorted(CAMPAIGN_METRICS),
        event_kinds=EVENT_KINDS, ops=OPS, example=json.dumps(EXAMPLE, ensure_ascii=False,
                                                             indent=2)), status


def _editing(rule: TagRule) -> dict:
    """Return the rule as the form shows it, its condition as indented JSON text."""
    return {"id": rule.id, "name": rule.name, "group": rule.group.name,
            "priority": rule.priority,
            "rule_text": json.dumps(rule.rule, ensure_ascii=False, indent=2)}


@bp.get("/brands/<slug>/tags")
def tags_page(slug: str):
    """Show the brand's tags with their players, the rule editor and evaluation progress."""
    brand = auth.owned_brand(slug)
    editing = None
    if (rule_id := request.args.get("edit", type=int)) is not None:
        found = [r for r in admin.rules_of(brand.id) if r.id == rule_id]
        if not found:
            raise NotFound("找不到该标签规则")
        editing = _editing(found[0])
    return _page(brand, editing=editing)


def _submitted(rule_id: int | None) -> dict:
    """Return what the form held, to show it again beside its errors."""
    form = request.form
    return {"id": rule_id, "name": form.get("name", ""), "group": form.get("group", ""),
            "priority": form.get("priority", "0"), "rule_text": form.get("rule", "")}


@bp.post("/brands/<slug>/tags/rules")
def create_tag_rule(slug: str):
    """Count the players a new rule would tag (dry run), or create it."""
    return _save_rule(slug, None)


@bp.post("/brands/<slug>/tags/rules/<int:rule_id>")
def save_tag_rule(slug: str, rule_id: int):
    """Count the players a changed rule would tag (dry run), or save the change."""
    return _save_rule(slug, rule_id)


def _save_rule(slug: str, rule_id: int | None):
    brand = auth.owned_brand(slug)  # an analyst's POST is refused (403), dry runs included
    shown = _submitted(rule_id)
    try:
        if request.form.get("do") == "dry_run":  # counts only: nothing is saved
            return _page(brand, editing=shown,
                         dry_run=admin.dry_run(brand.id, _rule_of(request.form)))
        body = _rule_form(request.form)
        if rule_id is None:
            saved = admin.create_rule(brand.id, body)
        else:
            saved = admin.update_rule(brand.id, rule_id, body)
    except ValidationError as exc:
        return _page(brand, errors=exc.messages, editing=shown, status=422)
    except NotFound:
        raise
    except DomainError as exc:
        return _page(brand, errors=(exc.fields or {}) | {"_schema": [exc.message]},
                     editing=shown, status=status_of(exc))
    return _page(brand, done=saved.name)


@bp.post("/brands/<slug>/tags/rules/<int:rule_id>/delete")
def delete_tag_rule(slug: str, rule_id: int):
    """Delete a rule: every holder of its tag gets a ``remove`` change."""
    brand = auth.owned_brand(slug)
    admin.delete_rule(brand.id, rule_id)
    return _page(brand)


@bp.post("/brands/<slug>/tags/groups")
def create_tag_group(slug: str):
    """Create a tag group (exclusive: a player holds at most one of its tags)."""
    brand = auth.owned_brand(slug)
    try:
        form = GroupForm().load({"name": (request.form.get("name") or "").strip(),
                                 "exclusive": bool(request.form.get("exclusive"))})
        admin.create_group(brand.id, form["name"], form["exclusive"])
    except ValidationError as exc:
        return _page(brand, group_errors=exc.messages, status=422)
    except DomainError as exc:
        return _page(brand, group_errors={"name": [exc.message]}, status=status_of(exc))
    return _page(brand)


from tags import audience_console  # noqa: E402,F401  (a campaign's audience page, same blueprint)
