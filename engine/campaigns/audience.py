"""Who a campaign is for: tag audiences, and the player's profiling consent (PIPL).

Reads the tag tables only (``tags/`` writes them). A campaign's ``audience``
is ``{"tag": <tag name>, "mode": "limit" | "recommend"}``. Tags decide only
for players who consented to profiling and did not opt out of tag-based
targeting (PIPL Art. 24): for everyone else the campaign is open, as if it
had no audience — declining never shuts a player out.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.errors import Forbidden
from engine.extensions import db
from engine.models import Brand, Campaign, Player, PlayerTag, ProfilingConsent, TagRule

# the notice text the play page shows; a new text gets a new version and asks again
NOTICE_VERSION = "2026-11-v1"
PROCESSOR = "互动 Hudong"


class NotInAudience(Forbidden):
    code, message = "not_in_audience", "本活动仅面向特定用户"


def consent_of(brand_id: int, player_id: int) -> ProfilingConsent | None:
    """Return the player's profiling consent for the brand, if they answered."""
    return db.session.scalar(select(ProfilingConsent).where(
        ProfilingConsent.brand_id == brand_id, ProfilingConsent.player_id == player_id))


def consent_view(campaign: Campaign, player: Player | None) -> dict:
    """Return the consent part of the campaign view: the notice to show, and my answer."""
    brand = db.session.get(Brand, campaign.brand_id)
    row = consent_of(campaign.brand_id, player.id) if player else None
    return {"handler": brand.name, "processor": PROCESSOR, "notice_version": NOTICE_VERSION,
            "answered": row is not None and row.notice_version == NOTICE_VERSION,
            "profiling": bool(row and row.profiling),
            "targeting": bool(row.targeting) if row else True}


def _holds(player_id: int, brand_id: int, tag: str) -> bool:
    return db.session.scalar(
        select(PlayerTag.id).join(TagRule, TagRule.id == PlayerTag.rule_id)
        .where(PlayerTag.player_id == player_id, TagRule.brand_id == brand_id,
               TagRule.name == tag).limit(1)) is not None


def audience_view(campaign: Campaign, player: Player | None) -> dict:
    """Return ``{"eligible", "reason"}`` for this player and campaign."""
    audience = campaign.audience or {}
    if not audience.get("tag"):
        return {"eligible": True, "reason": None}
    holds = player is not None and _holds(player.id, campaign.brand_id, audience["tag"])
    if audience.get("mode") == "recommend":
        return {"eligible": True, "reason": "recommended" if holds else None}
    if holds:
        return {"eligible": True, "reason": "in_audience"}
    row = consent_of(campaign.brand_id, player.id) if player else None
    if row is None or not row.profiling:
        return {"eligible": True, "reason": "not_profiled"}
    if not row.targeting:
        return {"eligible": True, "reason": "targeting_opt_out"}
    return {"eligible": False, "reason": "not_in_audience"}


def ensure_in_audience(campaign: Campaign, player: Player) -> None:
    """Raise ``NotInAudience`` (403) if the campaign is limited to a tag the player lacks."""
    if (campaign.audience or {}).get("tag") and not audience_view(campaign, player)["eligible"]:
        raise NotInAudience()
