"""Build the changes of a delivery from the outbox rows, as API.md shows them to a CRM.

Built afresh on every attempt from the rows' own state, so a retry carries
the same changes (and a player erased meanwhile is sent without the
personal fields erasure removed).
"""

from __future__ import annotations

from sqlalchemy import select

from engine.clock import isoformat
from engine.extensions import db
from engine.models import Player, TagChange
from engine.privacy.erasure import erased_identifiers
from tags.outbox import phones_of


def changes_for(brand_id: int, change_ids: list[int]) -> list[dict]:
    """Return the changes ``change_ids`` of the brand in reading order (by position)."""
    rows = db.session.execute(
        select(TagChange, Player.openid, Player.unionid)
        .join(Player, Player.id == TagChange.player_id)
        .where(TagChange.brand_id == brand_id, TagChange.id.in_(change_ids))
        .order_by(TagChange.position, TagChange.id)).all()
    player_ids = sorted({row[0].player_id for row in rows})
    phones = phones_of(brand_id, player_ids)
    # an erased player's ids are gone from the player row: the CRM still needs them
    erased = erased_identifiers([c.player_id for c, openid, _ in rows if openid is None])
    return [{"id": c.id, "position": c.position,
             "player": {"id": c.player_id,
                        "openid": openid or erased.get(c.player_id, {}).get("openid"),
                        "unionid": unionid or erased.get(c.player_id, {}).get("unionid"),
                        "phone": phones.get(c.player_id)},
             "tag": c.tag, "group": c.group, "op": c.op, "rule_id": c.rule_id,
             "reason": c.reason, "at": isoformat(c.created_at)}
            for c, openid, unionid in rows]
