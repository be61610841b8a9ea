"""The campaign's dashboard page and its CSV exports."""

from __future__ import annotations

from dataclasses import asdict

from flask import Response, render_template, stream_with_context

from engine.access import auth
from engine.campaigns import dashboard as numbers
from engine.campaigns import exports
from engine.web.console import bp


@bp.get("/campaigns/<int:campaign_id>")
def dashboard(campaign_id: int):
    """Show the campaign's numbers and charts."""
    campaign = auth.owned_campaign(campaign_id)
    board = numbers.dashboard(campaign)
    return render_template("console/dashboard.html", campaign=campaign, board=board,
                           chart=asdict(board))


@bp.get("/campaigns/<int:campaign_id>/export/<any(players,plays,coupons):kind>.csv")
def export(campaign_id: int, kind: str):
    """Stream one of the campaign's CSV exports."""
    campaign = auth.owned_campaign(campaign_id)
    rows = exports.EXPORTS[kind](campaign)
    resp = Response(stream_with_context(rows), mimetype="text/csv")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{campaign.slug}-{kind}.csv"')
    return resp
