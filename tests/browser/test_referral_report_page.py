"""The referral report page draws its charts from the KPI JSON (console sign-in)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.engine.test_referral import finish_one, visit
from tests.factories import make_campaign, make_marketer

pytestmark = pytest.mark.browser
QUIET = {"burst_per_address": 10000, "sharer_burst": 10000}


def build_tree(app, campaign):
    """Make a small forest: a root with three friends, one of them three levels deep."""
    root = app.test_client()
    token = visit(root, campaign)
    root.post(f"/api/v1/campaigns/{campaign.slug}/shares", json={})
    for _ in range(3):
        friend = app.test_client()
        visit(friend, campaign, token)
        finish_one(friend, campaign)
    for _ in range(3):
        deeper = app.test_client()
        token = visit(deeper, campaign, token)
        finish_one(deeper, campaign)


def test_the_report_page_shows_its_charts(app, live_server, browser, tmp_path):
    campaign = make_campaign(game_params={"min_move_interval_ms": 0}, risk_config=QUIET,
                             title="合成大西瓜挑战赛")
    make_marketer(campaign.brand, email="analyst@example.com", password="pw-123456")
    build_tree(app, campaign)
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login")
    page.fill("input[name=email]", "analyst@example.com")
    page.fill("input[name=password]", "pw-123456")
    page.click("button[type=submit]")
    page.locator(f"a[href='/admin/campaigns/{campaign.id}']").first.click()  # its dashboard
    report_link = page.locator(f"a[href='/admin/reports/campaigns/{campaign.id}/referral']")
    expect(report_link).to_be_visible()  # the campaign's dashboard links to the report
    report_link.click()
    expect(page.locator("#report[data-ready='1']")).to_be_attached()
    for chart in ("daily", "depth", "funnel", "kgen"):
        canvas = page.locator(f"#chart-{chart}")
        expect(canvas).to_be_visible()
        # Chart.js drew on it: the canvas has non-blank pixels
        drawn = page.evaluate(f"""() => {{
            const c = document.getElementById('chart-{chart}');
            const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let ink = 0; for (let i = 3; i < px.length; i += 4) if (px[i]) ink++;
            return ink; }}""")
        assert drawn > 500, chart
    expect(page.locator("#cards .card")).to_have_count(9)
    expect(page.locator("#top tr")).to_have_count(3)  # the root and two of the chain
    assert "裂变报表" in page.title()
    page.screenshot(path=str(tmp_path / "referral-report.png"), full_page=True)
    page.screenshot(path="/tmp/referral-report.png", full_page=True)
    page.locator("#top tr a").first.click()  # the top sharer's tree: the root and its six
    expect(page.locator("#tree tbody tr")).to_have_count(7)
    expect(page.locator("#tree tbody tr[data-level='3']")).to_have_count(1)
    assert "分享树" in page.title()
    page.screenshot(path="/tmp/referral-tree.png", full_page=True)
    context.close()
