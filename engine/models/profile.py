"""Personal data a campaign asks for, only with consent, and the record of erasures.

Every personal value is encrypted at rest (``DATA_ENCRYPTION_KEY``). A
profile keeps the version of the consent text the player agreed to and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import EncryptedText, UTCDateTime


class ProfileForm(db.Model):
    """What a campaign asks players for (phone, name, custom fields) and when."""

    __tablename__ = "profile_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), unique=True)
    # "before": asked before the first play; "after": once the player has played
    when: Mapped[str] = mapped_column(String(8), default="after")
    fields: Mapped[list] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(String(200), default="")
    consent_version: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PlayerProfile(db.Model):
    """One player's answers to a campaign's form, with the consent they gave."""

    __tablename__ = "player_profiles"
    __table_args__ = (UniqueConstraint("campaign_id", "player_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    name: Mapped[str | None] = mapped_column(EncryptedText)
    # custom answers as JSON text, encrypted like the rest
    answers: Mapped[str | None] = mapped_column(EncryptedText)
    consent_version: Mapped[str] = mapped_column(String(40))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    age_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PlayerErasure(db.Model):
    """A player whose personal data was erased, and the ids needed to pass it on.

    The CRM endpoints must learn whom to erase after the player row lost its
    openid: the identifiers are kept here, encrypted, for the delete change.
    """

    __tablename__ = "player_erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), unique=True)
    # {"openid", "unionid", "wecom": [{"corp_id", "external_userid", "userid"}]}
    identifiers: Mapped[str] = mapped_column(EncryptedText)
    requested_by: Mapped[str] = mapped_column(String(80), default="")
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
