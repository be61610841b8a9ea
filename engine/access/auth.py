"""Credentials: marketers (console session or personal access token), brand API keys.

Tokens and keys are long random secrets shown once; only their SHA-256 is
stored. Every marketer call is scoped to the brands the marketer belongs to,
and every API-key call to the key's brand: another brand's objects are 404.
A marketer's role in the object's brand decides whether they may change it
(an analyst only reads: 403). A write authenticated by the console's cookie
must carry the session's ``X-CSRF-Token`` header; a bearer token needs none.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from flask import g, request
from sqlalchemy import select

from engine.access import signin
from engine.clock import utcnow
from engine.errors import CsrfFailed, Forbidden, MissingScope, NotAuthenticated, NotFound
from engine.extensions import db
from engine.models import AccessToken, ApiKey, Brand, BrandMember, Campaign, Marketer
from engine.models.console import WRITER_ROLES

TOKEN_PREFIX = "hdp_"
KEY_PREFIX = "hdk_"
SCOPES = ("coupons:redeem", "tags:read", "reports:read", "players:write")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_HEADER = "X-CSRF-Token"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_access_token(marketer: Marketer, name: str = "") -> tuple[str, AccessToken]:
    """Create a personal access token; return the secret (shown once) and its row."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = AccessToken(marketer_id=marketer.id, name=name, prefix=secret[:10],
                      token_hash=_digest(secret))
    db.session.add(row)
    return secret, row


def create_api_key(brand: Brand, scopes: list[str], name: str = "") -> tuple[str, ApiKey]:
    """Create a brand API key with ``scopes``; return the secret (shown once) and its row."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(brand_id=brand.id, name=name, prefix=secret[:10], key_hash=_digest(secret),
                 scopes=sorted(set(scopes)))
    db.session.add(row)
    return secret, row


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("X-Api-Key") or None


def current_marketer() -> Marketer | None:
    """Return the marketer of this request: by bearer token, else by console sign-in.

    Sets ``g.by_cookie`` to whether the console's cookie authenticated them.
    """
    g.by_cookie = False
    secret = _bearer()
    if secret and secret.startswith(TOKEN_PREFIX):
        token = db.session.scalar(select(AccessToken).where(
            AccessToken.token_hash == _digest(secret), AccessToken.revoked_at.is_(None)))
        if token is None:
            return None
        _note_use(token)
        return db.session.get(Marketer, token.marketer_id)
    sign_in = signin.current_sign_in()
    if sign_in is None:
        return None
    g.by_cookie = True
    return db.session.get(Marketer, sign_in.marketer_id)


def roles_of(marketer: Marketer) -> dict[int, str]:
    """Return the marketer's role in each brand they work for, by brand id."""
    return dict(db.session.execute(select(BrandMember.brand_id, BrandMember.role)
                                   .where(BrandMember.marketer_id == marketer.id)).all())


def brand_ids_of(marketer: Marketer) -> set[int]:
    """Return the ids of the brands the marketer works for."""
    return set(roles_of(marketer))


def check_csrf_header() -> None:
    """Refuse a cookie-authenticated write without the session's ``X-CSRF-Token``."""
    if request.method in SAFE_METHODS or not g.get("by_cookie"):
        return
    if not signin.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise CsrfFailed()


def marketer_required(view):
    """Require a marketer; put them on ``g.marketer``, their roles on ``g.roles``.

    ``g.brand_ids`` holds the brands they work for. A cookie-authenticated
    write must carry the CSRF header.
    """
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        marketer = current_marketer()
        if marketer is None:
            raise NotAuthenticated("需要登录或有效的访问令牌")
        check_csrf_header()
        g.marketer, g.roles = marketer, roles_of(marketer)
        g.brand_ids = set(g.roles)
        return view(*args, **kwargs)
    return wrapper


def may_write(brand_id: int) -> bool:
    """Return whether the current marketer may change ``brand_id``'s objects."""
    return g.roles.get(brand_id) in WRITER_ROLES


def _check_role(brand_id: int) -> None:
    # a write is any unsafe method: an analyst reads everything and changes nothing
    if request.method not in SAFE_METHODS and not may_write(brand_id):
        raise Forbidden("只读角色（分析师）不能修改", code="read_only_role")


def _api_key(secret: str | None) -> ApiKey | None:
    if not secret:
        return None
    return db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(secret),
                                                  ApiKey.revoked_at.is_(None)))


def api_key_required(scope: str):
    """Require a brand API key holding ``scope``; put its brand id on ``g.brand_id``."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            key = _api_key(_bearer())
            if key is None:
                raise NotAuthenticated("需要有效的 API key")
            if scope not in (key.scopes or []):
                raise MissingScope()
            _note_use(key)
            g.brand_id, g.api_key = key.brand_id, key
            return view(*args, **kwargs)
        return wrapper
    return decorate


def _note_use(credential) -> None:
    """Stamp a token's or key's use in a transaction of its own, committed now.

    Left to the view's commit, the stamp's UPDATE would hold the write from
    the first query on, across the view's Redis round trips (the report
    cache): on SQLite under gevent that stalls the worker.
    """
    credential.last_used_at = utcnow()
    db.session.commit()


def marketer_or_key_required(scope: str):
    """Require a marketer (token or console session) or a brand API key holding ``scope``.

    Puts the brands the caller may read on ``g.brand_ids``.
    """
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            marketer = current_marketer()
            if marketer is not None:
                check_csrf_header()
                g.marketer, g.roles = marketer, roles_of(marketer)
                g.brand_ids = set(g.roles)
                return view(*args, **kwargs)
            key = _api_key(_bearer())
            if key is None:
                raise NotAuthenticated("需要登录、访问令牌或 API key")
            if scope not in (key.scopes or []):
                raise MissingScope()
            _note_use(key)
            g.brand_id, g.api_key, g.brand_ids = key.brand_id, key, {key.brand_id}
            g.roles = {}
            return view(*args, **kwargs)
        return wrapper
    return decorate


def owned(model, object_id: int, *, reading: bool = False):
    """Return ``model`` row ``object_id`` if it belongs to one of ``g.brand_ids``; else 404.

    A write (unsafe method) also needs a writer's role in that brand (else 403),
    unless the caller says the request only reads (``reading``).
    """
    row = db.session.get(model, object_id)
    if row is None or row.brand_id not in g.brand_ids:
        raise NotFound()
    if not reading:
        _check_role(row.brand_id)
    return row


def owned_campaign(campaign_id: int, *, reading: bool = False) -> Campaign:
    """Return the marketer's campaign ``campaign_id`` or raise 404 (403: see ``owned``)."""
    return owned(Campaign, campaign_id, reading=reading)


def owned_brand(slug: str) -> Brand:
    """Return the marketer's brand by slug or raise 404."""
    brand = db.session.scalar(select(Brand).where(Brand.slug == slug))
    if brand is None or brand.id not in g.brand_ids:
        raise NotFound()
    _check_role(brand.id)
    return brand
