"""Mainland China mobile numbers: validate, normalize, mask for logs, lists and CSV."""

from __future__ import annotations

import re

# 11 digits starting 13-19 (mainland mobile), optionally written with +86 / 0086
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s-]")


def normalize_mobile(raw: str) -> str | None:
    """Return the 11-digit mobile number in ``raw``, or None if it is not one."""
    digits = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix):]
            break
    return digits if MOBILE_RE.match(digits) else None


def mask_phone(phone: str | None) -> str | None:
    """Return ``138****8000``: the form shown anywhere but the player's own export."""
    if not phone:
        return phone
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "****"
