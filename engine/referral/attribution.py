"""First-touch attribution and friends' verified plays: the referral forest.

A player's referrer in a campaign is fixed at the player's first touch (the
first visit of the campaign) and never changes: a player with any earlier
event in the campaign is not attributable, nobody refers themself, and a
sharer whose tree is rooted at the newcomer is refused, so cycles cannot
form. Depth is the referrer's depth + 1 (a referrer nobody referred has
depth 0), unbounded. The unique (campaign, player) row makes attribution
idempotent under concurrency.

A friend's first valid play (a finished replayed session, a first nurture
action) rewards the direct referrer once: the campaign's extra draws per
friend. Game-state bonuses (a nurture friend boost) are applied by the
caller that holds that state, from the referral this returns.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from engine.clock import utcnow
from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign, Event, Player, Referral
from engine.referral.tokens import sharer_from_token
from engine.rewards import draws

log = logging.getLogger(__name__)


def referral_of(campaign: Campaign, player_id: int) -> Referral | None:
    """Return the player's referral row in ``campaign``, if someone referred them."""
    return db.session.scalar(select(Referral).where(Referral.campaign_id == campaign.id,
                                                    Referral.player_id == player_id))


def depth_of(campaign: Campaign, player_id: int) -> int:
    """Return the player's depth in the campaign's forest (0: nobody referred them)."""
    found = referral_of(campaign, player_id)
    return found.depth if found else 0


def _touched_before(campaign: Campaign, player_id: int) -> bool:
    return db.session.scalar(select(Event.id).where(
        Event.player_id == player_id, Event.campaign_id == campaign.id).limit(1)) is not None


def _sharer(campaign: Campaign, player: Player, share_token: str) -> Player | None:
    sharer_id = sharer_from_token(campaign, share_token)
    if sharer_id is None or sharer_id == player.id:
        return None
    sharer = db.session.get(Player, sharer_id)
    return sharer if sharer is not None and sharer.brand_id == campaign.brand_id else None


def attribute_first_touch(campaign: Campaign, player: Player,
                          share_token: str | None) -> Referral | None:
    """Fix the player's referrer from ``share_token`` if this is their first touch.

    Call it before recording the visit that carries the token. Returns the new
    referral, or None (no or bad token, self-referral, not a first touch,
    a cycle, or already attributed). Records a ``referral`` event; the caller
    commits.
    """
    sharer = _sharer(campaign, player, share_token or "")
    if sharer is None or _touched_before(campaign, player.id):
        return None
    if referral_of(campaign, player.id) is not None:
        return None
    above = referral_of(campaign, sharer.id)
    root_id = above.root_id if above else sharer.id
    if root_id == player.id:  # the sharer descends from the newcomer: a cycle
        return None
    referral = Referral(campaign_id=campaign.id, player_id=player.id, referrer_id=sharer.id,
                        root_id=root_id, depth=(above.depth if above else 0) + 1,
                        share_token=share_token[:128], created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(referral)
    except IntegrityError:  # a concurrent first touch attributed the player already
        return None
    record_event("referral", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player.id, referrer_id=sharer.id, depth=referral.depth)
    return referral


def verified_play(campaign: Campaign, player_id: int, source: str) -> Referral | None:
    """Reward the direct referrer once for this friend's first valid play.

    Safe to call on every valid play: only the first call per friend (an
    atomic ``verified_at`` update) records ``referred_play`` and grants the
    referrer the campaign's extra draws per friend. Returns the referral when
    this call was that first one, so the caller can add a game-state bonus;
    otherwise None. The caller commits.
    """
    now = utcnow()
    marked = db.session.execute(
        update(Referral).where(Referral.campaign_id == campaign.id,
                               Referral.player_id == player_id,
                               Referral.verified_at.is_(None))
        .values(verified_at=now).execution_options(synchronize_session=False))
    if marked.rowcount != 1:
        return None
    referral = referral_of(campaign, player_id)
    credits = draws.credit_for_friend(campaign, referral.referrer_id, player_id)
    record_event("referred_play", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player_id, referrer_id=referral.referrer_id, depth=referral.depth,
                 source=source, draw_credits=credits)
    return referral
