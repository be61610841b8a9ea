"""The campaign's dashboard page and its CSV exports."""

from __future__ import annotations

from dataclasses import asdict

from flask import Response, render_template, stream_with_context

from engine.access import auth
from engine.api.errors import status_of
from engine.campaigns import dashboard as numbers
from engine.campaigns import exports
from engine.errors import DomainError, NotFound
from engine.rewards import failures
from engine.web.console import award_failures, bp


def _page(campaign, retried: dict | None = None, status: int = 200):
    board = numbers.dashboard(campaign)
    return render_template("console/dashboard.html", campaign=campaign, board=board,
                           chart=asdict(board), failures=award_failures.failure_list(campaign),
                           retried=retried), status


@bp.get("/campaigns/<int:campaign_id>")
def dashboard(campaign_id: int):
    """Show the campaign's numbers, charts and the rewards that could not be issued."""
    return _page(auth.owned_campaign(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/award-failures/<int:failure_id>/retry")
def retry_award(campaign_id: int, failure_id: int):
    """Try to issue a failed reward again; show the dashboard with the outcome."""
    campaign = auth.owned_campaign(campaign_id)  # an analyst's retry is refused (403)
    try:
        row = failures.retry(campaign, failure_id)
    except NotFound:
        raise
    except DomainError as exc:  # still not issuable (the attempt is counted), or done already
        return _page(campaign, {"ok": False, "id": failure_id, "code": exc.code},
                     status_of(exc))
    return _page(campaign, {"ok": True, "id": row.id, "coupon_id": row.coupon_id})


@bp.get("/campaigns/<int:campaign_id>/export/<any(players,plays,coupons):kind>.csv")
def export(campaign_id: int, kind: str):
    """Stream one of the campaign's CSV exports."""
    campaign = auth.owned_campaign(campaign_id)
    rows = exports.EXPORTS[kind](campaign)
    resp = Response(stream_with_context(rows), mimetype="text/csv")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{campaign.slug}-{kind}.csv"')
    return resp
