"""The analyst's report pages in the console: the referral KPIs of a campaign, and one tree.

The KPI page is a shell; its script (``static/js/referral_report.js``) reads
the JSON of ``/api/v1/reports/campaigns/<id>/referral`` with the console
session and draws the charts with the vendored Chart.js; a key sharer links
to their tree. The tree page is rendered here from the same service as the
tree API (``report_cache.referral_tree``), one row per node in pre-order
(``TreeNode.rows``: no recursion in the template); a node cut off by depth
links to its own tree, where the chain goes on. Chinese by default, English
when the browser prefers it.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from engine.access import auth
from engine.errors import NotFound
from engine.referral import report, report_cache

bp = Blueprint("reports_page", __name__, url_prefix="/admin/reports")

TEXT = {
    "zh": {"title": "裂变报表", "back": "返回活动看板", "players": "玩家", "visits": "访问",
           "shares": "分享（生成链接）", "share_opens": "分享打开", "referred": "被邀请玩家",
           "k_factor": "K 因子", "share_rate": "分享率", "max_depth": "最大层级",
           "cycle": "病毒周期", "depth": "层级分布", "daily": "每日趋势",
           "funnel": "转化漏斗", "k_gen": "各代 K 值", "top": "关键分享者（KOC）",
           "player": "玩家", "direct": "直接邀请", "downstream": "下游总数", "csv": "下载 CSV",
           "loading": "加载中…", "failed": "报表加载失败", "none": "暂无分享者",
           "funnel_steps": ["访问", "游戏", "分享", "好友游戏", "领券", "核销"],
           "series": ["访问", "分享", "分享打开", "新邀请"], "seconds": "秒", "hours": "小时",
           "tree": "分享树", "tree_back": "返回裂变报表", "level": "层级（相对）",
           "tree_depth": "层级（活动内）", "more": "还有未显示的下级",
           "go_on": "继续查看此玩家的分享树", "limits": "每次最多显示 {nodes} 个节点、"
           "向下 {levels} 层；标记“继续”的玩家还有更深的下级。"},
    "en": {"title": "Referral report", "back": "Back to the campaign", "players": "Players",
           "visits": "Visits", "shares": "Shares (links created)", "share_opens": "Share opens",
           "referred": "Referred players", "k_factor": "K-factor", "share_rate": "Share rate",
           "max_depth": "Max depth", "cycle": "Viral cycle time", "depth": "Players by depth",
           "daily": "Daily", "funnel": "Funnel", "k_gen": "K by generation",
           "top": "Key sharers (KOC)", "player": "Player", "direct": "Direct",
           "downstream": "Downstream", "csv": "Download CSV", "loading": "Loading…",
           "failed": "The report could not be loaded", "none": "No sharers yet",
           "funnel_steps": ["Visit", "Play", "Share", "Referred play", "Coupon claimed",
                            "Redeemed"],
           "series": ["Visits", "Shares", "Share opens", "Referred"], "seconds": "s",
           "hours": "h", "tree": "Share tree", "tree_back": "Back to the referral report",
           "level": "Level (below)", "tree_depth": "Depth (campaign)",
           "more": "more referrals not shown", "go_on": "Continue with this player's tree",
           "limits": "At most {nodes} players and {levels} levels are shown at once; "
                     "a player marked “continue” has referrals further down."},
}


@bp.before_request
def choose_language() -> None:
    """Pick the page's language from the browser's Accept-Language."""
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    g.lang = "en" if best == "en" else "zh"
    g.t = TEXT[g.lang]


def _signed_in() -> bool:
    marketer = auth.current_marketer()
    if marketer is not None:
        g.brand_ids = auth.brand_ids_of(marketer)
    return marketer is not None


@bp.get("/campaigns/<int:campaign_id>/referral")
def referral_report(campaign_id: int):
    """Show the campaign's referral KPIs with charts (console sign-in required)."""
    if not _signed_in():
        return redirect(url_for("console.login"))
    try:
        campaign = auth.owned_campaign(campaign_id, reading=True)
    except NotFound:
        return render_template("not_found.html"), 404
    return render_template("reports/referral.html", campaign=campaign)


@bp.get("/campaigns/<int:campaign_id>/referral/tree")
def referral_tree(campaign_id: int):
    """Show one player's downstream tree, as the tree API answers it (console sign-in required)."""
    if not _signed_in():
        return redirect(url_for("console.login"))
    player = request.args.get("player", type=int)
    if player is None or not 0 < player < 2**31:
        return render_template("not_found.html"), 404
    try:
        campaign = auth.owned_campaign(campaign_id, reading=True)
        tree = report_cache.referral_tree(campaign, player)  # NotFound: not of this brand
    except NotFound:
        return render_template("not_found.html"), 404
    return render_template("reports/referral_tree.html", campaign=campaign, rows=tree.rows(),
                           limits=g.t["limits"].format(nodes=report.TREE_LIMIT,
                                                       levels=report.TREE_DEPTH))
