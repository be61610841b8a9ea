"""Share tokens: a signed "this sharer, this campaign" carried by a share link."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from engine.models import Campaign, Player

_SALT = "share"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def share_token_for(campaign: Campaign, player: Player) -> str:
    """Return the token a share link of ``player`` for ``campaign`` carries (``?s=``)."""
    return _serializer().dumps({"c": campaign.id, "p": player.id})


def sharer_from_token(campaign: Campaign, token: str | None) -> int | None:
    """Return the sharer's player id if ``token`` is a genuine share of ``campaign``.

    Anything else (empty, truncated, forged, another campaign's, junk) is None.
    """
    if not token or not isinstance(token, str) or len(token) > 256:
        return None
    try:
        claims = _serializer().loads(token)
    except (BadData, ValueError, TypeError):
        return None
    if not isinstance(claims, dict) or claims.get("c") != campaign.id:
        return None
    sharer = claims.get("p")
    return sharer if type(sharer) is int and sharer > 0 else None
