"""Who a campaign is for: tag audiences, and the player's profiling consent (PIPL).

Reads the tag tables only (``tags/`` writes them). A campaign's ``audience``
is ``{"tag": <tag name>, "mode": "limit" | "recommend"}``. Tags decide only
for players who consented to profiling and did not opt out of tag-based
targeting (PIPL Art. 24): for everyone else the campaign is open, as if it
had no audience — declining never shuts a player out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engine.errors import Forbidden
from engine.extensions import db
from engine.models import Brand, Campaign, Player, PlayerTag, ProfilingConsent, TagRule

# the notice text the play page shows; a new text gets a new version and asks again
NOTICE_VERSION = "2026-11-v1"
PROCESSOR = "互动 Hudong"


class NotInAudience(Forbidden):
    code, message = "not_in_audience", "本活动仅面向特定用户"


@dataclass(frozen=True)
class AudienceStatus:
    """Whether the campaign's audience lets this player play, and why (None: no audience)."""

    eligible: bool
    reason: str | None = None


@dataclass(frozen=True)
class ConsentNotice:
    """The profiling notice to show: who handles and who processes the data, and my answer."""

    handler: str
    processor: str
    notice_version: str
    answered: bool
    profiling: bool
    targeting: bool


def consent_of(brand_id: int, player_id: int) -> ProfilingConsent | None:
    """Return the player's profiling consent for the brand, if they answered."""
    return db.session.scalar(select(ProfilingConsent).where(
        ProfilingConsent.brand_id == brand_id, ProfilingConsent.player_id == player_id))


def consent_notice(campaign: Campaign, player: Player | None) -> ConsentNotice:
    """Return the notice the campaign shows for its brand, and the player's answer to it."""
    brand = db.session.get(Brand, campaign.brand_id)
    row = consent_of(campaign.brand_id, player.id) if player else None
    return ConsentNotice(handler=brand.name, processor=PROCESSOR, notice_version=NOTICE_VERSION,
                         answered=row is not None and row.notice_version == NOTICE_VERSION,
                         profiling=bool(row and row.profiling),
                         targeting=bool(row.targeting) if row else True)


def _holds(player_id: int, brand_id: int, tag: str) -> bool:
    return db.session.scalar(
        select(PlayerTag.id).join(TagRule, TagRule.id == PlayerTag.rule_id)
        .where(PlayerTag.player_id == player_id, TagRule.brand_id == brand_id,
               TagRule.name == tag).limit(1)) is not None


def audience_status(campaign: Campaign, player: Player | None) -> AudienceStatus:
    """Return whether this player is in the campaign's audience, and why."""
    audience = campaign.audience or {}
    if not audience.get("tag"):
        return AudienceStatus(True)
    holds = player is not None and _holds(player.id, campaign.brand_id, audience["tag"])
    if audience.get("mode") == "recommend":
        return AudienceStatus(True, "recommended" if holds else None)
    if holds:
        return AudienceStatus(True, "in_audience")
    row = consent_of(campaign.brand_id, player.id) if player else None
    if row is None or not row.profiling:
        return AudienceStatus(True, "not_profiled")
    if not row.targeting:
        return AudienceStatus(True, "targeting_opt_out")
    return AudienceStatus(False, "not_in_audience")


def ensure_in_audience(campaign: Campaign, player: Player) -> None:
    """Raise ``NotInAudience`` (403) if the campaign is limited to a tag the player lacks."""
    if (campaign.audience or {}).get("tag") and not audience_status(campaign, player).eligible:
        raise NotInAudience()
