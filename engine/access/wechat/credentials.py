"""Which WeChat service account identifies a brand's players: its own, else the global one.

A brand may set its own AppID and AppSecret (``flask brands wechat set``);
the secret is encrypted at rest. Without them the deployment's
``WECHAT_APPID``/``WECHAT_SECRET`` are used, as in a single-brand setup.
Every WeChat call made for a brand (OAuth, JS-SDK signatures) takes its
credentials from ``for_brand``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from engine.extensions import db
from engine.models import Brand
from engine.models.wechat import WeChatAccount

APPID_RE = re.compile(r"^wx[0-9a-f]{16}$")
SECRET_RE = re.compile(r"^[0-9A-Za-z]{16,64}$")


@dataclass(frozen=True)
class WeChatCredentials:
    """An AppID with its secret, and where they came from (``brand`` or ``global``)."""

    appid: str
    secret: str
    source: str

    def __repr__(self) -> str:  # never print the secret
        return f"WeChatCredentials(appid={self.appid!r}, source={self.source!r})"


def _brand_id(brand: Brand | int) -> int:
    return brand if isinstance(brand, int) else brand.id


def for_brand(brand: Brand | int | None) -> WeChatCredentials | None:
    """Return the credentials for ``brand``'s WeChat calls, or None when WeChat is off."""
    if brand is not None:
        account = db.session.scalar(select(WeChatAccount)
                                    .where(WeChatAccount.brand_id == _brand_id(brand)))
        if account is not None:
            return WeChatCredentials(account.appid, account.secret, "brand")
    cfg = current_app.config
    if cfg.get("WECHAT_APPID"):
        return WeChatCredentials(cfg["WECHAT_APPID"], cfg.get("WECHAT_SECRET", ""), "global")
    return None


def set_for_brand(brand: Brand, appid: str, secret: str) -> WeChatAccount:
    """Set (or replace) ``brand``'s own service account; the caller commits.

    Raises ``ValueError`` naming the malformed field.
    """
    appid, secret = appid.strip(), secret.strip()
    if not APPID_RE.match(appid):
        raise ValueError("appid: 'wx' followed by 16 hexadecimal characters")
    if not SECRET_RE.match(secret):
        raise ValueError("secret: 16-64 letters and digits (the AppSecret)")
    account = db.session.scalar(select(WeChatAccount).where(WeChatAccount.brand_id == brand.id))
    if account is None:
        account = WeChatAccount(brand_id=brand.id)
        db.session.add(account)
    account.appid, account.secret = appid, secret
    return account


def clear_for_brand(brand: Brand) -> bool:
    """Remove ``brand``'s own account (back to the global one); return whether one existed."""
    account = db.session.scalar(select(WeChatAccount).where(WeChatAccount.brand_id == brand.id))
    if account is None:
        return False
    db.session.delete(account)
    return True
