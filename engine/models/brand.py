"""The tenant (brand) and the marketers who work for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime


class Brand(db.Model):
    """A tenant: everything else belongs to exactly one brand."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Marketer(db.Model):
    """A person who logs in to the console; may work for several brands."""

    __tablename__ = "marketers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[BrandMember]] = relationship(back_populates="marketer")

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password``."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class BrandMember(db.Model):
    """A marketer's membership of one brand, with a role."""

    __tablename__ = "brand_members"
    __table_args__ = (UniqueConstraint("brand_id", "marketer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    marketer_id: Mapped[int] = mapped_column(ForeignKey("marketers.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="owner")

    marketer: Mapped[Marketer] = relationship(back_populates="memberships")
    brand: Mapped[Brand] = relationship()
