"""Static assets on the wire: hashed names cached for a year, everything else revalidated.

Flask-Static-Digest (`flask digest compile`) writes ``name-<md5>.ext`` copies
and ``static/cache_manifest.json``; ``static_url`` names the hashed copy when
the manifest has one. A hashed file never changes, so it is served with
``Cache-Control: public, max-age=31536000, immutable``.
"""

from __future__ import annotations

import os
import re

from flask import Flask, current_app, request
from flask_static_digest import digester

from engine.extensions import static_digest

_HASHED = re.compile(r"-[0-9a-f]{32}\.[A-Za-z0-9]+$")


def static_url(filename: str) -> str:
    """Return the URL of a static file, under its content-hashed name when compiled."""
    return static_digest.static_url_for("static", filename=filename)


def _cache_forever(response):
    if (request.endpoint == "static" and response.status_code == 200
            and _HASHED.search(request.path)):
        max_age = current_app.config["STATIC_IMMUTABLE_MAX_AGE_S"]
        response.headers["Cache-Control"] = f"public, max-age={max_age}, immutable"
    return response


def compile_static(app: Flask) -> None:
    """Write the hashed copies and the manifest afresh (what `flask digest compile` does)."""
    folder = app.static_folder
    digester.clean(folder + os.sep, [], False, False)
    digester.compile(folder, folder, [], False, False)
    static_digest.init_app(app)  # read the new manifest


def register(app: Flask) -> None:
    """Serve hashed files immutable and offer ``static_url`` to templates."""
    app.after_request(_cache_forever)
    app.add_template_global(static_url)


def manifest_path(app: Flask) -> str:
    """Return where Flask-Static-Digest keeps its manifest."""
    return os.path.join(app.static_folder, "cache_manifest.json")
