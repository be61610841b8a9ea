"""Reports API: the referral KPIs of a campaign (JSON or CSV) and one sharer's tree."""

from __future__ import annotations

import csv
import io

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from engine.access.auth import marketer_or_key_required, owned_campaign
from engine.api.base import Blueprint
from engine.api.schemas import QuerySchema
from engine.referral import report, report_cache

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Referral KPIs (marketer, console session or reports:read key)")


class ReportQuerySchema(QuerySchema):
    from_ = fields.AwareDateTime(data_key="from", metadata={"description": "ISO 8601 with offset"})
    to = fields.AwareDateTime()
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class SharerSchema(Schema):
    """A top sharer's player (dumps ``engine.referral.report.Sharer``)."""

    id = fields.Integer()
    nickname = fields.String(metadata={"description": "the nickname, or 玩家 and the id "
                                                      "when none"})


class DaySchema(Schema):
    """One local day of the campaign (dumps ``engine.referral.report.ReportDay``)."""

    date = fields.String(metadata={"description": "YYYY-MM-DD in the campaign's timezone"})
    visits = fields.Integer()
    shares = fields.Integer()
    share_opens = fields.Integer()
    referred_players = fields.Integer()
    referred_plays = fields.Integer()


class TopSharerSchema(Schema):
    """A sharer with the most referred players (dumps ``engine.referral.report.TopSharer``)."""

    player = fields.Nested(SharerSchema)
    direct = fields.Integer(metadata={"description": "players this sharer referred"})
    downstream = fields.Integer(metadata={"description": "players in the whole tree below"})


class FunnelSchema(Schema):
    """How many distinct players reached each step (dumps ``engine.referral.report.Funnel``)."""

    visit = fields.Integer()
    play = fields.Integer(metadata={"description": "finished a game or took a garden action"})
    share = fields.Integer()
    referred_play = fields.Integer()
    coupon_claimed = fields.Integer()
    coupon_redeemed = fields.Integer()


class ReferralReportSchema(Schema):
    """The referral KPIs (dumps ``engine.referral.report.ReferralReport``)."""

    players = fields.Integer()
    visits = fields.Integer()
    shares = fields.Integer(metadata={"description": "share links created (never callbacks)"})
    share_opens = fields.Integer()
    referred_players = fields.Integer()
    k_factor = fields.Float(metadata={"description": "referred players ÷ players (i × c)"})
    share_rate = fields.Float(metadata={"description": "players who shared ÷ players"})
    viral_cycle_time_s = fields.Float(allow_none=True)
    max_depth = fields.Integer()
    depth_histogram = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "players at each depth, by depth (\"0\": players nobody referred)"})
    k_by_generation = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={
        "description": "by depth g: players at depth g+1 ÷ players at depth g"})
    top_sharers = fields.List(fields.Nested(TopSharerSchema))
    funnel = fields.Nested(FunnelSchema)
    daily = fields.List(fields.Nested(DaySchema))


class TreeQuerySchema(QuerySchema):
    player = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class TreeNodeSchema(Schema):
    """A player in a sharer's downstream tree (dumps ``engine.referral.report.TreeNode``)."""

    player_id = fields.Integer()
    depth = fields.Integer()
    direct = fields.Integer()
    downstream = fields.Integer()
    truncated = fields.Boolean(metadata={"description": "more children than shown"})
    children = fields.List(fields.Nested(lambda: TreeNodeSchema()), metadata={
        "description": f"at most {report.TREE_LIMIT} nodes in the whole answer, "
                       f"{report.TREE_DEPTH} levels below the asked player"})
    cut_by_depth = fields.Boolean(metadata={
        "description": f"this node is {report.TREE_DEPTH} levels below the asked player and "
                       "its referrals are not shown: ask the tree of this player to go on"})


TOTALS = ("players", "visits", "shares", "share_opens", "referred_players", "k_factor",
          "share_rate", "viral_cycle_time_s", "max_depth")
DAILY = ("date", "visits", "shares", "share_opens", "referred_players", "referred_plays")


def as_csv(found: report.ReferralReport) -> Response:
    """Return the daily series as CSV with the totals as a header block."""
    out = io.StringIO()
    writer = csv.writer(out)
    for name in TOTALS:
        value = getattr(found, name)
        writer.writerow([name, "" if value is None else value])
    writer.writerow([])
    writer.writerow(DAILY)
    for day in found.daily:
        writer.writerow([getattr(day, c) for c in DAILY])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=referral.csv"})


@blp.route("/campaigns/<int:campaign_id>/referral")
class ReferralReportView(MethodView):
    decorators = [marketer_or_key_required("reports:read")]

    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReferralReportSchema)
    @blp.doc(responses={"200": {"description": "OK (``format=csv``: the same as a CSV file)",
                                "content": {"application/json": {"schema": ReferralReportSchema},
                                            "text/csv": {"schema": {"type": "string"}}}}})
    def get(self, args, campaign_id):
        """Compute the referral KPIs (422 when ``from`` is after ``to``)."""
        campaign = owned_campaign(campaign_id, reading=True)
        found = report_cache.referral_report(campaign, args.get("from_"), args.get("to"))
        return as_csv(found) if args["format"] == "csv" else found


@blp.route("/campaigns/<int:campaign_id>/referral/tree")
class ReferralTreeView(MethodView):
    decorators = [marketer_or_key_required("reports:read")]

    @blp.arguments(TreeQuerySchema, location="query")
    @blp.response(200, TreeNodeSchema)
    def get(self, args, campaign_id):
        """Show one sharer's downstream tree (404 for a player not of this brand)."""
        return report_cache.referral_tree(owned_campaign(campaign_id, reading=True), args["player"])
