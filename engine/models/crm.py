"""Where a brand's tag changes go (CRM endpoints) and how each batch went (deliveries).

An endpoint keeps a cursor into the tag outbox: every change past it is put
into exactly one delivery (batch), in the same transaction that moves the
cursor. A delivery is then sent, retried with backoff and, after too many
attempts, left dead until a marketer retries it; its rows are the delivery
log. The WeCom tables remember which corp tags this app created (an app may
edit only its own tags) and which WeCom contact a player is.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import EncryptedText, UTCDateTime

KINDS = ("webhook", "wecom")
DELIVERY_STATES = ("pending", "delivered", "dead")


class CrmEndpoint(db.Model):
    """A brand's CRM: a signed webhook URL, or a WeCom corp (客户联系 secret)."""

    __tablename__ = "crm_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(80), default="")
    url: Mapped[str | None] = mapped_column(String(2048))
    corp_id: Mapped[str | None] = mapped_column(String(64))
    secret: Mapped[str] = mapped_column(EncryptedText)
    # group names whose changes go here; None means every group
    tag_groups: Mapped[list | None] = mapped_column(JSON)
    # the last outbox change id put into a delivery of this endpoint
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(db.Model):
    """One batch of changes for one endpoint, and the log of sending it."""

    __tablename__ = "crm_deliveries"
    __table_args__ = (Index("ix_crm_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("crm_endpoints.id"), index=True)
    # the Idempotency-Key: the same on every attempt
    batch_id: Mapped[str] = mapped_column(String(40), unique=True)
    change_ids: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # a sender holds the delivery until then; a killed sender's hold simply runs out
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WeComTag(db.Model):
    """A corp tag this app created in WeCom (the ledger: an app may edit only its own)."""

    __tablename__ = "wecom_tags"
    __table_args__ = (UniqueConstraint("endpoint_id", "group_name", "tag_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("crm_endpoints.id"), index=True)
    group_name: Mapped[str] = mapped_column(String(64))
    tag_name: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[str] = mapped_column(String(64))
    tag_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlayerWeCom(db.Model):
    """A player as a WeCom external contact of one corp, with the staff member who has them."""

    __tablename__ = "player_wecom"
    __table_args__ = (UniqueConstraint("player_id", "corp_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), index=True)
    corp_id: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(128))
    userid: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="brand")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
