"""The risk queue: what looked wrong, why, and what a marketer decided."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import UTCDateTime

FLAG_STATUSES = ("pending", "approved", "rejected")


class RiskFlag(db.Model):
    """A suspicion about one subject (a referral, a score, a claim), held for review.

    ``held`` lists what waits on the decision (rewards to issue on approval).
    A flag not reviewed by ``deadline`` follows ``default_action``;
    ``decided_by`` is then ``deadline`` instead of a marketer.
    """

    __tablename__ = "risk_flags"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id", "kind"),
        Index("ix_risk_flags_brand_status", "brand_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    player_id: Mapped[int | None] = mapped_column(ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(255))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    held: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    default_action: Mapped[str] = mapped_column(String(16))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decision_reason: Mapped[str] = mapped_column(String(255), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
