"""Console page for a brand's own WeChat service account: AppID and AppSecret.

The secret is stored encrypted (``engine.access.wechat.credentials``, the same
service as ``flask brands wechat set``) and never shown back, not even masked:
the page says only whether one is set. Only the brand's owners set or remove it;
marketers and analysts read which AppID is in use and whether a secret is set.
"""

from __future__ import annotations

from flask import current_app, g, render_template, request

from engine.access import auth
from engine.access.wechat import credentials
from engine.errors import Forbidden
from engine.extensions import db
from engine.web.console import bp


def _page(brand, errors: dict | None = None, done: str = "", appid_typed: str = "",
          status: int = 200):
    found = credentials.for_brand(brand)  # the secret stays here: the template gets none
    current = None if found is None else {"appid": found.appid, "source": found.source}
    return render_template("console/wechat.html", brand=brand, tab="wechat", current=current,
                           global_appid=current_app.config.get("WECHAT_APPID") or "",
                           errors=errors or {}, done=done, appid_typed=appid_typed), status


def _owned_by_owner(slug: str):
    brand = auth.owned_brand(slug)  # 404 for another brand; an analyst's change is 403
    if g.roles.get(brand.id) != "owner":
        raise Forbidden("只有品牌所有者可以设置微信账号", code="owner_only")
    return brand


@bp.get("/brands/<slug>/wechat")
def wechat_page(slug: str):
    """Show which AppID identifies the brand's players (the secret is never shown)."""
    return _page(auth.owned_brand(slug))


@bp.post("/brands/<slug>/wechat")
def save_wechat(slug: str):
    """Set (or replace) the brand's AppID and AppSecret; the secret is stored encrypted."""
    brand = _owned_by_owner(slug)
    appid = request.form.get("appid") or ""
    try:
        credentials.set_for_brand(brand, appid, request.form.get("secret") or "")
    except ValueError as exc:  # names the malformed field: "appid: ..." or "secret: ..."
        field, _, message = str(exc).partition(": ")
        return _page(brand, {field: [message]}, appid_typed=appid, status=422)
    db.session.commit()
    return _page(brand, done="saved")


@bp.post("/brands/<slug>/wechat/clear")
def clear_wechat(slug: str):
    """Remove the brand's own account: its players go back to the global AppID."""
    brand = _owned_by_owner(slug)
    credentials.clear_for_brand(brand)
    db.session.commit()
    return _page(brand, done="cleared")
