"""A campaign: one game with its parameters, branding, schedule and limits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.clock import utcnow
from engine.extensions import db
from engine.models.brand import Brand
from engine.models.types import UTCDateTime

STATUSES = ("draft", "live", "paused", "ended")


class Campaign(db.Model):
    """A brand's game campaign, reached by players at ``/c/<slug>``."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    game_type: Mapped[str] = mapped_column(String(32))
    # validated by the game type's own schema on save
    game_params: Mapped[dict] = mapped_column(JSON, default=dict)
    # bumped when the game's parameters change after plays: new boards, old standings kept
    game_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # colours, logo, background, share title/description
    branding: Mapped[dict] = mapped_column(JSON, default=dict)
    rules_text: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # 0 means unlimited
    plays_per_day: Mapped[int] = mapped_column(Integer, default=0)
    # ask WeChat for nickname and avatar (snsapi_userinfo) instead of openid only
    require_userinfo: Mapped[bool] = mapped_column(Boolean, default=False)
    # the leaderboards players see, in order (all are always kept and closed)
    boards: Mapped[list] = mapped_column(JSON, default=lambda: ["all", "daily", "weekly"])
    # lottery: free draws a day and extra draws earned (engine.rewards.draws.DrawConfigSchema)
    draw_config: Mapped[dict] = mapped_column(JSON, default=dict)
    # tag targeting: {"tag": <tag name>, "mode": "limit"|"recommend"} or None (everyone)
    audience: Mapped[dict | None] = mapped_column(JSON)
    # raised by every change to the campaign or its reward rules: per-process caches
    # compare it (engine.campaigns.cache)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # referral rewards (engine.referral.rewards.ReferralConfigSchema): welcome, two levels,
    # caps, and who acknowledged the risk of sharer rewards and when
    referral_config: Mapped[dict] = mapped_column(JSON, default=dict)
    # the risk queue (engine.risk.flags.RiskConfigSchema): thresholds, review deadline, default
    risk_config: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    brand: Mapped[Brand] = relationship()
