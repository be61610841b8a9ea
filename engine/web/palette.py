"""Brand colours made readable: white text on the brand colour at 4.5:1 or better (WCAG AA)."""

from __future__ import annotations

import re

DEFAULT_BRAND = "#e8474c"
DEFAULT_BACKGROUND = "#fff7e6"
AA = 4.5
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_hex(color: str | None, default: str) -> tuple[int, int, int]:
    """Return the RGB of a ``#rgb`` or ``#rrggbb`` colour, else of ``default``."""
    match = _HEX.match((color or "").strip()) or _HEX.match(default)
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    """Return ``#rrggbb`` for an RGB triple."""
    return "#" + "".join(f"{max(0, min(255, round(v))):02x}" for v in rgb)


def luminance(rgb: tuple[int, int, int]) -> float:
    """Return the relative luminance of an sRGB colour (WCAG 2)."""
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """Return the WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_brand(color: str | None, background: tuple[int, int, int] = (255, 255, 255)) -> str:
    """Return the brand colour darkened just enough to read at 4.5:1 both ways.

    White text on the brand colour (buttons), and brand-coloured text on the
    page's background (links, titles).
    """
    rgb = parse_hex(color, DEFAULT_BRAND)
    factor = 1.0

    def poor(c):
        return contrast(c, (255, 255, 255)) < AA or contrast(c, background) < AA
    while poor(scaled := tuple(v * factor for v in rgb)) and factor > 0:
        factor -= 0.02
    return to_hex(scaled)


def theme(branding: dict | None) -> dict:
    """Return the page's colours from a campaign's branding: brand, ink on brand, background."""
    branding = branding or {}
    raw = to_hex(parse_hex(branding.get("primary_color"), DEFAULT_BRAND))
    background = to_hex(parse_hex(branding.get("background"), DEFAULT_BACKGROUND))
    accent = to_hex(parse_hex(branding.get("accent_color"), "#ffd43b"))
    page = parse_hex(background, DEFAULT_BACKGROUND)
    light_page = contrast(page, (34, 34, 34)) >= AA
    brand = readable_brand(raw, page if light_page else (255, 255, 255))
    # text straight on the page: dark on a light page, white on a dark one; links likewise
    ink = "#222222" if light_page else "#ffffff"
    return {"brand": brand, "brand_raw": raw, "background": background, "ink": ink,
            "link": brand if light_page else ink, "accent": accent}
