"""Campaign administration: what a marketer does to campaigns (the API layer shows them)."""

from __future__ import annotations

from flask import g
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.campaigns import lifecycle
from engine.campaigns.copy_check import check_copy
from engine.clock import utcnow
from engine.errors import Conflict, Unprocessable
from engine.extensions import db
from engine.models import Brand, Campaign, GameState, PlaySession
from engine.rewards.draws import DrawConfigSchema

# fields that change what a play session replays: frozen while players are playing
GAME_FIELDS = ("game_type", "game_params")


def _check_schedule(starts_at, ends_at) -> None:
    if starts_at is not None and ends_at is not None and starts_at >= ends_at:
        raise Unprocessable("结束时间必须晚于开始时间", code="invalid_schedule",
                            fields={"ends_at": ["必须晚于 starts_at"]})


def _slug_taken() -> Conflict:
    db.session.rollback()
    return Conflict("该活动链接名已被占用，请换一个", code="slug_taken",
                    fields={"slug": ["已被占用"]})


def create_draft(brand: Brand, fields: dict) -> Campaign:
    """Create a draft campaign whose game parameters pass the game type's schema."""
    _check_schedule(fields.get("starts_at"), fields.get("ends_at"))
    check_copy(fields)
    try:
        campaign = lifecycle.create_campaign(brand, status="draft", **fields)
        db.session.commit()
    except IntegrityError:  # the slug's unique constraint: another campaign has it
        raise _slug_taken() from None
    return campaign


def _has_plays(campaign: Campaign) -> bool:
    """Return whether anyone has opened a session or kept a game state in the campaign."""
    for model in (PlaySession, GameState):
        if db.session.scalar(select(model.id).where(model.campaign_id == campaign.id).limit(1)):
            return True
    return False


def update_campaign(campaign: Campaign, changes: dict) -> Campaign:
    """Apply a partial change; a new game or its params are validated again."""
    _check_schedule(changes.get("starts_at", campaign.starts_at),
                    changes.get("ends_at", campaign.ends_at))
    check_copy(changes)
    if any(k in changes for k in GAME_FIELDS):
        game_type = changes.get("game_type", campaign.game_type)
        params = changes.get("game_params", campaign.game_params)
        changes["game_params"] = lifecycle.validate_game(game_type, params)
        if campaign.status == "live":
            raise Conflict("活动进行中不能修改游戏设置，请先暂停", code="campaign_live",
                           fields={k: ["活动进行中不可修改"] for k in GAME_FIELDS if k in changes})
        changed = (game_type, changes["game_params"]) != (campaign.game_type,
                                                          campaign.game_params)
        if changed and _has_plays(campaign):  # the id and slug stay; the rules get a version
            changes["game_version"] = (campaign.game_version or 1) + 1
    if "slug" in changes and changes["slug"] != campaign.slug and campaign.status != "draft":
        raise Conflict("已发布的活动不能修改链接名", code="slug_locked",
                       fields={"slug": ["已发布后不可修改"]})
    if "timezone" in changes:
        changes["timezone"] = lifecycle.validate_timezone(changes["timezone"])
    if "draw_config" in changes:  # loaded partially with the rest: fill in the defaults
        changes["draw_config"] = DrawConfigSchema().load(changes["draw_config"])
    for key, value in changes.items():
        setattr(campaign, key, value)
    try:
        db.session.commit()
    except IntegrityError:
        raise _slug_taken() from None
    return campaign


def publish(campaign: Campaign) -> Campaign:
    """Make the campaign live, unless it has ended or its schedule is impossible."""
    if campaign.status == "ended":
        raise Conflict("活动已结束，不能再发布", code="campaign_ended")
    if campaign.ends_at is not None and campaign.ends_at <= utcnow():
        raise Unprocessable("结束时间已过，请先修改结束时间", code="invalid_schedule",
                            fields={"ends_at": ["已经过去"]})
    _check_schedule(campaign.starts_at, campaign.ends_at)
    campaign.status = "live"
    db.session.commit()
    return campaign


def pause(campaign: Campaign) -> Campaign:
    """Pause a live campaign; a draft or an ended one cannot be paused."""
    if campaign.status not in ("live", "paused"):
        raise Conflict("只有进行中的活动可以暂停", code="campaign_not_live")
    campaign.status = "paused"
    db.session.commit()
    return campaign


def end(campaign: Campaign) -> Campaign:
    """End a published campaign for good: players see the final boards, nobody plays."""
    if campaign.status == "draft":
        raise Conflict("草稿还未发布，不能结束", code="campaign_not_published")
    campaign.status = "ended"
    db.session.commit()
    return campaign


def campaigns_of(brand: Brand) -> list[Campaign]:
    """Return the brand's campaigns, newest first."""
    return list(db.session.scalars(
        select(Campaign).where(Campaign.brand_id == brand.id).order_by(Campaign.id.desc())))


def brands_of_marketer() -> list[Brand]:
    """Return the brands the current marketer works for."""
    return list(db.session.scalars(
        select(Brand).where(Brand.id.in_(g.brand_ids)).order_by(Brand.slug)))
