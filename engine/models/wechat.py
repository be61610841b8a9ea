"""A brand's own WeChat service account (服务号): AppID and encrypted AppSecret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.clock import utcnow
from engine.extensions import db
from engine.models.types import EncryptedText, UTCDateTime


class WeChatAccount(db.Model):
    """The service account a brand's players are identified through.

    Openids belong to the AppID that issued them: a brand whose CRM is keyed
    on its own service account needs its players identified through it.
    """

    __tablename__ = "wechat_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), unique=True)
    appid: Mapped[str] = mapped_column(String(32))
    secret: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
