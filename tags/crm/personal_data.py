"""A player's personal data on request: export it (JSON), erase it and pass the erasure on.

Erasure removes the personal fields (openid, unionid, nickname, avatar,
device, the profile answers, WeCom ids, tags) but keeps the player row and
what was counted anonymously (plays, scores, events). In the same
transaction it writes an ``op="delete"`` change to the tag outbox, so every
CRM endpoint is told to forget the person; the identifiers the CRM needs for
that are kept encrypted in ``player_erasures``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from engine.clock import utcnow
from engine.errors import Conflict, NotFound, Unprocessable
from engine.events import record_event
from engine.extensions import db
from engine.models import (
    Campaign,
    Coupon,
    CrmEndpoint,
    Player,
    PlayerTag,
    PlayerWeCom,
    PlaySession,
)
from engine.models.profile import PlayerErasure, PlayerProfile
from tags.crm.endpoints import MAX_ID
from tags.outbox import lock_tag_writes, write_changes


@dataclass(frozen=True)
class ProfileHeld:
    """A campaign form the person filled in: the profile row, its campaign, its answers parsed."""

    profile: PlayerProfile
    campaign: str
    answers: dict


@dataclass(frozen=True)
class PlayHeld:
    """A play of the person's: the session row and its campaign."""

    session: PlaySession
    campaign: str


@dataclass(frozen=True)
class PersonalData:
    """Everything the brand holds about one person, section by section, in clear."""

    player: Player
    erased_at: datetime | None
    profiles: list[ProfileHeld]
    plays: list[PlayHeld]
    coupons: list[Coupon]
    tags: list[PlayerTag]
    wecom: list[PlayerWeCom]


def _player(brand_id: int, player_id: int) -> Player:
    player = db.session.get(Player, player_id) if player_id <= MAX_ID else None
    if player is None or player.brand_id != brand_id:
        raise NotFound()
    return player


def _erasure(player_id: int) -> PlayerErasure | None:
    return db.session.scalar(select(PlayerErasure).where(PlayerErasure.player_id == player_id))


def _profiles(player: Player) -> list[ProfileHeld]:
    rows = db.session.execute(select(PlayerProfile, Campaign.slug).join(
        Campaign, Campaign.id == PlayerProfile.campaign_id).where(
        PlayerProfile.player_id == player.id).order_by(PlayerProfile.id)).all()
    return [ProfileHeld(p, slug, json.loads(p.answers) if p.answers else {}) for p, slug in rows]


def _plays(player: Player) -> list[PlayHeld]:
    rows = db.session.execute(select(PlaySession, Campaign.slug).join(
        Campaign, Campaign.id == PlaySession.campaign_id).where(
        PlaySession.player_id == player.id).order_by(PlaySession.created_at)).all()
    return [PlayHeld(s, slug) for s, slug in rows]


def export_player(brand_id: int, player_id: int) -> PersonalData:
    """Return everything the brand holds about the player, in clear (for the person)."""
    player = _player(brand_id, player_id)
    erasure = _erasure(player.id)
    coupons = db.session.scalars(select(Coupon).where(Coupon.player_id == player.id)
                                 .order_by(Coupon.id))
    tags = db.session.scalars(select(PlayerTag).where(PlayerTag.player_id == player.id))
    wecom = db.session.scalars(select(PlayerWeCom).where(PlayerWeCom.player_id == player.id))
    return PersonalData(player, erasure.erased_at if erasure else None, _profiles(player),
                        _plays(player), list(coupons), list(tags), list(wecom))


def erase_player(brand_id: int, player_id: int, requested_by: str = "") -> PlayerErasure:
    """Erase the player's personal fields and queue a delete change for every CRM; commit.

    Erasing again changes nothing and returns the first erasure.
    """
    lock_tag_writes(brand_id)
    player = _player(brand_id, player_id)
    done = _erasure(player.id)
    if done is not None:
        db.session.commit()
        return done
    wecom = [{"corp_id": w.corp_id, "external_userid": w.external_userid, "userid": w.userid}
             for w in db.session.scalars(select(PlayerWeCom)
                                         .where(PlayerWeCom.player_id == player.id))]
    erasure = PlayerErasure(brand_id=brand_id, player_id=player.id, requested_by=requested_by[:80],
                            identifiers=json.dumps({"openid": player.openid,
                                                    "unionid": player.unionid, "wecom": wecom}))
    db.session.add(erasure)
    for model in (PlayerProfile, PlayerWeCom, PlayerTag):
        db.session.execute(delete(model).where(model.player_id == player.id))
    player.openid = player.unionid = None
    player.nickname = player.avatar = player.device = ""
    now = utcnow()
    write_changes([{"brand_id": brand_id, "player_id": player.id, "rule_id": None, "tag": "",
                    "group": "", "op": "delete", "reason": "erasure", "created_at": now}])
    record_event("player_erased", brand_id=brand_id, player_id=player.id)
    db.session.commit()
    return erasure


def set_wecom_contact(brand_id: int, player_id: int, data: dict) -> PlayerWeCom:
    """Record which WeCom contact (and staff member) the player is; commit.

    ``corp_id`` may be left out when the brand has exactly one WeCom endpoint.
    """
    player = _player(brand_id, player_id)
    if _erasure(player.id) is not None:
        raise Conflict("该玩家的个人信息已删除", code="player_erased")
    corp_id = data.get("corp_id") or _only_corp(brand_id)
    row = db.session.scalar(select(PlayerWeCom).where(PlayerWeCom.player_id == player.id,
                                                      PlayerWeCom.corp_id == corp_id))
    if row is None:
        row = PlayerWeCom(player_id=player.id, corp_id=corp_id)
        db.session.add(row)
    row.external_userid, row.userid, row.source = data["external_userid"], data["userid"], "brand"
    db.session.commit()
    return row


def _only_corp(brand_id: int) -> str:
    corps = sorted(set(db.session.scalars(select(CrmEndpoint.corp_id).where(
        CrmEndpoint.brand_id == brand_id, CrmEndpoint.kind == "wecom",
        CrmEndpoint.active.is_(True)))))
    if len(corps) != 1:
        raise Unprocessable("请指明企业 ID（corp_id）", code="corp_id_required",
                            fields={"corp_id": ["品牌有 0 个或多个企业微信连接，需指明"]})
    return corps[0]
