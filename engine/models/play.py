"""Play sessions and the scores they produce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime

SESSION_STATUSES = ("open", "finished", "rejected", "expired")


class PlaySession(db.Model):
    """One play opened by the server: id, seed, expiry; finished at most once."""

    __tablename__ = "play_sessions"
    # the n-th play of a player's day is unique: concurrent starts cannot exceed the limit
    __table_args__ = (UniqueConstraint("campaign_id", "player_id", "day_key", "play_no"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    # the game params the session was opened with: replayed with these, even if
    # the marketer edits the campaign while it is being played
    game_params: Mapped[dict | None] = mapped_column(JSON)
    # the campaign's game_version then: the score goes on that version's boards
    game_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(16), default="open")
    day_key: Mapped[str] = mapped_column(String(10))
    play_no: Mapped[int] = mapped_column(Integer)
    # a play past the day's limit spends one extra play (engine.rewards.plays), once
    credit_id: Mapped[int | None] = mapped_column(ForeignKey("play_credits.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(BigInteger)
    reject_reason: Mapped[str | None] = mapped_column(String(255))
    # sha256 of the first finish body's canonical JSON: an identical retry is answered again
    finish_digest: Mapped[str | None] = mapped_column(String(64))


class Score(db.Model):
    """A server-computed score: one per finished session."""

    __tablename__ = "scores"
    __table_args__ = (Index("ix_scores_campaign_player", "campaign_id", "player_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    session_id: Mapped[str] = mapped_column(ForeignKey("play_sessions.id"), unique=True)
    score: Mapped[int] = mapped_column(BigInteger)
    # the game rules' version the play was scored by: each version has boards of its own
    game_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    moves: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    # the coupons this finish won, as its answer showed them (a retried finish shows them again)
    rewards: Mapped[list | None] = mapped_column(JSON)
    # what the play told: the game type's ``session_metrics`` and the input log,
    # zlib-compressed JSON (engine.play.move_log); None for scores kept before
    # they were stored (migration 0007 backfills nothing it cannot know)
    metrics: Mapped[dict | None] = mapped_column(JSON)
    move_log: Mapped[bytes | None] = mapped_column(LargeBinary)
    # the moment the score was reached: ties on a leaderboard go to the earlier
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


HELD_STATUSES = ("held", "approved", "rejected")


class HeldScore(db.Model):
    """A finished session's score held by a risk flag: off the boards until approved.

    It keeps everything a ``Score`` keeps (the evidence a reviewer reads);
    approval copies it into ``scores`` with its original time, rejection
    leaves it here as ``rejected``.
    """

    __tablename__ = "held_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    session_id: Mapped[str] = mapped_column(ForeignKey("play_sessions.id"), unique=True)
    score: Mapped[int] = mapped_column(BigInteger)
    moves: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict | None] = mapped_column(JSON)
    move_log: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(12), default="held")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
