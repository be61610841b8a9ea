"""A brand's team: members and their roles, one-time invitations, password changes.

Only an owner invites and changes roles. An invitation is a long random
secret shown once as a link; only its SHA-256 is stored, it works once and
expires after ``INVITE_DAYS``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.access import signin
from engine.clock import utcnow
from engine.errors import Conflict, Forbidden, NotFound, Unprocessable
from engine.extensions import db
from engine.models import Brand, BrandMember, Invite, Marketer
from engine.models.console import ROLES

MIN_PASSWORD = 10


@dataclass(frozen=True)
class Member:
    """One person on a brand's team."""

    id: int
    email: str
    name: str
    role: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def require_owner(brand: Brand, roles: dict[int, str]) -> None:
    """Raise 403 unless the current marketer owns ``brand``."""
    if roles.get(brand.id) != "owner":
        raise Forbidden("只有品牌所有者可以管理成员", code="owner_only")


def members_of(brand: Brand) -> list[Member]:
    """Return the brand's team, owners first."""
    rows = db.session.execute(select(Marketer, BrandMember.role).join(
        BrandMember, BrandMember.marketer_id == Marketer.id).where(
        BrandMember.brand_id == brand.id).order_by(BrandMember.role.desc(), Marketer.email))
    return [Member(m.id, m.email, m.name, role) for m, role in rows]


def pending_invites(brand: Brand) -> list[Invite]:
    """Return the brand's invitations not yet accepted nor expired."""
    return list(db.session.scalars(select(Invite).where(
        Invite.brand_id == brand.id, Invite.accepted_at.is_(None),
        Invite.expires_at > utcnow()).order_by(Invite.id.desc())))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Unprocessable("未知角色", code="invalid_role", fields={"role": ["未知角色"]})


def invite(brand: Brand, inviter: Marketer, email: str, role: str) -> str:
    """Invite ``email`` to ``brand`` with ``role``; return the one-time secret."""
    _check_role(role)
    email = email.strip().lower()
    already = db.session.scalar(select(BrandMember).join(Marketer).where(
        BrandMember.brand_id == brand.id, func.lower(Marketer.email) == email))
    if already is not None:
        raise Conflict("此人已是品牌成员", code="already_member", fields={"email": ["已是成员"]})
    secret = secrets.token_urlsafe(32)
    days = current_app.config["INVITE_DAYS"]
    db.session.add(Invite(brand_id=brand.id, email=email, role=role, token_hash=_digest(secret),
                          invited_by=inviter.id, expires_at=utcnow() + timedelta(days=days)))
    db.session.commit()
    return secret


def open_invite(secret: str) -> Invite:
    """Return the live invitation for ``secret``, or raise 404."""
    row = db.session.scalar(select(Invite).where(Invite.token_hash == _digest(secret)))
    if row is None or row.accepted_at is not None or row.expires_at <= utcnow():
        raise NotFound("邀请链接无效或已过期")
    return row


def accept_invite(secret: str, name: str, password: str) -> Marketer:
    """Join the invited brand, creating the account when the email has none.

    An existing account must prove itself with its password. The invitation is
    marked used in the same transaction, and a second use finds nothing.
    """
    row = open_invite(secret)
    marketer = db.session.scalar(select(Marketer).where(func.lower(Marketer.email) == row.email))
    if marketer is None:
        check_password_strength(password, field="password")
        marketer = Marketer(email=row.email, name=name.strip()[:120])
        marketer.set_password(password)
        db.session.add(marketer)
        db.session.flush()
    elif not marketer.check_password(password):
        raise Unprocessable("该邮箱已有账号，请输入它的密码", code="wrong_password",
                            fields={"password": ["密码不正确"]})
    row.accepted_at, row.accepted_by = utcnow(), marketer.id
    db.session.add(BrandMember(brand_id=row.brand_id, marketer_id=marketer.id, role=row.role))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("已是品牌成员", code="already_member") from None
    return marketer


def set_role(brand: Brand, marketer_id: int, role: str) -> None:
    """Change a member's role; the last owner stays an owner."""
    _check_role(role)
    member = db.session.scalar(select(BrandMember).where(
        BrandMember.brand_id == brand.id, BrandMember.marketer_id == marketer_id))
    if member is None:
        raise NotFound()
    owners = db.session.scalar(select(func.count()).select_from(BrandMember).where(
        BrandMember.brand_id == brand.id, BrandMember.role == "owner"))
    if member.role == "owner" and role != "owner" and owners <= 1:
        raise Conflict("品牌至少需要一位所有者", code="last_owner")
    member.role = role
    db.session.commit()


def check_password_strength(password: str, field: str = "new_password") -> None:
    """Refuse a password shorter than ``MIN_PASSWORD`` characters."""
    if len(password) < MIN_PASSWORD:
        raise Unprocessable(f"密码至少 {MIN_PASSWORD} 位", code="weak_password",
                            fields={field: [f"至少 {MIN_PASSWORD} 位"]})


def change_password(marketer: Marketer, current: str, new: str) -> None:
    """Change the password and end every other sign-in of this marketer."""
    if not marketer.check_password(current):
        raise Unprocessable("当前密码不正确", code="wrong_password",
                            fields={"current_password": ["不正确"]})
    check_password_strength(new)
    marketer.set_password(new)
    signin.revoke_others(marketer, signin.current_sign_in())
    db.session.commit()
