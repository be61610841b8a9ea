"""Game states: a player's server-authoritative game state, and the actions that changed it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime


class GameState(db.Model):
    """One player's state in a non-replayed campaign (e.g. a nurture plant).

    ``version`` grows with every change: a write names the version it read,
    so two concurrent actions can never both apply to the same state.
    ``goal_reached_at`` is when the game type first called the state complete.
    """

    __tablename__ = "game_states"
    __table_args__ = (UniqueConstraint("campaign_id", "player_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), index=True)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    goal_reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GameAction(db.Model):
    """An applied action, stored under its idempotency key with the answer it got.

    A referral reward's boost is stored the same way under
    ``referral:<referral id>:level:<level>`` (older ones under ``friend:<friend id>``).
    """

    __tablename__ = "game_actions"
    __table_args__ = (UniqueConstraint("game_state_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_state_id: Mapped[int] = mapped_column(ForeignKey("game_states.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
