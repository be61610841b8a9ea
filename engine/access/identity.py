"""Player identity: a signed cookie for any browser, WeChat OAuth when configured.

The Flask session cookie (signed with itsdangerous) maps each brand to the
player this browser is for that brand. With WeChat configured (the brand's own
service account or the global ``WECHAT_APPID``), a player is
only ever created from a verified openid; a WeChat "snapshot mode" visitor
(virtual openid) never becomes a player.
"""

from __future__ import annotations

from flask import current_app, request, session
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.access.wechat.credentials import for_brand
from engine.clock import utcnow
from engine.errors import NotAuthenticated, SnapshotUser
from engine.extensions import db
from engine.models import Campaign, Player

PLAYERS_KEY = "players"
SNAPSHOT_KEY = "snapshot"


def wechat_enabled(brand_id: int | None = None) -> bool:
    """Return whether the brand's players must be identified through WeChat OAuth.

    True when the brand has its own service account or the deployment a global one.
    """
    if brand_id is None:
        return bool(current_app.config.get("WECHAT_APPID"))
    return for_brand(brand_id) is not None


def remember_player(player: Player) -> None:
    """Bind ``player`` to this browser for the player's brand."""
    players = dict(session.get(PLAYERS_KEY) or {})
    players[str(player.brand_id)] = player.id
    session[PLAYERS_KEY] = players
    session.pop(SNAPSHOT_KEY, None)
    session.permanent = True


def mark_snapshot() -> None:
    """Remember that this browser is in WeChat's snapshot mode (no player)."""
    session[SNAPSHOT_KEY] = True


def is_snapshot() -> bool:
    """Return whether the visitor is a snapshot-mode viewer."""
    return bool(session.get(SNAPSHOT_KEY))


def snapshot_page_shown() -> bool:
    """Note a play page shown in snapshot mode; say whether one was shown before.

    WeChat shows a snapshot page once; the visitor who taps "使用完整服务"
    loads it again in the full browser. That second load forgets the flag,
    so the page sends the browser through OAuth again and it becomes a player.
    """
    if session.get(SNAPSHOT_KEY) == "shown":
        session.pop(SNAPSHOT_KEY, None)
        return True
    session[SNAPSHOT_KEY] = "shown"
    return False


def player_id_for(brand_id: int) -> int | None:
    """Return the id of this browser's player for ``brand_id``, if any."""
    value = (session.get(PLAYERS_KEY) or {}).get(str(brand_id))
    return value if isinstance(value, int) else None


def known_player_ids() -> list[int]:
    """Return the ids of every brand's player this browser is."""
    players = session.get(PLAYERS_KEY) or {}
    return [pid for pid in players.values() if isinstance(pid, int)]


def current_player(brand_id: int) -> Player | None:
    """Return this browser's player for ``brand_id``, or None."""
    player_id = player_id_for(brand_id)
    player = db.session.get(Player, player_id) if player_id else None
    return player if player is not None and player.brand_id == brand_id else None


def player_for_request(campaign: Campaign) -> Player:
    """Return the visitor's player for the campaign's brand, creating an anonymous one.

    Raises ``SnapshotUser`` for a snapshot-mode visitor and
    ``NotAuthenticated`` when WeChat identity is required but missing.
    """
    return player_or_new(campaign, current_player(campaign.brand_id))


def player_or_new(campaign: Campaign, player: Player | None) -> Player:
    """Return ``player`` (this browser's, already looked up) or a new anonymous one.

    Raises as ``player_for_request`` does.
    """
    if player is not None:
        return player
    if is_snapshot():
        raise SnapshotUser()
    if wechat_enabled(campaign.brand_id):
        raise NotAuthenticated("请在微信中打开活动页面")
    player = Player(brand_id=campaign.brand_id, device=_device())
    db.session.add(player)
    db.session.commit()
    remember_player(player)
    return player


def identify_wechat_player(brand_id: int, openid: str, unionid: str | None = None,
                           nickname: str = "", avatar: str = "") -> Player:
    """Return the brand's player for ``openid``, creating or refreshing it."""
    player = _by_openid(brand_id, openid)
    if player is None:
        player = Player(brand_id=brand_id, openid=openid, device=_device())
        db.session.add(player)
        try:
            db.session.commit()
        except IntegrityError:  # the same openid arrived twice at once
            db.session.rollback()
            player = _by_openid(brand_id, openid)
            if player is None:  # not that race (an unknown brand): don't hide it
                raise
    player.unionid = unionid or player.unionid
    player.nickname = nickname[:64] or player.nickname
    player.avatar = avatar[:512] or player.avatar
    player.last_seen_at = utcnow()
    db.session.commit()
    return player


def _by_openid(brand_id: int, openid: str) -> Player | None:
    return db.session.scalar(select(Player).where(Player.brand_id == brand_id,
                                                  Player.openid == openid))


def _device() -> str:
    return (request.headers.get("User-Agent") or "")[:255]
