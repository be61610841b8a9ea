"""Share posters: a PNG for Moments with the brand, the campaign, the sharer and a QR code.

Drawn with Pillow, the QR code made by ``qrcode``; a poster is cached in
Redis (it can always be drawn again) under a digest of everything drawn on
it, so a changed title or nickname draws a new one.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
from functools import lru_cache

import qrcode
from flask import current_app
from PIL import Image, ImageDraw, ImageFont

from engine import keys
from engine.extensions import redis_store
from engine.models import Campaign, Player

log = logging.getLogger(__name__)
WIDTH, HEIGHT = 750, 1334
CACHE_TTL_S = 7 * 86400
# CJK fonts on common systems (Debian: fonts-wqy-microhei, fonts-noto-cjk)
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)


@lru_cache(maxsize=16)
def _font(path: str, size: int) -> ImageFont.ImageFont:
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def font_path() -> str:
    """Return the configured CJK font, else the first one found ("" when none is)."""
    configured = current_app.config.get("POSTER_FONT")
    if configured:
        return configured
    found = next((p for p in FONT_PATHS if os.path.exists(p)), "")
    if not found:
        log.warning("no CJK font found for posters; install fonts-wqy-microhei or set POSTER_FONT")
    return found


def _colour(value: str | None, default: str) -> str:
    text = (value or "").strip()
    return text if text.startswith("#") and len(text) in (4, 7) else default


def qr_image(url: str, size: int) -> Image.Image:
    """Return the QR code of ``url`` as a ``size`` × ``size`` image."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image() \
        .convert("RGB").resize((size, size), Image.NEAREST)


def draw_poster(brand_name: str, title: str, nickname: str, url: str, colour: str) -> bytes:
    """Return the poster PNG: brand, campaign title, who invites, the QR code of ``url``."""
    path = font_path()
    image = Image.new("RGB", (WIDTH, HEIGHT), colour)
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((40, 220, WIDTH - 40, HEIGHT - 80), radius=36, fill="white")
    pen.text((WIDTH // 2, 110), brand_name[:20], font=_font(path, 40), fill="white", anchor="mm")
    pen.text((WIDTH // 2, 330), title[:16], font=_font(path, 56), fill="#222222", anchor="mm")
    pen.text((WIDTH // 2, 420), f"{nickname[:16]} 邀你一起玩", font=_font(path, 34),
             fill="#666666", anchor="mm")
    qr = qr_image(url, 420)
    image.paste(qr, ((WIDTH - 420) // 2, 500))
    pen.text((WIDTH // 2, 980), "长按识别二维码，参与活动", font=_font(path, 30),
             fill="#888888", anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def poster_png(campaign: Campaign, sharer: Player, url: str) -> bytes:
    """Return the sharer's poster for ``campaign``, drawn once and then cached."""
    branding = campaign.branding or {}
    parts = (campaign.brand.name, campaign.title, sharer.display_name, url,
             _colour(branding.get("primary_color"), "#e8483b"))
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    key = keys.poster(campaign.id, sharer.id, digest)
    cached = redis_store.r.get(key)
    if cached:
        return base64.b64decode(cached)
    png = draw_poster(*parts)
    redis_store.r.set(key, base64.b64encode(png).decode(), ex=CACHE_TTL_S)
    return png
