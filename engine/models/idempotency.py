"""Idempotency keys: a retried request gets the first answer, and spends nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime


class IdempotencyKey(db.Model):
    """A client's key for one request of one player (or device), and the answer it got.

    ``status`` is null while the first request runs; a retry meanwhile is
    told to wait (409) rather than run it twice.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(255))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
