"""Each player's tag state, changed together with its outbox rows in one transaction.

Evaluation says which (player, rule) pairs should hold; ``apply`` compares
them with the stored state under the brand's tag-write lock, deletes and
inserts only the difference and writes one tag-change row per difference,
then commits. Evaluating twice writes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, insert, select

from engine.clock import utcnow
from engine.errors import NotFound
from engine.extensions import db
from engine.models import Player, PlayerTag, ProfilingConsent, TagGroup, TagRule
from tags import outbox

# a (player, rule) pair packed in one int64: player id in the high bits
_RULE_BITS = 24
_CHUNK = 5_000


@dataclass(frozen=True)
class HeldTag:
    """A tag a player holds now (the row), with the rule and the group that name it."""

    held: PlayerTag
    rule: TagRule
    group: TagGroup


def pack(player_ids: np.ndarray, rule_ids: np.ndarray) -> np.ndarray:
    """Return (player, rule) pairs packed into int64 keys."""
    return (np.asarray(player_ids, np.int64) << _RULE_BITS) | np.asarray(rule_ids, np.int64)


def unpack(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the player ids and rule ids of packed keys."""
    return keys >> _RULE_BITS, keys & ((1 << _RULE_BITS) - 1)


def _chunks(values, size: int = _CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _stored(brand_id: int, players: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Return the stored pairs (packed) and their row ids, for ``players`` or the whole brand."""
    query = select(PlayerTag.player_id, PlayerTag.rule_id, PlayerTag.id).where(
        PlayerTag.brand_id == brand_id)
    if players is None:
        rows = db.session.execute(query).all()
    else:
        rows = [row for part in _chunks(players.tolist())
                for row in db.session.execute(query.where(PlayerTag.player_id.in_(part))).all()]
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    data = np.array(rows, dtype=np.int64)
    return pack(data[:, 0], data[:, 1]), data[:, 2]


def _names(brand_id: int) -> dict[int, tuple[str, str, int]]:
    rows = db.session.execute(select(TagRule.id, TagRule.name, TagGroup.name, TagGroup.id)
                              .join(TagGroup, TagGroup.id == TagRule.group_id)
                              .where(TagRule.brand_id == brand_id)).all()
    return {rule_id: (name, group, group_id) for rule_id, name, group, group_id in rows}


def apply(brand_id: int, desired: np.ndarray, players: np.ndarray | None = None,
          reason: str = "rule") -> int:
    """Make the stored tags of ``players`` (all the brand's when None) equal ``desired``; commit.

    ``desired`` holds packed (player, rule) keys. Returns how many changes
    were written. Pairs of rules that no longer exist, and of players who
    have not consented to profiling, are dropped.
    """
    outbox.lock_tag_writes(brand_id)
    names = _names(brand_id)
    desired = np.unique(np.asarray(desired, np.int64))
    if len(desired):  # read under the lock: a consent withdrawn a moment ago holds
        players_of, rules_of = unpack(desired)
        desired = desired[np.isin(rules_of, np.fromiter(names, np.int64, len(names)))
                          & np.isin(players_of, consented_players(brand_id))]
    stored, row_ids = _stored(brand_id, players)
    added = np.setdiff1d(desired, stored, assume_unique=True)
    gone = ~np.isin(stored, desired, assume_unique=True)
    written = _write(brand_id, added, stored[gone], row_ids[gone], names, reason)
    db.session.commit()
    return written


def consented_players(brand_id: int) -> np.ndarray:
    """Return the ids of the brand's players who consented to profiling."""
    return np.array(db.session.scalars(select(ProfilingConsent.player_id).where(
        ProfilingConsent.brand_id == brand_id, ProfilingConsent.profiling.is_(True))).all(),
        np.int64)


def _write(brand_id: int, added: np.ndarray, removed: np.ndarray, removed_ids: np.ndarray,
           names: dict, reason: str) -> int:
    now = utcnow()
    for part in _chunks(removed_ids.tolist()):
        db.session.execute(delete(PlayerTag).where(PlayerTag.id.in_(part)))
    add_players, add_rules = unpack(added)
    if len(added):
        db.session.execute(insert(PlayerTag), [
            {"brand_id": brand_id, "player_id": p, "rule_id": r, "group_id": names[r][2],
             "set_at": now} for p, r in zip(add_players.tolist(), add_rules.tolist(), strict=True)])
    rem_players, rem_rules = unpack(removed)
    rows = [_change(brand_id, p, r, names.get(r), "remove", reason, now)
            for p, r in zip(rem_players.tolist(), rem_rules.tolist(), strict=True)]
    rows += [_change(brand_id, p, r, names[r], "add", reason, now)
             for p, r in zip(add_players.tolist(), add_rules.tolist(), strict=True)]
    outbox.write_changes(rows)
    return len(rows)


def _change(brand_id, player_id, rule_id, names, op, reason, now) -> dict:
    tag, group = (names[0], names[1]) if names else ("", "")
    return {"brand_id": brand_id, "player_id": player_id, "rule_id": rule_id, "tag": tag,
            "group": group, "op": op, "reason": reason, "created_at": now}


def remove_all(brand_id: int, player_id: int, reason: str) -> int:
    """Remove every tag of one player, a ``remove`` change for each; commit."""
    return apply(brand_id, np.zeros(0, np.int64), np.array([player_id], np.int64), reason)


def remove_rule(brand_id: int, rule_id: int, reason: str = "rule_deleted") -> int:
    """Remove one rule's tag from everyone who holds it, before the rule goes; no commit.

    The caller deletes the rule in the same transaction and commits.
    """
    outbox.lock_tag_writes(brand_id)
    names = _names(brand_id)
    rows = db.session.execute(select(PlayerTag.id, PlayerTag.player_id).where(
        PlayerTag.brand_id == brand_id, PlayerTag.rule_id == rule_id)).all()
    now = utcnow()
    db.session.execute(delete(PlayerTag).where(PlayerTag.brand_id == brand_id,
                                               PlayerTag.rule_id == rule_id))
    outbox.write_changes([_change(brand_id, player_id, rule_id, names.get(rule_id), "remove",
                                  reason, now) for _, player_id in rows])
    return len(rows)


def stored_pairs(brand_id: int) -> np.ndarray:
    """Return every stored (player, rule) pair of the brand, packed and sorted."""
    return np.sort(_stored(brand_id, None)[0])


def tags_of(brand_id: int, player_id: int) -> list[HeldTag]:
    """Return a player's tags, oldest first, with their rules; 404 for another brand's."""
    player = db.session.get(Player, player_id)
    if player is None or player.brand_id != brand_id:
        raise NotFound("找不到该玩家")
    rows = db.session.execute(
        select(PlayerTag, TagRule, TagGroup)
        .join(TagRule, TagRule.id == PlayerTag.rule_id)
        .join(TagGroup, TagGroup.id == PlayerTag.group_id)
        .where(PlayerTag.player_id == player_id).order_by(PlayerTag.set_at, PlayerTag.id)).all()
    return [HeldTag(*row) for row in rows]
