"""Closed leaderboard periods and their frozen final standings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime


class PeriodClose(db.Model):
    """One leaderboard period of a campaign being closed, then closed.

    The unique bucket makes closing idempotent: a second run finds the row,
    and a run that crashed halfway resumes from its status.
    """

    __tablename__ = "period_closes"
    __table_args__ = (UniqueConstraint("campaign_id", "game_version", "period", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    # the game rules' version whose boards this closes (a version bump starts new boards)
    game_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    period: Mapped[str] = mapped_column(String(8))
    period_key: Mapped[str] = mapped_column(String(16))
    # frozen -> standings written; closed -> every rank prize issued; incomplete -> some
    # could not be (award_failures): closing runs again, and a retry may finish it
    status: Mapped[str] = mapped_column(String(12), default="frozen")
    players: Mapped[int] = mapped_column(Integer, default=0)
    awarded: Mapped[int] = mapped_column(Integer, default=0)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FinalStanding(db.Model):
    """A player's final rank and score in a closed period."""

    __tablename__ = "final_standings"
    __table_args__ = (
        UniqueConstraint("close_id", "rank"),
        UniqueConstraint("close_id", "player_id"),
        Index("ix_final_standings_player", "player_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    close_id: Mapped[int] = mapped_column(ForeignKey("period_closes.id"))
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(BigInteger)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)
