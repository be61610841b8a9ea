"""我的券 as a wallet: each coupon with a QR code, its code in large type, status in Chinese."""

from __future__ import annotations

import re
from datetime import datetime

import qrcode
import qrcode.image.svg
from markupsafe import Markup

STATUS_LABELS = {"issued": "可使用", "redeemed": "已使用", "expired": "已过期",
                 "held": "审核中", "available": "未领取"}
HOW_TO_USE = "到店结账时出示此券，由店员扫描二维码或输入券码核销；每张券限用一次。"
_SIZE = re.compile(r'\s(width|height)="[^"]*"')


def qr_svg(code: str) -> Markup:
    """Return an inline SVG QR code of ``code`` that scales to its box."""
    image = qrcode.make(code, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    svg = _SIZE.sub("", svg, count=2)  # the CSS box sizes it
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="券码二维码" ', 1))


def wallet_items(coupons: list[dict]) -> list[dict]:
    """Return coupons as the wallet shows them: QR, label, what to do with each."""
    items = []
    for coupon in coupons:
        status = coupon["status"]
        items.append({**coupon, "label": STATUS_LABELS.get(status, status),
                      "qr": qr_svg(coupon["code"]) if status == "issued" else None,
                      "how": HOW_TO_USE})
    # usable coupons first, then used, then expired; newest first within each
    order = {"issued": 0, "redeemed": 1, "expired": 2}
    return sorted(items, key=lambda c: (order.get(c["status"], 3), -_ts(c.get("issued_at"))))


def _ts(value: str | None) -> float:
    return datetime.fromisoformat(value).timestamp() if value else 0.0
