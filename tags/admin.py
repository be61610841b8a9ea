"""Marketers' tag groups and rules: validated, brand-scoped, re-evaluated after each edit."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.clock import utcnow
from engine.errors import Conflict, NotFound, Unprocessable
from engine.extensions import db
from engine.models import Campaign, PlayerTag, TagGroup, TagRule
from tags import defaults, evaluation, jobs, state
from tags.language import campaigns_named, load_rule


def groups_of(brand_id: int) -> list[TagGroup]:
    """Return the brand's tag groups (the defaults on first use)."""
    if defaults.install_defaults(brand_id):
        db.session.commit()
    return list(db.session.scalars(select(TagGroup).where(TagGroup.brand_id == brand_id)
                                   .order_by(TagGroup.id)))


def create_group(brand_id: int, name: str, exclusive: bool) -> TagGroup:
    """Create a tag group; 409 if the brand has one of that name."""
    groups_of(brand_id)
    group = TagGroup(brand_id=brand_id, name=name, exclusive=exclusive)
    db.session.add(group)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("已有同名标签组", code="duplicate_name") from None
    return group


@dataclass(frozen=True)
class Audience:
    """Who a campaign is for: the holders of ``tag`` (None: everyone), limited or recommended."""

    tag: str | None
    mode: str | None


def rules_of(brand_id: int) -> list[TagRule]:
    """Return the brand's rules, each with its group loaded (the defaults on first use)."""
    groups_of(brand_id)  # the groups stay in the session: ``rule.group`` needs no query
    return list(db.session.scalars(
        select(TagRule).where(TagRule.brand_id == brand_id)
        .order_by(TagRule.group_id, TagRule.priority.desc(), TagRule.id)))


def _group_named(brand_id: int, name: str) -> TagGroup:
    group = db.session.scalar(select(TagGroup).where(TagGroup.brand_id == brand_id,
                                                     TagGroup.name == name))
    if group is None:
        raise Unprocessable("没有这个标签组", code="validation_error",
                            fields={"group": [f"未知标签组：{name}"]})
    return group


def checked_rule(brand_id: int, rule) -> dict:
    """Return ``rule`` validated, its campaigns the brand's own; 422 naming the field."""
    try:
        loaded = load_rule(rule)
    except ValidationError as exc:
        raise Unprocessable("规则无效", code="validation_error", fields=exc.messages) from None
    named = campaigns_named(loaded)
    if named:
        own = set(db.session.scalars(select(Campaign.id).where(Campaign.brand_id == brand_id,
                                                               Campaign.id.in_(named))))
        if named - own:
            raise Unprocessable("规则无效", code="validation_error", fields={
                "rule": {"campaign": [f"未知活动：{sorted(named - own)}"]}})
    return loaded


def _owned_rule(brand_id: int, rule_id: int) -> TagRule:
    rule = db.session.get(TagRule, rule_id)
    if rule is None or rule.brand_id != brand_id:
        raise NotFound("找不到该标签规则")
    return rule


def _save(rule: TagRule) -> TagRule:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("已有同名标签", code="duplicate_name") from None
    jobs.schedule_full(rule.brand_id)
    return rule


def create_rule(brand_id: int, body: dict) -> TagRule:
    """Create a tag rule from ``{"name", "group", "rule", "priority"?}``; evaluate it soon."""
    groups_of(brand_id)
    group = _group_named(brand_id, body["group"])
    rule = TagRule(brand_id=brand_id, group_id=group.id, name=body["name"],
                   rule=checked_rule(brand_id, body["rule"]), priority=body.get("priority", 0))
    db.session.add(rule)
    return _save(rule)


def update_rule(brand_id: int, rule_id: int, body: dict) -> TagRule:
    """Change a rule's name, group, rule or priority; its holders are re-evaluated soon."""
    rule = _owned_rule(brand_id, rule_id)
    group = (_group_named(brand_id, body["group"]) if "group" in body
             else db.session.get(TagGroup, rule.group_id))
    if "rule" in body:
        rule.rule = checked_rule(brand_id, body["rule"])
    if group.id != rule.group_id:
        state.remove_rule(brand_id, rule.id, reason="rule_changed")
        rule.group_id = group.id
    rule.name = body.get("name", rule.name)
    rule.priority = body.get("priority", rule.priority)
    rule.updated_at = utcnow()
    return _save(rule)


def delete_rule(brand_id: int, rule_id: int) -> None:
    """Delete a rule; everyone holding its tag gets a ``remove`` change, in one transaction."""
    rule = _owned_rule(brand_id, rule_id)
    state.remove_rule(brand_id, rule.id)
    db.session.execute(PlayerTag.__table__.delete().where(PlayerTag.rule_id == rule.id))
    db.session.delete(rule)
    db.session.commit()


def dry_run(brand_id: int, rule) -> evaluation.DryRun:
    """Return how many players ``rule`` would tag now, without saving anything."""
    return evaluation.dry_run(brand_id, checked_rule(brand_id, rule))


def tag_counts(brand_id: int) -> list[evaluation.TagCount]:
    """Return every tag of the brand with how many players hold it."""
    groups_of(brand_id)
    return evaluation.tag_counts(brand_id)


def set_audience(campaign: Campaign, tag: str | None, mode: str) -> Audience:
    """Limit or recommend a campaign to the players holding ``tag`` (None: everyone)."""
    if tag is not None and db.session.scalar(select(TagRule.id).where(
            TagRule.brand_id == campaign.brand_id, TagRule.name == tag)) is None:
        raise Unprocessable("没有这个标签", code="validation_error",
                            fields={"tag": [f"未知标签：{tag}"]})
    campaign.audience = {"tag": tag, "mode": mode} if tag else None
    db.session.commit()
    return Audience(tag, mode if tag else None)
