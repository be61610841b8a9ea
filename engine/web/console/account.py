"""Console pages for people: sign in and out, password, the brand's team, invitations."""

from __future__ import annotations

import hashlib

from flask import g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from engine.access import auth, members, signin
from engine.access.rate_limits import address_key, limit_value, retry_after_s
from engine.errors import DomainError
from engine.extensions import db, limiter
from engine.models import Brand, Marketer
from engine.models.console import ROLES
from engine.web.console import bp


class LoginSchema(Schema):
    """The sign-in form."""

    class Meta:
        unknown = EXCLUDE

    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PasswordSchema(Schema):
    """The password change form."""

    class Meta:
        unknown = EXCLUDE

    current_password = fields.String(required=True, validate=validate.Length(max=200))
    new_password = fields.String(required=True, validate=validate.Length(max=200))


class InviteSchema(Schema):
    """An owner's invitation form."""

    class Meta:
        unknown = EXCLUDE

    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class RoleSchema(Schema):
    """An owner's change of a member's role."""

    class Meta:
        unknown = EXCLUDE

    marketer_id = fields.Integer(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class AcceptSchema(Schema):
    """The invitation's form: a name and a password."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(load_default="", validate=validate.Length(max=120))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


def _safe_next(target: str | None) -> str:
    # only a path inside the console: never an open redirect
    if target and target.startswith("/admin/") and not target.startswith("//"):
        return target
    return url_for("console.home")


def _find_marketer(email: str) -> Marketer | None:
    return db.session.scalar(select(Marketer).where(func.lower(Marketer.email) == email.lower()))


def _account_key() -> str:
    email = (request.form.get("email") or "").strip().lower()
    return "acct:" + hashlib.sha256(email.encode()).hexdigest()[:24]


def _failed(response) -> bool:
    return response.status_code == 401


# only failures count; the 11th attempt within the window is 429, right password or not
_per_account = limiter.limit(limit_value("console_login"), key_func=_account_key,
                             scope="console_login:account", methods=["POST"],
                             deduct_when=_failed)
_per_address = limiter.limit(limit_value("console_login"), key_func=address_key,
                             scope="console_login:address", methods=["POST"],
                             deduct_when=_failed)


@bp.errorhandler(RateLimitExceeded)
def locked_out(_error):
    """Show the sign-in form with the lockout message, 429 and ``Retry-After``."""
    wait = retry_after_s()
    resp = make_response(render_template(
        "console/login.html", error=_("Too many failed sign-ins. Try again in %(minutes)s "
                                      "minutes.", minutes=max(1, -(-wait // 60)))), 429)
    resp.headers["Retry-After"] = str(wait)
    return resp


@bp.route("/login", methods=["GET", "POST"])
@_per_address
@_per_account
def login():
    """Show the sign-in form; sign the marketer in."""
    if request.method == "GET":
        return render_template("console/login.html", error=None)
    try:
        form = LoginSchema().load(request.form)
    except ValidationError:
        return render_template("console/login.html", error=_("Wrong email or password")), 400
    marketer = _find_marketer(form["email"])
    if marketer is None or not marketer.check_password(form["password"]):
        return render_template("console/login.html", error=_("Wrong email or password")), 401
    signin.sign_in(marketer)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    """Sign out: the sign-in is revoked on the server, not only in this browser."""
    signin.sign_out()
    return redirect(url_for("console.login"))


@bp.route("/account", methods=["GET", "POST"])
def account():
    """Show my account; change my password (other sign-ins end)."""
    errors, done = {}, False
    if request.method == "POST":
        try:
            form = PasswordSchema().load(request.form)
            members.change_password(g.marketer, form["current_password"], form["new_password"])
            done = True
        except ValidationError as exc:
            errors = exc.messages
        except DomainError as exc:
            errors = exc.fields or {"_schema": [exc.message]}
    status = 422 if errors else 200
    return render_template("console/account.html", errors=errors, done=done), status


def _brand(slug: str) -> Brand:
    return auth.owned_brand(slug) if request.method == "GET" else _owned_for_owner(slug)


def _owned_for_owner(slug: str) -> Brand:
    brand = auth.owned_brand(slug)
    members.require_owner(brand, g.roles)
    return brand


@bp.route("/brands/<slug>/team", methods=["GET", "POST"])
def team(slug: str):
    """Show the brand's team; an owner invites someone (the link is shown once)."""
    brand, link, errors = _brand(slug), None, {}
    if request.method == "POST":
        try:
            form = InviteSchema().load(request.form)
            secret = members.invite(brand, g.marketer, form["email"], form["role"])
            link = url_for("console.invite", token=secret, _external=True)
        except ValidationError as exc:
            errors = exc.messages
        except DomainError as exc:
            errors = exc.fields or {"_schema": [exc.message]}
    return render_template("console/team.html", brand=brand, members=members.members_of(brand),
                           invites=members.pending_invites(brand), link=link, errors=errors,
                           roles=ROLES), 422 if errors else 200


@bp.post("/brands/<slug>/team/role")
def change_role(slug: str):
    """Change a member's role (owners only; the last owner stays)."""
    brand = _owned_for_owner(slug)
    try:
        form = RoleSchema().load(request.form)
        members.set_role(brand, form["marketer_id"], form["role"])
    except (ValidationError, DomainError):
        return redirect(url_for("console.team", slug=slug, error="role"))
    return redirect(url_for("console.team", slug=slug))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str):
    """Accept an invitation: create the account (or prove it) and join the brand."""
    try:
        row = members.open_invite(token)
    except DomainError:
        return render_template("console/refused.html",
                               message=_("This invitation link is invalid, used or expired.")), 404
    brand, errors = db.session.get(Brand, row.brand_id), {}
    existing = _find_marketer(row.email) is not None
    if request.method == "POST":
        try:
            form = AcceptSchema().load(request.form)
            marketer = members.accept_invite(token, form["name"], form["password"])
            signin.sign_in(marketer)
            return redirect(url_for("console.home"))
        except ValidationError as exc:
            errors = exc.messages
        except DomainError as exc:
            errors = exc.fields or {"_schema": [exc.message]}
    return render_template("console/invite.html", invite=row, brand=brand, existing=existing,
                           errors=errors), 422 if errors else 200
