"""The security headers of every response, through Flask-Talisman.

Content-Security-Policy: scripts only from our origin (or an inline one
carrying the request's nonce, ``{{ csp_nonce() }}``); styles from our origin
and inline (the play page's brand colours, canvas code setting styles);
images also from WeChat's avatar hosts and the brand's asset origin
(``ASSET_ORIGIN``); connections (Socket.IO, its WebSocket too) to our
origin; framing by our own origin only (the console's preview frame).
Plus ``X-Content-Type-Options: nosniff``, ``Referrer-Policy`` and, in
production over HTTPS, HSTS. The API browser at ``/api/docs`` keeps its
inline start-up script.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask
from flask_talisman import Talisman

# WeChat serves avatars (headimgurl) from these hosts, over http and https
WECHAT_AVATAR_HOSTS = ("thirdwx.qlogo.cn", "wx.qlogo.cn")
REFERRER_POLICY = "strict-origin-when-cross-origin"


def _origins(url: str) -> list[str]:
    """Return the origin of ``url`` and its WebSocket twin, or nothing when unset."""
    parts = urlsplit(url)
    if not parts.netloc:
        return []
    ws = "wss" if parts.scheme == "https" else "ws"
    return [f"{parts.scheme}://{parts.netloc}", f"{ws}://{parts.netloc}"]


def content_security_policy(config: dict) -> dict:
    """Return the CSP of every page and answer, built from the app's config."""
    asset = _origins(config.get("ASSET_ORIGIN", ""))[:1]
    avatars = [f"{scheme}://{host}" for host in WECHAT_AVATAR_HOSTS
               for scheme in ("https", "http")]
    return {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *avatars, *asset],
        "media-src": ["'self'", "data:", "blob:", *asset],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *_origins(config.get("PUBLIC_BASE_URL", ""))],
        "frame-ancestors": "'self'",
        "frame-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
    }


def _docs_policy(policy: dict, swagger_url: str) -> dict:
    """Return the CSP of the API browser: its inline start-up script, its CDN if any."""
    cdn = _origins(swagger_url)[:1]
    return {**policy, "script-src": ["'self'", "'unsafe-inline'", *cdn],
            "style-src": ["'self'", "'unsafe-inline'", *cdn],
            "img-src": ["'self'", "data:", *cdn]}


def _with_policy(view, policy: dict):
    """Return ``view`` carrying its own policy (Talisman reads it off the view function)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        return view(*args, **kwargs)
    wrapped.talisman_view_options = {"content_security_policy": policy}
    return wrapped


def init_app(app: Flask) -> None:
    """Put the headers on every response of ``app`` (once its routes are registered).

    Talisman keeps its options on its own instance, so each app gets its own
    (one shared instance would give every app the last one's policy).
    """
    production = app.config["HUDONG_ENV"] == "production"
    policy = content_security_policy(app.config)
    app.extensions["talisman"] = Talisman(
        app, force_https=False,  # TLS ends at the proxy; HSTS tells browsers to stay on it
        strict_transport_security=production, session_cookie_secure=production,
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        frame_options="SAMEORIGIN", content_security_policy=policy,
        content_security_policy_nonce_in=["script-src"], referrer_policy=REFERRER_POLICY,
        x_content_type_options=True)
    docs = _docs_policy(policy, app.config.get("OPENAPI_SWAGGER_UI_URL", ""))
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.endswith("openapi_swagger_ui"):
            app.view_functions[endpoint] = _with_policy(view, docs)
