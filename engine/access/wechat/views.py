"""WeChat's OAuth callback: finish the login and return to the page."""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request

from engine.access.wechat import login
from engine.access.wechat.oauth import WeChatError

log = logging.getLogger(__name__)
bp = Blueprint("wechat", __name__, url_prefix="/wechat")


@bp.get("/oauth/callback")
def oauth_callback():
    """Identify the visitor from WeChat's code, then go back where they were."""
    next_path = login.safe_next(request.args.get("next"))
    code, brand = request.args.get("code"), request.args.get("b", type=int)
    if not code or brand is None:
        # the visitor declined, or the link was cut: show the page without a player
        return render_template("login_failed.html", next_path=next_path), 400
    try:
        login.complete_login(brand, code, request.args.get("state", ""))
    except (WeChatError, ValueError) as exc:
        log.warning("wechat login failed: %s", exc)
        return render_template("login_failed.html", next_path=next_path), 400
    return redirect(next_path)
