"""Credentials: marketers (console session or personal access token), brand API keys.

Tokens and keys are long random secrets shown once; only their SHA-256 is
stored. Every marketer call is scoped to the brands the marketer belongs to,
and every API-key call to the key's brand: another brand's objects are 404.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from flask import g, request, session
from sqlalchemy import select

from engine.clock import utcnow
from engine.errors import MissingScope, NotAuthenticated, NotFound
from engine.extensions import db
from engine.models import AccessToken, ApiKey, Brand, BrandMember, Campaign, Marketer

TOKEN_PREFIX = "hdp_"
KEY_PREFIX = "hdk_"
SCOPES = ("coupons:redeem", "tags:read", "reports:read", "players:write")
MARKETER_SESSION_KEY = "marketer_id"


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
    """Return the marketer of this request: by bearer token, else by console session."""
    secret = _bearer()
    if secret and secret.startswith(TOKEN_PREFIX):
        token = db.session.scalar(select(AccessToken).where(
            AccessToken.token_hash == _digest(secret), AccessToken.revoked_at.is_(None)))
        if token is None:
            return None
        token.last_used_at = utcnow()
        return db.session.get(Marketer, token.marketer_id)
    marketer_id = session.get(MARKETER_SESSION_KEY)
    return db.session.get(Marketer, marketer_id) if marketer_id else None


def brand_ids_of(marketer: Marketer) -> set[int]:
    """Return the ids of the brands the marketer works for."""
    return set(db.session.scalars(select(BrandMember.brand_id)
                                  .where(BrandMember.marketer_id == marketer.id)))


def marketer_required(view):
    """Require a marketer; put them on ``g.marketer`` and their brands on ``g.brand_ids``."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        marketer = current_marketer()
        if marketer is None:
            raise NotAuthenticated("需要登录或有效的访问令牌")
        g.marketer, g.brand_ids = marketer, brand_ids_of(marketer)
        return view(*args, **kwargs)
    return wrapper


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
            key.last_used_at = utcnow()
            g.brand_id, g.api_key = key.brand_id, key
            return view(*args, **kwargs)
        return wrapper
    return decorate


def owned(model, object_id: int):
    """Return ``model`` row ``object_id`` if it belongs to one of ``g.brand_ids``; else 404."""
    row = db.session.get(model, object_id)
    if row is None or row.brand_id not in g.brand_ids:
        raise NotFound()
    return row


def owned_campaign(campaign_id: int) -> Campaign:
    """Return the marketer's campaign ``campaign_id`` or raise 404."""
    return owned(Campaign, campaign_id)


def owned_brand(slug: str) -> Brand:
    """Return the marketer's brand by slug or raise 404."""
    brand = db.session.scalar(select(Brand).where(Brand.slug == slug))
    if brand is None or brand.id not in g.brand_ids:
        raise NotFound()
    return brand
