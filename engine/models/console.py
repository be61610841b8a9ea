"""The console's server-side sign-ins and the owners' one-time invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime

ROLES = ("owner", "marketer", "analyst")
# roles that may change a brand's objects; an analyst only reads
WRITER_ROLES = ("owner", "marketer")


class ConsoleSession(db.Model):
    """One sign-in to the console; the signed cookie names it, the row decides.

    Only a SHA-256 of the random id kept in the cookie is stored. Signing out
    sets ``revoked_at``, so a copied cookie stops working at once.
    """

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    marketer_id: Mapped[int] = mapped_column(ForeignKey("marketers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class Invite(db.Model):
    """An owner's one-time invitation of an email address to a brand, with a role."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("marketers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("marketers.id"))
