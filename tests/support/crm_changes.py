"""Write tag changes into the outbox the way tag evaluation does, for CRM delivery tests."""

from __future__ import annotations

from engine.clock import utcnow
from engine.extensions import db
from engine.models import Brand, Player
from tags.outbox import lock_tag_writes, write_changes


def make_players(brand: Brand, count: int, **fields) -> list[Player]:
    """Create ``count`` WeChat players of ``brand`` (openid and unionid set)."""
    players = [Player(brand_id=brand.id, openid=f"o-{brand.id}-{i}", unionid=f"u-{brand.id}-{i}",
                      **fields) for i in range(count)]
    db.session.add_all(players)
    db.session.commit()
    return players


def write_tag_changes(brand: Brand, changes: list[tuple[Player, str, str, str]]) -> None:
    """Commit one change per ``(player, group, tag, op)``, in order, in one transaction."""
    lock_tag_writes(brand.id)
    now = utcnow()
    write_changes([{"brand_id": brand.id, "player_id": player.id, "rule_id": None, "tag": tag,
                    "group": group, "op": op, "reason": "rule", "created_at": now}
                   for player, group, tag, op in changes])
    db.session.commit()
