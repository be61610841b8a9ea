"""Console sign-ins kept on the server: open, look up, renew, revoke.

The signed Flask session cookie only carries a random sign-in id; the
``console_sessions`` row decides whether it still counts. Signing out,
changing the password or expiry ends it on the server, so a cookie copied
before that stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, request, session
from sqlalchemy import select, update

from engine.access.identity import PLAYERS_KEY
from engine.clock import utcnow
from engine.extensions import db
from engine.models import ConsoleSession, Marketer

SESSION_KEY = "console_sid"
CSRF_KEY = "console_csrf"
# renew last_seen_at at most this often: one write a minute, not one per request
TOUCH_EVERY = timedelta(seconds=60)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def sign_in(marketer: Marketer) -> ConsoleSession:
    """Open a sign-in for ``marketer`` in a fresh cookie session (no fixation)."""
    players = session.get(PLAYERS_KEY)
    session.clear()
    if players:  # the same browser may also be a player: that identity stays
        session[PLAYERS_KEY] = players
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    hours = current_app.config["CONSOLE_SESSION_HOURS"]
    row = ConsoleSession(marketer_id=marketer.id, token_hash=_digest(secret), created_at=now,
                         last_seen_at=now, expires_at=now + timedelta(hours=hours),
                         user_agent=(request.user_agent.string or "")[:200])
    db.session.add(row)
    db.session.commit()
    session[SESSION_KEY] = secret
    session[CSRF_KEY] = secrets.token_urlsafe(24)
    session.permanent = True
    return row


def current_sign_in() -> ConsoleSession | None:
    """Return this request's live sign-in, or None (expired, idle, revoked, absent)."""
    secret = session.get(SESSION_KEY)
    if not secret:
        return None
    row = db.session.scalar(select(ConsoleSession).where(
        ConsoleSession.token_hash == _digest(secret)))
    now = utcnow()
    idle = timedelta(minutes=current_app.config["CONSOLE_IDLE_MINUTES"])
    if row is None or row.revoked_at is not None or row.expires_at <= now \
            or row.last_seen_at + idle <= now:
        session.pop(SESSION_KEY, None)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return row


def sign_out() -> None:
    """Revoke this request's sign-in on the server and forget it in the cookie."""
    secret = session.pop(SESSION_KEY, None)
    if secret:
        db.session.execute(update(ConsoleSession).where(
            ConsoleSession.token_hash == _digest(secret),
            ConsoleSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
        db.session.commit()
    session.pop(CSRF_KEY, None)


def revoke_others(marketer: Marketer, keep: ConsoleSession | None) -> int:
    """Revoke every other live sign-in of ``marketer``; return how many."""
    query = update(ConsoleSession).where(ConsoleSession.marketer_id == marketer.id,
                                         ConsoleSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(ConsoleSession.id != keep.id)
    result = db.session.execute(query.values(revoked_at=utcnow()))
    return result.rowcount or 0


def csrf_token() -> str:
    """Return this cookie session's CSRF token, creating it once."""
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(24)
    return session[CSRF_KEY]


def csrf_matches(value: str | None) -> bool:
    """Return whether ``value`` is this cookie session's CSRF token."""
    expected = session.get(CSRF_KEY)
    return bool(value and expected) and secrets.compare_digest(value, expected)
