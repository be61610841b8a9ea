"""Share links: made on request, counted as shares, opened with WeChat's extra parameters.

A "share" in every report is a share link created here (``POST .../shares``),
never a WeChat callback: ``updateAppMessageShareData`` only means the share
content was set. The link is ``/c/<slug>?s=<token>``; WeChat appends
``from=`` and ``isappinstalled=`` when it is shared on, which the play page
ignores.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for

from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign, Player
from engine.referral.tokens import share_token_for


@dataclass
class ShareLink:
    """What a player shares: the token, the link, the poster for Moments."""

    share_token: str
    url: str
    poster_url: str


def external_url(endpoint: str, **values) -> str:
    """Return an absolute URL: ``PUBLIC_BASE_URL`` when set, else this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def share_link_for(campaign: Campaign, player: Player) -> ShareLink:
    """Return the player's share link of ``campaign`` (the same link every time)."""
    token = share_token_for(campaign, player)
    return ShareLink(share_token=token,
                     url=external_url("pages.play_page", slug=campaign.slug, s=token),
                     poster_url=external_url("shares.PosterView", slug=campaign.slug,
                                             token=token))


def create_share(campaign: Campaign, player: Player, channel: str | None = None) -> ShareLink:
    """Record a share (a link created) and return the link."""
    link = share_link_for(campaign, player)
    record_event("share", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player.id, channel=channel)
    db.session.commit()
    return link
