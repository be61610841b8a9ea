"""Static assets on the wire: hashed names cached for a year, everything else revalidated.

Flask-Static-Digest (`flask digest compile`) writes ``name-<md5>.ext`` copies
and ``static/cache_manifest.json``; ``static_url`` names the hashed copy when
the manifest has one. A hashed file never changes, so it is served with
``Cache-Control: public, max-age=31536000, immutable``.
"""

from __future__ import annotations

import logging
import os
import re

from flask import Flask, current_app, request
from flask_static_digest import digester

from engine.extensions import static_digest

log = logging.getLogger(__name__)
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
    """Write the hashed copies and the manifest afresh (what `flask digest compile` does).

    Nothing is rewritten when the manifest is newer than every source file.
    """
    if manifest_is_current(app):
        return
    folder = app.static_folder
    digester.clean(folder + os.sep, [], False, False)
    digester.compile(folder, folder, [], False, False)
    static_digest.init_app(app)  # read the new manifest


def manifest_is_current(app: Flask) -> bool:
    """Return whether the manifest is newer than every source file under static/."""
    manifest = manifest_path(app)
    if not os.path.exists(manifest):
        return False
    compiled = os.path.getmtime(manifest)
    for folder, _, files in os.walk(app.static_folder):
        for name in files:
            if not _HASHED.search(name) and name != "cache_manifest.json":
                if os.path.getmtime(os.path.join(folder, name)) > compiled:
                    return False
    return True


def register(app: Flask) -> None:
    """Serve hashed files immutable and offer ``static_url`` to templates.

    A manifest older than a source file would name stale copies: then plain
    names are served (and a warning says to run ``make digest``).
    """
    if os.path.exists(manifest_path(app)) and not manifest_is_current(app):
        log.warning("static/ changed since `flask digest compile`: serving plain names "
                    "until `make digest` runs")
        static_digest.manifests.pop("static", None)
    app.after_request(_cache_forever)
    app.add_template_global(static_url)


def manifest_path(app: Flask) -> str:
    """Return where Flask-Static-Digest keeps its manifest."""
    return os.path.join(app.static_folder, "cache_manifest.json")
