"""The campaign as players see it: game, branding, schedule, rules, my chances."""

from __future__ import annotations

from engine.campaigns.audience import audience_view, consent_view
from engine.campaigns.lifecycle import is_live, plays_left
from engine.clock import isoformat
from engine.models import Campaign, Player
from engine.referral import share_token_for
from engine.rewards import service
from games import get_game_type


def public_view(campaign: Campaign, player: Player | None) -> dict:
    """Return the campaign as players see it, with the viewer's plays left."""
    game = get_game_type(campaign.game_type)
    return {
        "slug": campaign.slug, "title": campaign.title, "status": campaign.status,
        "live": is_live(campaign),
        "game": {"type": game.name, "title": game.title, "params": campaign.game_params,
                 "replayed": game.replayed, "ends_early": game.ends_early},
        "branding": campaign.branding or {}, "rules_text": campaign.rules_text,
        "schedule": {"starts_at": isoformat(campaign.starts_at),
                     "ends_at": isoformat(campaign.ends_at), "timezone": campaign.timezone},
        "plays_left": plays_left(campaign, player),
        "boards": list(campaign.boards or ("all", "daily", "weekly")),
        "player": {"id": player.id, "nickname": player.display_name} if player else None,
        # the page builds its share link /c/<slug>?s=<share_token> from it
        "share_token": share_token_for(campaign, player) if player else None,
        # who the campaign is for, and the profiling notice with my answer (PIPL)
        "audience": audience_view(campaign, player),
        "consent": consent_view(campaign, player),
        **service.public_rewards(campaign, player),
    }
