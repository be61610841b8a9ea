"""First-touch attribution and friends' verified plays: the referral forest.

A player's referrer in a campaign is fixed at the player's first touch (the
first visit of the campaign) and never changes: a player with any earlier
event in the campaign is not attributable, nobody refers themself, and a
sharer whose tree is rooted at the newcomer is refused, so cycles cannot
form. Depth is the referrer's depth + 1 (a referrer nobody referred has
depth 0), unbounded. The unique (campaign, player) row makes attribution
idempotent under concurrency.

Opening a share link records ``share_open`` for the sharer, also when the
visitor is not new (reach, not conversion); a token that is forged, of
another campaign or of another brand is ignored for attribution and
recorded as ``attribution_refused``. Each new referral keeps the address
and device it arrived from, and a burst goes to the risk queue.

A friend's first valid play (a finished replayed session, a first nurture
action) earns the referral's rewards once (``engine.referral.rewards``: the
welcome, level 1, level 2), a nurture boost included: it is a reward kind
given through the game state in the same transaction.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from engine.clock import utcnow
from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign, Event, Player, Referral
from engine.referral import rewards
from engine.referral.tokens import sharer_from_token
from engine.risk import flags

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


def sharer_of(campaign: Campaign, share_token: str) -> Player | None:
    """Return the sharer a token of ``campaign`` names, if genuine and of its brand."""
    sharer_id = sharer_from_token(campaign, share_token)
    sharer = db.session.get(Player, sharer_id) if sharer_id is not None else None
    return sharer if sharer is not None and sharer.brand_id == campaign.brand_id else None


def open_share(campaign: Campaign, visitor: Player | None, share_token: str, *,
               address: str | None = None, device: str | None = None) -> Referral | None:
    """Record a share link's opening, and attribute the visitor at first touch.

    Call it before recording the visit that carries the token. Returns the new
    referral or None; the caller commits.
    """
    sharer = sharer_of(campaign, share_token)
    if sharer is None:
        record_event("attribution_refused", brand_id=campaign.brand_id, campaign_id=campaign.id,
                     player_id=visitor.id if visitor else None, reason="invalid_token")
        return None
    if visitor is not None and visitor.id == sharer.id:
        return None  # my own link: neither reach nor a referral
    record_event("share_open", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=sharer.id, visitor_id=visitor.id if visitor else None)
    if visitor is None:
        return None
    return attribute_first_touch(campaign, visitor, share_token, address=address,
                                 device=device)


def attribute_first_touch(campaign: Campaign, player: Player, share_token: str | None, *,
                          address: str | None = None,
                          device: str | None = None) -> Referral | None:
    """Fix the player's referrer from ``share_token`` if this is their first touch.

    Returns the new referral, or None (no or bad token, self-referral, not a
    first touch, a cycle, or already attributed). Records a ``referral``
    event and checks it for bursts (risk flags); the caller commits.
    """
    sharer = sharer_of(campaign, share_token or "")
    if sharer is None or sharer.id == player.id or _touched_before(campaign, player.id):
        return None
    if referral_of(campaign, player.id) is not None:
        return None
    above = referral_of(campaign, sharer.id)
    root_id = above.root_id if above else sharer.id
    if root_id == player.id:  # the sharer descends from the newcomer: a cycle
        return None
    referral = Referral(campaign_id=campaign.id, player_id=player.id, referrer_id=sharer.id,
                        root_id=root_id, depth=(above.depth if above else 0) + 1,
                        share_token=share_token[:128], created_at=utcnow(),
                        address=(address or None) and address[:45], device=device)
    try:
        with db.session.begin_nested():
            db.session.add(referral)
    except IntegrityError:  # a concurrent first touch attributed the player already
        return None
    record_event("referral", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player.id, referrer_id=sharer.id, depth=referral.depth)
    flags.check_referral(campaign, referral)
    return referral


def verified_play(campaign: Campaign, player_id: int, source: str) -> Referral | None:
    """Give the referral's rewards once, for this friend's first valid play.

    Safe to call on every valid play: only the first call per friend (an
    atomic ``verified_at`` update, the one statement a player nobody referred
    costs) records ``referred_play`` and gives the welcome and the two
    levels' rewards. Returns the referral when this call was that first one,
    otherwise None. The caller
    commits.
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
    given = rewards.reward_referral(campaign, referral, source)
    record_event("referred_play", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player_id, referrer_id=referral.referrer_id, depth=referral.depth,
                 source=source, rewards={r.level: r.status for r in given})
    return referral
