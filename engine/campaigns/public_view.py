"""The campaign as players see it: game, branding, schedule, rules, my chances."""

from __future__ import annotations

from dataclasses import dataclass

from engine.campaigns.audience import (
    AudienceStatus,
    ConsentNotice,
    audience_status,
    consent_notice,
)
from engine.campaigns.lifecycle import is_live, plays_left
from engine.models import Campaign, Player
from engine.referral import share_token_for
from engine.rewards import service
from games import get_game_type

DEFAULT_BOARDS = ("all", "daily", "weekly")


@dataclass(frozen=True)
class CampaignGame:
    """The game a campaign plays: its type, the params the campaign set, how it is played."""

    type: str
    title: str
    params: dict
    replayed: bool
    ends_early: bool

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignGame:
        """Return the game of ``campaign``, described by its game type."""
        game = get_game_type(campaign.game_type)
        return cls(game.name, game.title, campaign.game_params, game.replayed, game.ends_early)


@dataclass(frozen=True)
class PublicView:
    """A campaign as one player sees it, with their chances (``player`` None: not known yet)."""

    campaign: Campaign
    game: CampaignGame
    live: bool
    plays_left: int | None
    boards: list[str]
    player: Player | None
    share_token: str | None  # the page builds its share link /c/<slug>?s=<share_token>
    audience: AudienceStatus  # who the campaign is for
    consent: ConsentNotice  # the profiling notice with my answer (PIPL)
    rewards: service.PublicRewards


def public_view(campaign: Campaign, player: Player | None) -> PublicView:
    """Return the campaign as players see it, with the viewer's plays left."""
    return PublicView(
        campaign=campaign, game=CampaignGame.of(campaign), live=is_live(campaign),
        plays_left=plays_left(campaign, player),
        boards=list(campaign.boards or DEFAULT_BOARDS), player=player,
        share_token=share_token_for(campaign, player) if player else None,
        audience=audience_status(campaign, player), consent=consent_notice(campaign, player),
        rewards=service.public_rewards(campaign, player))
