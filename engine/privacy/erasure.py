"""The identifiers of erased players, kept (encrypted) so CRMs can be told whom to forget."""

from __future__ import annotations

import json

from sqlalchemy import select

from engine.extensions import db
from engine.models.profile import PlayerErasure


def erased_identifiers(player_ids: list[int]) -> dict[int, dict]:
    """Return ``{"openid", "unionid", "wecom"}`` of erased players, by player id."""
    if not player_ids:
        return {}
    rows = db.session.scalars(select(PlayerErasure).where(PlayerErasure.player_id.in_(player_ids)))
    return {row.player_id: json.loads(row.identifiers) for row in rows}
