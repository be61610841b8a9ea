"""The marketer's console: sign in, see every campaign of my brands at a glance.

Chinese by default, English when the browser prefers it. Forms carry a CSRF
token kept in the signed session; the console session is the same one the
admin API accepts (``engine.access.auth``).
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from engine.access import auth, identity
from engine.extensions import db
from engine.models import Brand, Campaign, Coupon, CouponBatch, Marketer, PlaySession

bp = Blueprint("console", __name__, url_prefix="/admin")
CSRF_KEY = "console_csrf"

TEXT = {
    "zh": {"title": "互动 · 运营后台", "email": "邮箱", "password": "密码", "sign_in": "登录",
           "sign_out": "退出", "bad_login": "邮箱或密码不正确", "campaigns": "活动",
           "status": "状态", "game": "游戏", "plays": "完成局数", "players": "玩家",
           "coupons": "券：已发 / 已核销", "open": "打开", "none": "还没有活动",
           "api_hint": "脚本调用请用 flask tokens create 生成访问令牌（Bearer）。"},
    "en": {"title": "Hudong · Console", "email": "Email", "password": "Password",
           "sign_in": "Sign in", "sign_out": "Sign out", "bad_login": "Wrong email or password",
           "campaigns": "Campaigns", "status": "Status", "game": "Game", "plays": "Plays",
           "players": "Players", "coupons": "Coupons: issued / redeemed", "open": "Open",
           "none": "No campaigns yet",
           "api_hint": "For scripts, create a personal access token: flask tokens create."},
}


class LoginSchema(Schema):
    """The sign-in form."""

    class Meta:
        unknown = EXCLUDE

    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    csrf = fields.String(required=True)


@bp.before_request
def choose_language() -> None:
    """Pick the console's language from the browser's Accept-Language."""
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    g.lang = "en" if best == "en" else "zh"
    g.t = TEXT[g.lang]


def csrf_token() -> str:
    """Return this session's CSRF token, creating it once."""
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(24)
    return session[CSRF_KEY]


def _check_csrf(value: str | None) -> None:
    if not value or not secrets.compare_digest(value, session.get(CSRF_KEY, "")):
        abort(400, description="CSRF token missing or wrong")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; sign the marketer in."""
    if request.method == "GET":
        return render_template("console/login.html", csrf=csrf_token(), error=None)
    try:
        form = LoginSchema().load(request.form)
    except ValidationError:
        return render_template("console/login.html", csrf=csrf_token(),
                               error=g.t["bad_login"]), 400
    _check_csrf(form["csrf"])
    marketer = db.session.scalar(select(Marketer).where(Marketer.email == form["email"]))
    if marketer is None or not marketer.check_password(form["password"]):
        return render_template("console/login.html", csrf=csrf_token(),
                               error=g.t["bad_login"]), 401
    players = session.get(identity.PLAYERS_KEY)
    session.clear()  # a fresh session on sign-in (no fixation); the player identity stays
    if players:
        session[identity.PLAYERS_KEY] = players
    session[auth.MARKETER_SESSION_KEY] = marketer.id
    session.permanent = True
    return redirect(url_for("console.dashboard"))


@bp.post("/logout")
def logout():
    """Sign out."""
    _check_csrf(request.form.get("csrf"))
    session.pop(auth.MARKETER_SESSION_KEY, None)
    return redirect(url_for("console.login"))


@bp.get("/")
def dashboard():
    """List the campaigns of my brands with plays, players and coupon counts."""
    marketer = auth.current_marketer()
    if marketer is None:
        return redirect(url_for("console.login"))
    brands = db.session.scalars(select(Brand).where(Brand.id.in_(auth.brand_ids_of(marketer)))
                                .order_by(Brand.slug)).all()
    rows = {b.id: campaign_rows(b.id) for b in brands}
    return render_template("console/dashboard.html", marketer=marketer, brands=brands,
                           rows=rows, csrf=csrf_token())


def campaign_rows(brand_id: int) -> list[dict]:
    """Return each campaign of a brand with its headline numbers."""
    found = db.session.scalars(select(Campaign).where(Campaign.brand_id == brand_id)
                               .order_by(Campaign.id.desc())).all()
    ids = [c.id for c in found]
    plays = dict(db.session.execute(
        select(PlaySession.campaign_id, func.count()).where(
            PlaySession.campaign_id.in_(ids), PlaySession.status == "finished")
        .group_by(PlaySession.campaign_id)).all())
    players = dict(db.session.execute(
        select(PlaySession.campaign_id, func.count(func.distinct(PlaySession.player_id)))
        .where(PlaySession.campaign_id.in_(ids)).group_by(PlaySession.campaign_id)).all())
    coupons = {cid: [0, 0] for cid in ids}
    for cid, status, n in db.session.execute(
            select(CouponBatch.campaign_id, Coupon.status, func.count())
            .join(CouponBatch, CouponBatch.id == Coupon.batch_id)
            .where(CouponBatch.campaign_id.in_(ids), Coupon.status != "available")
            .group_by(CouponBatch.campaign_id, Coupon.status)):
        coupons[cid][0] += n
        if status == "redeemed":
            coupons[cid][1] += n
    return [{"campaign": c, "plays": plays.get(c.id, 0), "players": players.get(c.id, 0),
             "issued": coupons[c.id][0], "redeemed": coupons[c.id][1]} for c in found]
