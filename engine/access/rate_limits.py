"""Rate limits: whom each limit counts, how much it allows, and the 429 it answers.

The one ``limiter`` lives in ``engine.extensions`` and counts in the app's
Redis, so every process shares the counts. Player endpoints are limited per
player (the players this browser's signed cookie names; a browser that has
none yet is counted by its device: address and user agent) and, loosely,
per address: behind a mobile carrier's NAT thousands of players share one
address, so an address limit only stops floods. Suspicion from one address
goes to the risk queue instead (``engine.risk``); it never blocks tracking.
Limit values come from ``RATE_LIMITS`` in ``engine.config``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from flask import Flask, current_app, request, session
from flask_limiter.errors import RateLimitExceeded

PLAYERS_COOKIE_KEY = "players"  # engine.access.identity.PLAYERS_KEY (no import: a cycle)


def address() -> str:
    """Return the client's address as the app sees it (ProxyFix sets it behind a proxy)."""
    return request.remote_addr or "-"


def device_key() -> str:
    """Return a key for this device: its address and user agent, hashed."""
    raw = f"{address()}|{request.headers.get('User-Agent', '')}".encode()
    return "d:" + hashlib.sha256(raw).hexdigest()[:20]


def player_key() -> str:
    """Return the key that counts this request: its players, else its device."""
    players = session.get(PLAYERS_COOKIE_KEY) or {}
    ids = sorted(v for v in players.values() if isinstance(v, int))
    return "p:" + "-".join(map(str, ids)) if ids else device_key()


def address_key() -> str:
    """Return the key of the loose per-address limit."""
    return "a:" + address()


def limit_value(name: str) -> Callable[[], str]:
    """Return a callable reading limit ``name`` from the app's ``RATE_LIMITS``."""
    return lambda: current_app.config["RATE_LIMITS"][name]


def limited(name: str, key_func: Callable[[], str] | None = None):
    """Decorate a view with limit ``name`` (per player by default) and the address limit."""
    from engine.extensions import limiter

    per_key = limiter.limit(limit_value(name), key_func=key_func, scope=name)
    per_address = limiter.limit(limit_value("address"), key_func=address_key,
                                scope=f"{name}:address")

    def decorate(view):
        return per_address(per_key(view))
    return decorate


def retry_after_s() -> int:
    """Return whole seconds until the limit this request broke lets it through."""
    from engine.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return 1
    # the storage reads the window's expiry in whole seconds, rounded up: never
    # ask for more than one window
    window = current.limit.get_expiry()
    return max(1, min(window, round(current.reset_at - time.time())))


def too_many_requests(_error: RateLimitExceeded):
    """Answer a broken limit with 429, ``Retry-After`` and the API.md error shape."""
    from engine.api.errors import error_response

    return error_response(429, "rate_limited", "操作太频繁，请稍后再试",
                          retry_after=retry_after_s())


def init_app(app: Flask) -> None:
    """Answer every broken limit, API or page, with the one 429."""
    app.register_error_handler(RateLimitExceeded, too_many_requests)
