"""Choose the language of a page: Simplified Chinese unless the browser prefers English."""

from __future__ import annotations

from flask import request

LOCALES = ("zh", "en")


def select_locale() -> str:
    """Return ``en`` when the browser ranks English above Chinese, else ``zh``."""
    if not request:
        return "zh"
    return request.accept_languages.best_match(LOCALES, default="zh")
