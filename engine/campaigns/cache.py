"""The per-process campaign cache: a campaign and its reward rules, checked by version.

The hot paths (a finish, a session start, a nurture action) read the
campaign's ``version`` in a query they make anyway, and take the campaign
and its rules from here while the version matches: no statement of their
own. Every ORM change to a campaign or to one of its reward rules raises the
campaign's version in the same flush (``_raise_versions``), so every process
sees the change at its next request. The cached rows are detached copies:
read them, never add them to a session or change them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import and_, bindparam, event, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from engine.access import identity
from engine.campaigns.lifecycle import PUBLIC_STATUSES
from engine.errors import NotFound
from engine.extensions import db
from engine.models import Campaign, Player, RewardRule

# a process serves a few hundred live campaigns at most; past this it starts over
LIMIT = 1000


@dataclass(frozen=True)
class CachedCampaign:
    """A campaign as of one version, with its reward rules (ordered by id)."""

    campaign: Campaign
    rules: tuple[RewardRule, ...]

    def rules_for(self, trigger: str) -> list[RewardRule]:
        """Return the rules of one trigger ("score", "maturity", ...)."""
        return [rule for rule in self.rules if rule.trigger == trigger]


_by_id: dict[int, CachedCampaign] = {}
_slugs: dict[str, tuple[int, int]] = {}  # slug -> (campaign id, brand id)


def _detached(row):
    """Return a detached copy of an ORM row with every column loaded (JSON copied)."""
    mapper = inspect(row).mapper
    twin = mapper.class_(**{attr.key: copy.deepcopy(getattr(row, attr.key))
                            for attr in mapper.column_attrs})
    make_transient_to_detached(twin)
    return twin


def _load(campaign_id: int) -> CachedCampaign | None:
    campaign = db.session.execute(select(Campaign).where(Campaign.id == campaign_id)
                                  .execution_options(populate_existing=True)).scalar()
    if campaign is None:
        return None
    rules = db.session.scalars(select(RewardRule).where(RewardRule.campaign_id == campaign_id)
                               .order_by(RewardRule.id))
    if len(_by_id) >= LIMIT:
        _by_id.clear()
        _slugs.clear()
    found = _by_id[campaign_id] = CachedCampaign(_detached(campaign),
                                                 tuple(_detached(r) for r in rules))
    return found


def cached(campaign_id: int, version: int) -> CachedCampaign:
    """Return the campaign at ``version`` (read from the database when the cache is older)."""
    hit = _by_id.get(campaign_id)
    if hit is None or hit.campaign.version != version:
        hit = _load(campaign_id)
        if hit is None:
            raise NotFound("活动不存在")
    return hit


# the campaign's version and slug with this browser's player: built once per process
_VERSION_AND_PLAYER = (
    select(Campaign.version, Campaign.slug, Player)
    .outerjoin(Player, and_(Player.id == bindparam("player_id"),
                            Player.brand_id == Campaign.brand_id))
    .where(Campaign.id == bindparam("campaign_id")))


def public_campaign_and_player(slug: str) -> tuple[CachedCampaign, Player | None]:
    """Return the public campaign at ``slug`` and this browser's player of its brand.

    One statement when the slug was seen before: the campaign's version and
    the player come together. Drafts are not found.
    """
    known = _slugs.get(slug)
    if known is None:
        return _first_sight(slug)
    campaign_id, brand_id = known
    row = db.session.execute(_VERSION_AND_PLAYER, {
        "campaign_id": campaign_id, "player_id": identity.player_id_for(brand_id)}).first()
    if row is None or row.slug != slug:  # renamed or gone: look the slug up again
        _slugs.pop(slug, None)
        return _first_sight(slug)
    found = cached(campaign_id, row.version)
    if found.campaign.status not in PUBLIC_STATUSES:
        raise NotFound("活动不存在")
    return found, row.Player


def _first_sight(slug: str) -> tuple[CachedCampaign, Player | None]:
    campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    found = _load(campaign_id) if campaign_id is not None else None
    if found is None or found.campaign.status not in PUBLIC_STATUSES:
        raise NotFound("活动不存在")
    _slugs[slug] = (campaign_id, found.campaign.brand_id)
    return found, identity.current_player(found.campaign.brand_id)


def clear() -> None:
    """Forget every cached campaign (tests, and a process told to start over)."""
    _by_id.clear()
    _slugs.clear()


@event.listens_for(Session, "before_flush")
def _raise_versions(session: Session, _context, _instances) -> None:
    """Raise the version of every campaign changed, or whose reward rules changed."""
    changed: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Campaign) and obj not in session.new:
            if session.is_modified(obj, include_collections=False):
                changed.add(obj.id)
        elif isinstance(obj, RewardRule) and obj.campaign_id is not None:
            changed.add(obj.campaign_id)
    with session.no_autoflush:
        for campaign_id in changed:
            campaign = session.get(Campaign, campaign_id)
            if campaign is not None:
                campaign.version = (campaign.version or 0) + 1
