"""The tag-change outbox: writing change rows, numbering them in commit order, reading them.

A sequence id is not commit order: a writer that took id 7 may commit after
the one that took id 8, and a reader that had moved past 8 would skip 7.
So readers never go by id. Each brand's committed rows get a ``position``
after commit (``assign_positions``), one numbering at a time per brand
(an advisory lock on PostgreSQL, SQLite's single writer), each number above
every number already committed; a row that commits late is numbered late and
handed out after what was already read, never skipped. Both the CRM pull API
and the delivery worker read through ``changes_after``; the contract is in
docs/tags.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, insert, select, text

from engine.errors import MalformedBody
from engine.extensions import db
from engine.models import Player, TagChange
from engine.privacy.erasure import erased_identifiers
from engine.privacy.profile import phones_of as given_phones

_CURSOR_SALT = "tag-changes-cursor"
# advisory lock classes (the first key of pg_advisory_xact_lock(int, int))
_LOCK_TAG_WRITES = 7301
_LOCK_POSITIONS = 7302
# how many pending rows one numbering pass takes at most
ASSIGN_BATCH = 50_000

_ASSIGN_SQL = text("""
WITH base AS (
    SELECT coalesce(max(position), 0) AS top FROM tag_changes
    WHERE brand_id = :brand_id AND position IS NOT NULL
), pending AS (
    SELECT id, row_number() OVER (ORDER BY id) AS rn FROM tag_changes
    WHERE brand_id = :brand_id AND position IS NULL ORDER BY id LIMIT :batch
)
UPDATE tag_changes SET position = (SELECT top FROM base) + pending.rn
FROM pending WHERE tag_changes.id = pending.id
""")


class InvalidCursor(MalformedBody):
    code, message = "invalid_cursor", "cursor 无效：请使用服务器返回的 next_cursor"


@dataclass(frozen=True)
class ChangedPlayer:
    """Whom a change is about, by the ids a CRM knows them by (an erased player's kept aside)."""

    id: int
    openid: str | None
    unionid: str | None
    phone: str | None


@dataclass(frozen=True)
class Change:
    """One tag change as the CRM sees it."""

    id: int
    position: int
    brand_id: int
    player: ChangedPlayer
    tag: str
    group: str
    op: str
    rule_id: int | None
    reason: str
    at: datetime


@dataclass(frozen=True)
class Page:
    """Changes after a position, in order, and the position to read after next."""

    changes: list[Change]
    next_position: int


def _advisory_lock(kind: int, brand_id: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k, :b)"),
                           {"k": kind, "b": brand_id})


def lock_tag_writes(brand_id: int) -> None:
    """Serialize this transaction's tag writes for ``brand_id`` until it ends.

    Call it first in any transaction that changes player tags: two writers of
    one brand then never race on a player's tag state. (SQLite has one
    writer at a time anyway.)
    """
    _advisory_lock(_LOCK_TAG_WRITES, brand_id)


def write_changes(rows: list[dict]) -> None:
    """Insert tag-change rows into the current transaction (the caller commits).

    Each row: ``brand_id, player_id, rule_id, tag, group, op, reason,
    created_at``. ``position`` stays None until ``assign_positions``.
    """
    if rows:
        db.session.execute(insert(TagChange), rows)


def assign_positions(brand_id: int, batch: int = ASSIGN_BATCH) -> int:
    """Number the brand's committed, unnumbered changes after all numbered ones; commit.

    Returns how many rows were numbered. Runs one numbering per brand at a
    time, so each number is above every number already committed.
    """
    db.session.commit()  # start clean: our own pending writes are not the reader's business
    _advisory_lock(_LOCK_POSITIONS, brand_id)
    result = db.session.execute(_ASSIGN_SQL, {"brand_id": brand_id, "batch": batch})
    db.session.commit()
    return result.rowcount or 0


# a change with the ids its player is known by to a CRM
_CHANGE_ROWS = select(TagChange, Player.openid, Player.unionid).join(
    Player, Player.id == TagChange.player_id)


def _as_changes(brand_id: int, query) -> list[Change]:
    rows = db.session.execute(query).all()
    phones = phones_of(brand_id, [row[0].player_id for row in rows])
    # an erased player's ids left the player row; the CRM still needs them to forget the person
    erased = erased_identifiers([row[0].player_id for row in rows if row[1] is None])
    return [Change(id=c.id, position=c.position, brand_id=c.brand_id, player=ChangedPlayer(
                       c.player_id, openid or erased.get(c.player_id, {}).get("openid"),
                       unionid or erased.get(c.player_id, {}).get("unionid"),
                       phones.get(c.player_id)),
                   tag=c.tag, group=c.group, op=c.op, rule_id=c.rule_id, reason=c.reason,
                   at=c.created_at) for c, openid, unionid in rows]


def changes_by_id(brand_id: int, change_ids: list[int]) -> list[Change]:
    """Return the brand's changes ``change_ids`` in reading order (by position), to resend them.

    Read afresh from the rows each time, so a player erased since is named by
    the identifiers the erasure kept aside.
    """
    return _as_changes(brand_id, _CHANGE_ROWS.where(
        TagChange.brand_id == brand_id, TagChange.id.in_(change_ids))
        .order_by(TagChange.position, TagChange.id))


def changes_after(brand_id: int, after: int, limit: int) -> Page:
    """Return up to ``limit`` changes of the brand with position above ``after``, in order.

    Numbers what committed since the last call first, so a change is read
    once it is committed, in the order it was numbered. ``next_position`` is
    ``after`` when there is nothing new.
    """
    assign_positions(brand_id, max(limit, 1_000))
    changes = _as_changes(brand_id, _CHANGE_ROWS.where(
        TagChange.brand_id == brand_id, TagChange.position > after)
        .order_by(TagChange.position).limit(limit))
    return Page(changes, changes[-1].position if changes else after)


def phones_of(brand_id: int, player_ids: list[int]) -> dict[int, str]:
    """Return the phone each player gave the brand (with consent), by player id.

    The answers live with the profile form (``engine.privacy.profile``), encrypted.
    """
    return given_phones(brand_id, player_ids)


def pending_count(brand_id: int) -> int:
    """Return how many committed changes of the brand are not numbered yet."""
    return db.session.scalar(select(func.count()).select_from(TagChange).where(
        TagChange.brand_id == brand_id, TagChange.position.is_(None))) or 0


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_CURSOR_SALT)


def encode_cursor(brand_id: int, position: int) -> str:
    """Return the opaque cursor for reading the brand's changes after ``position``."""
    return _serializer().dumps({"b": brand_id, "p": position})


def decode_cursor(brand_id: int, cursor: str | None) -> int:
    """Return the position a cursor stands for; raise ``InvalidCursor`` if we did not issue it.

    No cursor means the beginning. A cursor issued to another brand is refused.
    """
    if not cursor:
        return 0
    try:
        claims = _serializer().loads(cursor)
    except BadSignature:
        raise InvalidCursor() from None
    if (not isinstance(claims, dict) or claims.get("b") != brand_id
            or not isinstance(claims.get("p"), int) or claims["p"] < 0):
        raise InvalidCursor()
    return claims["p"]
