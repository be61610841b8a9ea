"""Browse the OpenAPI document at ``/api/docs`` with Swagger UI served by us.

Swagger UI's files come from the ``swagger-ui-bundle`` package, so the page
works without internet and without a CDN (blocked or slow in mainland China);
no inline script, so a strict Content-Security-Policy allows it.
"""

from __future__ import annotations

from flask import render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from engine.api.base import Blueprint

bp = Blueprint("apidocs", __name__, url_prefix="/api/docs")
# the bundle's files are versioned by the package: a week of caching is safe
MAX_AGE = 7 * 24 * 3600


@bp.get("")
def docs():
    """Serve the Swagger UI page for ``/api/openapi.json``."""
    return render_template("apidocs.html", spec_url=url_for("api-docs.openapi_json"))


@bp.get("/dist/<path:filename>")
def dist(filename: str):
    """Serve one of Swagger UI's own files."""
    return send_from_directory(str(swagger_ui_path), filename, max_age=MAX_AGE)
