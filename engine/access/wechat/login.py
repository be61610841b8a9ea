"""Send a visitor through WeChat OAuth and back to the exact page they opened."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from flask import current_app, session, url_for

from engine.access import identity
from engine.access.wechat import credentials
from engine.access.wechat.oauth import SCOPE_BASE, SCOPE_USERINFO, WeChatOAuthClient
from engine.models import Campaign

log = logging.getLogger(__name__)
STATE_KEY = "oauth_state"


def client(brand_id: int) -> WeChatOAuthClient:
    """Return a WeChat OAuth client on the brand's own service account, else the global one."""
    cfg = current_app.config
    creds = credentials.for_brand(brand_id)
    if creds is None:
        raise RuntimeError("WeChat is not configured for this brand")
    return WeChatOAuthClient(creds.appid, creds.secret,
                             oauth_base=cfg["WECHAT_OAUTH_BASE"],
                             api_base=cfg["WECHAT_API_BASE"], timeout=cfg["WECHAT_TIMEOUT_S"])


def safe_next(target: str | None) -> str:
    """Return ``target`` if it is a path on this site, else ``/``."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    # browsers read a backslash as "/" and drop tabs and newlines: both can leave the site
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _external(endpoint: str, **values) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def authorize_url_for(campaign: Campaign, next_path: str) -> str:
    """Return WeChat's consent URL that comes back to ``next_path``."""
    state = secrets.token_urlsafe(12)
    # the state names the brand too: a callback edited to another brand is refused
    session[STATE_KEY] = {"state": state, "brand": campaign.brand_id}
    scope = SCOPE_USERINFO if campaign.require_userinfo else SCOPE_BASE
    redirect_uri = _external("wechat.oauth_callback", b=campaign.brand_id,
                             next=safe_next(next_path))
    with client(campaign.brand_id) as wechat:
        return wechat.authorize_url(redirect_uri, scope, state)


def _state_matches(expected, brand_id: int, state: str | None) -> bool:
    """Return whether the callback's state and brand are the ones this browser started."""
    if not isinstance(expected, dict) or expected.get("brand") != brand_id:
        return False
    return secrets.compare_digest(str(expected.get("state", "")), state or "")


def complete_login(brand_id: int, code: str, state: str) -> str:
    """Exchange the code and identify the player; return where to send them.

    Raises ``WeChatError`` when WeChat refuses, and ``ValueError`` on a
    state that this browser did not start (a forged or replayed callback).
    """
    if not _state_matches(session.pop(STATE_KEY, None), brand_id, state):
        raise ValueError("oauth state mismatch")
    with client(brand_id) as wechat:
        grant = wechat.exchange_code(code)
        if grant.is_snapshot:
            # a virtual openid: show the page read-only, never create a player
            identity.mark_snapshot()
            return "snapshot"
        nickname = avatar = ""
        unionid = grant.unionid
        if SCOPE_USERINFO in grant.scope:
            info = wechat.userinfo(grant.access_token, grant.openid)
            nickname, avatar, unionid = info.nickname, info.avatar, info.unionid or unionid
    player = identity.identify_wechat_player(brand_id, grant.openid, unionid, nickname, avatar)
    identity.remember_player(player)
    return "ok"
