"""The console's pages over existing services, in Debian's chromium: a marketer retries a
reward that could not be issued, sets referral rewards (acknowledging the risk), dry-runs a
tag rule, adds a CRM endpoint and redelivers a dead letter, rejects a flagged referral with
a reason and sets the brand's WeChat account. Screenshots land beside the journey's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from engine.boards import period_close
from engine.clock import utcnow
from engine.extensions import db
from engine.models import CrmEndpoint, Delivery, RiskFlag
from tests.browser.test_console_journey import DESKTOP, WAIT_MS, shot, sign_in
from tests.engine.test_award_failures import DAY, rule
from tests.engine.test_period_close import day_campaign
from tests.factories import make_marketer

PASSWORD = "pw-123456"


def seed():
    """A campaign whose rank prize ran out, a flagged referral and a CRM dead letter."""
    campaign, players = day_campaign()
    campaign.title = "春季合成挑战"
    rule(campaign, period="daily", rank_from=1, rank_to=2, inventory=1)
    period_close.close_period(campaign, "daily", DAY)
    marketer = make_marketer(campaign.brand, email="marketer@tea.example", password=PASSWORD)
    db.session.add(RiskFlag(
        brand_id=campaign.brand_id, campaign_id=campaign.id, player_id=players[1].id,
        kind="referral_burst_address", reason="同一地址 10 分钟内 12 次拉新",
        subject_kind="referral", subject_id=1, details={"count": 12, "window_s": 600,
                                                        "limit": 10},
        held=[], default_action="reject", deadline=utcnow() + timedelta(days=2)))
    endpoint = CrmEndpoint(brand_id=campaign.brand_id, kind="webhook", name="会员中心",
                           url="https://crm.example.com/hooks/hudong", secret="s" * 24)
    db.session.add(endpoint)
    db.session.flush()
    db.session.add(Delivery(endpoint_id=endpoint.id, batch_id="batch-0001", change_ids=[1, 2, 3],
                            status="dead", attempts=12, last_status=503,
                            last_error="Service Unavailable"))
    db.session.commit()
    return campaign, marketer


@pytest.fixture
def page(browser):
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


def test_a_marketer_uses_the_brand_pages(app, live_server, page):
    campaign, marketer = seed()
    url, slug, cid = live_server.url, campaign.brand.slug, campaign.id
    sign_in(page, url, marketer.email, PASSWORD)

    page.goto(f"{url}/admin/campaigns/{cid}")
    failures = page.locator("#award-failures")
    expect(failures).to_contain_text("券已发完")
    failures.scroll_into_view_if_needed()
    page.locator("#award-failures button[id^=retry-]").first.click()
    expect(page.locator("#retry-outcome")).to_contain_text("仍未发放")
    shot(page, "award-failures")

    page.click("#nav-referral")
    page.select_option("select[name=welcome_kind]", "coupon")
    page.select_option("select[name=welcome_batch_id]", index=1)
    page.select_option("select[name=level1_kind]", "draws")
    page.fill("input[name=level1_amount]", "2")
    page.check("input[name=sharer_rewards_enabled]")
    page.check("#acknowledge-risk")
    page.click("#save-referral")
    expect(page.locator("#risk-acknowledged")).to_contain_text(marketer.email)
    shot(page, "referral")

    page.goto(f"{url}/admin/brands/{slug}/tags")
    page.fill("#rule-form input[name=name]", "常客")
    page.fill("#rule-text", '{"all": [{"metric": "plays", "op": ">=", "value": 1}]}')
    page.click("#dry-run-button")
    expect(page.locator("#dry-run")).to_contain_text("未保存任何内容")
    shot(page, "tags")

    page.click("#nav-crm")
    page.fill("#new-endpoint input[name=name]", "数据中台")
    page.fill("#new-endpoint input[name=url]", "https://cdp.example.com/hudong")
    page.click("#add-endpoint")
    expect(page.locator("#endpoint-created")).to_be_visible()
    assert page.locator("#endpoint-secret").input_value().startswith("whsec_")
    page.locator("tr", has_text="会员中心").get_by_role("link").first.click()
    page.locator("#deliveries button[id^=redeliver-]").first.click()
    expect(page.locator("#redeliver-outcome")).to_contain_text("重新排队")
    expect(page.locator("#deliveries")).to_contain_text("待处理")
    shot(page, "crm")

    page.click("#nav-risk")
    flag = page.locator("#flags tbody tr").first
    flag.locator("input[name=reason]").fill("同一网吧批量注册")
    flag.locator("button[value=reject]").click()
    expect(page.locator("#flag-decided")).to_contain_text("已拒绝")
    page.goto(f"{url}/admin/brands/{slug}/risk?status=rejected")
    expect(page.locator("#flags")).to_contain_text("同一网吧批量注册")
    shot(page, "risk")

    page.click("#nav-wechat")
    page.fill("input[name=appid]", "wx0123456789abcdef")
    page.fill("input[name=secret]", "S3cretAppSecretValue0123456789ab")
    page.click("#save-wechat")
    expect(page.locator("#current-appid")).to_have_text("wx0123456789abcdef")
    assert "S3cretAppSecret" not in page.content()
    shot(page, "wechat")
