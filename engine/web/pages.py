"""HTML pages for players: the play page of a campaign."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from engine import referral
from engine.access import identity, rate_limits
from engine.access.wechat import login
from engine.campaigns import lifecycle, public_view
from engine.errors import NotFound
from engine.events import record_event
from engine.extensions import db
from engine.rewards import service
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
        return render_template("not_found.html"), 404
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
    return render_template("play.html", campaign=campaign, game=game,
                           view=public_view.public_view(campaign, player),
                           snapshot=player is None, api_base=url_for("pages.index"))


@bp.get("/me/coupons")
def my_coupons():
    """List the visitor's coupons of every brand (我的券)."""
    found = service.my_coupons(identity.known_player_ids())
    return render_template("my_coupons.html", coupons=found)
