"""The marketer's console: server-rendered pages over the admin services.

Every page but sign-in and an invitation needs a live console sign-in
(``engine.access.signin``); every POST carries the session's CSRF token in
its ``csrf`` field. The marketer sees only their brands; an analyst sees
everything and changes nothing (the services refuse; the pages hide the
buttons). Text comes from Flask-Babel catalogs: Chinese by default, English
when the browser prefers it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.access import auth, signin
from engine.api.errors import handle_domain_error, status_of
from engine.clock import as_utc
from engine.errors import DomainError
from engine.extensions import db
from engine.models import Marketer
from engine.web.console import names
from engine.web.locale import select_locale

bp = Blueprint("console", __name__, url_prefix="/admin")
# pages a stranger may open
PUBLIC_ENDPOINTS = ("console.login", "console.invite")
# forms that carry files get a body limit of their own (config key); the rest a small one
BODY_LIMITS = {"console.save_game": "UPLOAD_FORM_MAX_BYTES",
               "console.save_branding": "UPLOAD_FORM_MAX_BYTES",
               "console.create_batch": "CODES_FORM_MAX_BYTES",
               "console.import_codes": "CODES_FORM_MAX_BYTES"}
FORM_MAX_BYTES = 256 * 1024
DEFAULT_TZ = "Asia/Shanghai"  # brand-wide pages show times here (campaign pages: its own zone)


@bp.before_request
def require_sign_in():
    """Load the signed-in marketer and their roles; check the CSRF token of a POST."""
    limit = BODY_LIMITS.get(request.endpoint)
    request.max_content_length = current_app.config[limit] if limit else FORM_MAX_BYTES
    token = request.form.get("csrf") or request.headers.get(auth.CSRF_HEADER)
    if request.method == "POST" and not signin.csrf_matches(token):
        return render_template("console/refused.html",
                               message=_("This form has expired. Go back, reload the page "
                                         "and try again.")), 400
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    sign_in = signin.current_sign_in()
    if sign_in is None:
        return redirect(url_for("console.login", next=request.full_path
                                if request.method == "GET" else None))
    g.sign_in = sign_in
    g.marketer = db.session.get(Marketer, sign_in.marketer_id)
    g.roles = auth.roles_of(g.marketer)
    g.brand_ids = set(g.roles)
    g.by_cookie = True
    return None


@bp.errorhandler(DomainError)
def refused(error: DomainError):
    """Show a domain error (not found, read-only role...) as a console page, or JSON to scripts."""
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return handle_domain_error(error)
    return render_template("console/refused.html", message=error.message), status_of(error)


@bp.app_context_processor
def console_globals() -> dict:
    """Give every template the CSRF token and role helpers."""
    return {"csrf_token": signin.csrf_token, "may_write": _may_write, "locale": select_locale,
            **names.names()}


@bp.app_template_filter("local_time")
def local_time(moment, tz: str = DEFAULT_TZ) -> str:
    """Show a stored (UTC) moment, or its ISO 8601 text, in ``tz`` to the minute; blank for None."""
    if not moment:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return as_utc(moment).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _may_write(brand_id: int) -> bool:
    return bool(g.get("roles")) and auth.may_write(brand_id)


from engine.web.console import (  # noqa: E402,F401  (routes)
    account,
    campaigns,
    dashboard,
    editor,
    preview,
    referral,
    rewards,
    risk,
    wechat,
)
