"""Campaign numbers for the console, counted from the events table.

Every game type writes events (``play_finished`` for replayed games, one
action event per action for server-authoritative ones), so counting
events counts every type alike. Coupons are counted from their own rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine.extensions import db
from engine.models import Campaign, Coupon, CouponBatch, Event
from engine.play.state import ACTION_EVENT

# the events that are one play of a game, whatever its type: a finished session of a
# replayed game, one action of a server-authoritative one
PLAY_KINDS = ("play_finished", ACTION_EVENT)


@dataclass(frozen=True)
class Summary:
    """A campaign's headline numbers."""

    campaign: Campaign
    players: int
    plays: int
    visits: int
    issued: int
    redeemed: int


def _by_campaign(ids: list[int], kinds: tuple[str, ...], distinct_players: bool) -> dict:
    counted = func.count(func.distinct(Event.player_id)) if distinct_players else func.count()
    return dict(db.session.execute(
        select(Event.campaign_id, counted).where(Event.campaign_id.in_(ids),
                                                 Event.kind.in_(kinds))
        .group_by(Event.campaign_id)).all())


def coupon_counts(ids: list[int]) -> dict[int, tuple[int, int]]:
    """Return (issued, redeemed) coupons per campaign id."""
    counts = {cid: [0, 0] for cid in ids}
    for cid, status, n in db.session.execute(
            select(CouponBatch.campaign_id, Coupon.status, func.count())
            .join(CouponBatch, CouponBatch.id == Coupon.batch_id)
            .where(CouponBatch.campaign_id.in_(ids), Coupon.status != "available")
            .group_by(CouponBatch.campaign_id, Coupon.status)):
        counts[cid][0] += n
        if status == "redeemed":
            counts[cid][1] += n
    return {cid: (c[0], c[1]) for cid, c in counts.items()}


def summaries(brand_id: int) -> list[Summary]:
    """Return each campaign of a brand, newest first, with its headline numbers."""
    found = list(db.session.scalars(select(Campaign).where(Campaign.brand_id == brand_id)
                                    .order_by(Campaign.id.desc())))
    ids = [c.id for c in found]
    players = _by_campaign(ids, PLAY_KINDS, True)
    plays = _by_campaign(ids, PLAY_KINDS, False)
    visits = _by_campaign(ids, ("visit",), False)
    coupons = coupon_counts(ids)
    return [Summary(c, players.get(c.id, 0), plays.get(c.id, 0), visits.get(c.id, 0),
                    *coupons[c.id]) for c in found]
