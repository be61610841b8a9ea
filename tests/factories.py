"""Make rows for tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

from engine.campaigns.lifecycle import create_campaign
from engine.clock import utcnow
from engine.extensions import db
from engine.models import Brand, BrandMember, Marketer, Player, Referral

_seq = itertools.count(1)


def make_brand(slug: str | None = None, name: str = "测试品牌") -> Brand:
    """Create a brand."""
    brand = Brand(slug=slug or f"brand{next(_seq)}", name=name)
    db.session.add(brand)
    db.session.commit()
    return brand


def make_marketer(brand: Brand, email: str | None = None, password: str = "pw-123456") -> Marketer:
    """Create a marketer who owns ``brand``."""
    marketer = Marketer(email=email or f"m{next(_seq)}@example.com", name="运营")
    marketer.set_password(password)
    db.session.add(marketer)
    db.session.flush()
    db.session.add(BrandMember(brand_id=brand.id, marketer_id=marketer.id))
    db.session.commit()
    return marketer


def make_campaign(brand: Brand | None = None, *, game_type: str = "synthesis",
                  game_params: dict | None = None, status: str = "live", **fields):
    """Create a campaign, live from yesterday to next month by default."""
    brand = brand or make_brand()
    now = utcnow()
    fields.setdefault("slug", f"camp{next(_seq)}")
    fields.setdefault("title", "测试活动")
    fields.setdefault("starts_at", now - timedelta(days=1))
    fields.setdefault("ends_at", now + timedelta(days=30))
    campaign = create_campaign(brand, game_type=game_type, game_params=game_params or {},
                               status=status, **fields)
    db.session.commit()
    return campaign


def make_player(brand: Brand, **fields) -> Player:
    """Create a player of ``brand``."""
    player = Player(brand_id=brand.id, **fields)
    db.session.add(player)
    db.session.commit()
    return player


def make_referrals(campaign, referrers: list[int | None]) -> list[int]:
    """Create one player per entry, referred by the player at that earlier position (or none).

    ``referrers[k]`` is the position in this list of player k's referrer, or
    None for a root; returns the players' ids in list order. Rows are written
    directly (no visits): for trees too big to build through the API.
    """
    players = [Player(brand_id=campaign.brand_id) for _ in referrers]
    db.session.add_all(players)
    db.session.flush()
    ids = [p.id for p in players]
    roots: list[int] = []
    depths: list[int] = []
    for k, up in enumerate(referrers):
        roots.append(k if up is None else roots[up])
        depths.append(0 if up is None else depths[up] + 1)
        if up is not None:
            db.session.add(Referral(campaign_id=campaign.id, player_id=ids[k],
                                    referrer_id=ids[up], root_id=ids[roots[k]],
                                    depth=depths[k], share_token=f"made-{ids[up]}"))
    db.session.commit()
    return ids


def make_chain(campaign, levels: int) -> list[int]:
    """Create a share chain ``levels`` deep (levels + 1 players); returns their ids, top first."""
    return make_referrals(campaign, [None] + list(range(levels)))
