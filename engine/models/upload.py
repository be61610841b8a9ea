"""Uploaded images, kept in the database by content hash so every process serves them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime


class Upload(db.Model):
    """One image; its SHA-256 is its name, so the same bytes are stored once."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    extension: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("marketers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
