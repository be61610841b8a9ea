"""Referrals: who brought whom into a campaign, fixed at first touch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime


class Referral(db.Model):
    """A player's referrer in one campaign: at most one, never changed.

    Players nobody referred have no row (depth 0, their own root). ``root_id``
    is the top of the player's tree: a player can only be referred before any
    touch of the campaign, so a sharer whose root is the newcomer would close
    a cycle, and is refused. ``verified_at`` marks the friend's first valid
    play, which rewards the referrer once.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("campaign_id", "player_id"),
        Index("ix_referrals_campaign_referrer", "campaign_id", "referrer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    referrer_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    root_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    depth: Mapped[int] = mapped_column(Integer)
    share_token: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # where the newcomer arrived from: a burst from one address goes to the risk queue
    address: Mapped[str | None] = mapped_column(String(45))
    device: Mapped[str | None] = mapped_column(String(40))


class ReferralReward(db.Model):
    """One reward a referral earned for one beneficiary: at most one per (referral, level).

    Level 0 is the newcomer's welcome, 1 the direct sharer, 2 the sharer's
    referrer; there is no level 3. ``status`` says what became of it:
    ``issued``, ``held`` (a risk flag waits for review), ``capped`` (the
    sharer's daily or campaign cap was reached), ``rejected`` or ``failed``
    (nothing left to give) — never silently dropped.
    """

    __tablename__ = "referral_rewards"
    __table_args__ = (
        UniqueConstraint("referral_id", "level"),
        Index("ix_referral_rewards_campaign_player_day", "campaign_id", "player_id", "day_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    level: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    day_key: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
