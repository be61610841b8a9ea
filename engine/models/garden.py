"""Gardens: a player's server-authoritative game state, and the actions that changed it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime


class Garden(db.Model):
    """One player's state in a non-replayed campaign (a nurture plant).

    ``version`` grows with every change: a write names the version it read,
    so two concurrent actions can never both apply to the same state.
    """

    __tablename__ = "gardens"
    __table_args__ = (UniqueConstraint("campaign_id", "player_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), index=True)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    matured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GardenAction(db.Model):
    """An applied action, stored under its idempotency key with the answer it got.

    A friend's boost is stored the same way under ``friend:<friend id>``.
    """

    __tablename__ = "garden_actions"
    __table_args__ = (UniqueConstraint("garden_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    garden_id: Mapped[int] = mapped_column(ForeignKey("gardens.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
