"""Profiling consent (PIPL): record a player's answer; withdrawing removes every tag.

The brand is the personal-information handler (个人信息处理者); we process on
its behalf. Without ``profiling`` a player is never tagged; withdrawing it
removes the player's tags with a ``remove`` change each, in the same
transaction as the new answer, so the CRM hears of it. ``targeting`` False
opts out of tag-based targeting (PIPL Art. 24) while keeping the tags.
"""

from __future__ import annotations

from engine.campaigns.audience import consent_of
from engine.clock import utcnow
from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign, Player, ProfilingConsent
from tags import outbox, state


def record_consent(campaign: Campaign, player: Player, profiling: bool, notice_version: str,
                   targeting: bool | None = None) -> ProfilingConsent:
    """Store the player's answer for the campaign's brand; withdraw tags if consent ends."""
    brand_id = campaign.brand_id
    outbox.lock_tag_writes(brand_id)  # an evaluation running now cannot re-tag behind us
    row = consent_of(brand_id, player.id)
    now = utcnow()
    if row is None:
        row = ProfilingConsent(brand_id=brand_id, player_id=player.id, created_at=now)
        db.session.add(row)
    withdrawn = bool(row.profiling) and not profiling
    row.profiling, row.notice_version, row.updated_at = profiling, notice_version, now
    if targeting is not None:
        row.targeting = targeting
    elif row.targeting is None:
        row.targeting = True
    record_event("consent", brand_id=brand_id, campaign_id=campaign.id, player_id=player.id,
                 profiling=profiling, targeting=row.targeting, notice_version=notice_version)
    if withdrawn or not profiling:
        state.remove_all(brand_id, player.id, "consent_withdrawn")  # commits
    else:
        db.session.commit()
    return row
