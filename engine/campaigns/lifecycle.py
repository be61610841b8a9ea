"""Campaigns: finding them, telling whether they are live, creating them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError
from sqlalchemy import func, select

from engine.boards import periods
from engine.clock import as_utc, local_day, utcnow
from engine.errors import CampaignNotLive, InvalidParams, NotFound
from engine.extensions import db
from engine.models import Brand, Campaign, Player, PlaySession
from engine.rewards import plays
from games import UnknownGameType, get_game_type

PUBLIC_STATUSES = ("live", "paused", "ended")


def get_public_campaign(slug: str) -> Campaign:
    """Return the campaign players may see at ``slug``; drafts are not found."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None or campaign.status not in PUBLIC_STATUSES:
        raise NotFound("活动不存在")
    return campaign


def is_live(campaign: Campaign, moment: datetime | None = None) -> bool:
    """Return whether players can play ``campaign`` at ``moment``."""
    moment = moment or utcnow()
    if campaign.status != "live":
        return False
    if campaign.starts_at and moment < as_utc(campaign.starts_at):
        return False
    return not (campaign.ends_at and moment >= as_utc(campaign.ends_at))


def ensure_live(campaign: Campaign) -> None:
    """Raise ``CampaignNotLive`` unless the campaign can be played now."""
    if not is_live(campaign):
        raise CampaignNotLive()


def plays_left(campaign: Campaign, player: Player | None) -> int | None:
    """Return the plays left today, extra plays included (one statement), or None when unlimited."""
    if not campaign.plays_per_day:
        return None
    if player is None:
        return campaign.plays_per_day
    day = local_day(utcnow(), campaign.timezone).isoformat()
    today = select(func.count()).select_from(PlaySession).where(
        PlaySession.campaign_id == campaign.id, PlaySession.player_id == player.id,
        PlaySession.day_key == day, PlaySession.credit_id.is_(None)).scalar_subquery()
    used, extra = db.session.execute(
        select(today, plays.unspent_count(campaign.id, player.id))).one()
    return max(campaign.plays_per_day - used, 0) + extra


def seconds_to_local_midnight(campaign: Campaign, moment: datetime | None = None) -> int:
    """Return the seconds until the next day starts in the campaign's zone."""
    return periods.seconds_to_local_midnight(moment or utcnow(), campaign.timezone)


def validate_game(game_type: str, params: dict | None) -> dict:
    """Return ``params`` validated by the game type's own schema."""
    try:
        game = get_game_type(game_type)
    except UnknownGameType:
        raise InvalidParams("未知的游戏类型", fields={"game_type": ["unknown game type"]}) from None
    try:
        return game.validate_params(params or {})
    except ValidationError as exc:
        raise InvalidParams(fields={"game_params": exc.messages}) from None


def validate_timezone(tz: str) -> str:
    """Return ``tz`` if it names an IANA zone."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParams("未知的时区", fields={"timezone": ["unknown time zone"]}) from None
    return tz


def create_campaign(brand: Brand, **fields) -> Campaign:
    """Create a campaign whose game parameters pass the game type's schema."""
    fields["game_params"] = validate_game(fields["game_type"], fields.get("game_params"))
    fields["timezone"] = validate_timezone(fields.get("timezone") or "Asia/Shanghai")
    campaign = Campaign(brand_id=brand.id, **fields)
    db.session.add(campaign)
    db.session.flush()
    return campaign

