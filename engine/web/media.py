"""Serve uploaded images under content-hashed URLs, cached for a year."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from engine import media

bp = Blueprint("media", __name__, url_prefix="/media")
# the URL names the bytes: they never change, so every cache may keep them
YEAR = 365 * 24 * 3600


@bp.get("/<string(length=64):sha256>.<any(png,jpg,gif,webp):ext>")
def image(sha256: str, ext: str):
    """Serve one stored image."""
    if request.if_none_match.contains(sha256):
        resp = Response(status=304)
    else:
        row = media.find(sha256, ext)
        if row is None:
            abort(404)
        resp = Response(row.data, mimetype=row.content_type)
    resp.set_etag(sha256)
    resp.cache_control.public = True
    resp.cache_control.max_age = YEAR
    resp.cache_control.immutable = True
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
