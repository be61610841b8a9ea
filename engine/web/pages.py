"""HTML pages for players: the play page, its rules, 我的券, and a branded 404."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from engine import referral
from engine.access import identity, rate_limits
from engine.access.wechat import login
from engine.api.campaigns import CampaignPublicViewSchema
from engine.api.schemas import CouponSchema
from engine.campaigns import lifecycle, public_view
from engine.errors import NotFound
from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign
from engine.rewards import service
from engine.web import palette, screens, wallet
from engine.web.assets import static_url
from games import get_game_type

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """Send visitors of the bare host to the console later; for now, a notice."""
    return render_template("index.html")


@bp.get("/c/<slug>")
def play_page(slug: str):
    """Serve the play page; record the visit (with the share token, if any)."""
    try:
        campaign = lifecycle.get_public_campaign(slug)
    except NotFound:
        return not_found()
    player = identity.current_player(campaign.brand_id)
    wechat = identity.wechat_enabled(campaign.brand_id)
    if player is None and wechat and identity.is_snapshot() and identity.snapshot_page_shown():
        return redirect(login.authorize_url_for(campaign, request.full_path.rstrip("?")))
    if player is None and wechat and not identity.is_snapshot():
        return redirect(login.authorize_url_for(campaign, request.full_path.rstrip("?")))
    if player is None and not wechat:
        player = identity.player_for_request(campaign)
    share_token = request.args.get("s", "")[:128]
    if share_token:  # before the visit: first touch only
        referral.open_share(campaign, player, share_token, address=rate_limits.address(),
                            device=rate_limits.device_key())
    record_event("visit", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player.id if player else None, share_token=share_token or None,
                 snapshot=identity.is_snapshot() or None)
    db.session.commit()
    game = get_game_type(campaign.game_type)
    view = CampaignPublicViewSchema().dump(public_view.public_view(campaign, player))
    return render_template("play.html", campaign=campaign, game=game, view=view,
                           snapshot=player is None, api_base=url_for("pages.index"),
                           **_screens(campaign, game))


def _screens(campaign: Campaign, game) -> dict:
    """Return what the landing screen and the page script need besides the public view."""
    theme = palette.theme(campaign.branding)
    ascending = game.replayed and game.lower_is_better(campaign.game_params or {})
    return {"theme": theme, "state": screens.campaign_state(campaign),
            "how_to_play": screens.HOW_TO_PLAY.get(game.name, ""),
            "prizes_at_a_glance": screens.prizes_at_a_glance(campaign, ascending, game.replayed),
            "ends_at_text": screens.local_text(campaign.ends_at, campaign.timezone),
            "page": {"theme": theme, "sprites": static_url("games/sprites.svg")}}


@bp.get("/c/<slug>/rules")
def rules_page(slug: str):
    """Publish the campaign's rules, generated from its own configuration."""
    try:
        campaign = lifecycle.get_public_campaign(slug)
    except NotFound:
        return not_found()
    game = get_game_type(campaign.game_type)
    ascending = game.replayed and game.lower_is_better(campaign.game_params or {})
    return render_template("rules.html", campaign=campaign, game=game,
                           theme=palette.theme(campaign.branding),
                           state=screens.campaign_state(campaign),
                           starts=screens.local_text(campaign.starts_at, campaign.timezone),
                           ends=screens.local_text(campaign.ends_at, campaign.timezone),
                           how_to_play=screens.HOW_TO_PLAY.get(game.name, ""),
                           rules=screens.reward_rules(campaign, ascending),
                           prizes=screens.prizes_with_odds(campaign),
                           batches=screens.coupon_batches(campaign),
                           validity=screens.validity_words)


@bp.get("/me/coupons")
def my_coupons():
    """Show the visitor's coupons as a wallet (我的券), under the campaign they came from."""
    campaign = None
    slug = request.args.get("c", "")[:64]
    if slug:
        try:
            campaign = lifecycle.get_public_campaign(slug)
        except NotFound:
            campaign = None
    found = wallet.wallet_items(
        CouponSchema(many=True).dump(service.my_coupons(identity.known_player_ids())))
    return render_template("my_coupons.html", coupons=found, campaign=campaign,
                           theme=palette.theme(campaign.branding if campaign else None))


def not_found():
    """Answer a missing campaign with the branded 404 page."""
    return render_template("not_found.html", theme=palette.theme(None)), 404
