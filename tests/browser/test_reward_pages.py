"""Rewards in a phone browser: claim a coupon, draw, see them under 我的券."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.campaigns.demo import seed_demo
from engine.extensions import db
from engine.models import Campaign, Prize

WAIT_MS = 15_000


@pytest.mark.browser
def test_claim_draw_and_my_coupons(app, live_server, phone):
    seed_demo()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "demo-synthesis"))
    # make the draw certain: the first prize always wins, so the page shows a coupon
    first = db.session.scalar(select(Prize).where(Prize.campaign_id == campaign.id)
                              .order_by(Prize.position))
    first.probability_ppm, first.paced = 1_000_000, False
    db.session.commit()

    page = phone()
    page.goto(f"{live_server.url}/c/demo-synthesis")
    claim = page.locator("[data-claim]").first
    claim.click()
    expect(claim).to_have_text("已领取", timeout=WAIT_MS)
    expect(page.locator("#draws-left")).to_have_text("1")
    page.locator("#draw").click()
    expect(page.locator("#draw-result")).to_contain_text(first.name, timeout=WAIT_MS)
    expect(page.locator("#draws-left")).to_have_text("0")
    page.locator("#draw").click()
    expect(page.locator("#toast")).to_contain_text("抽奖次数", timeout=WAIT_MS)

    page.locator(".links a", has_text="我的券").click()
    coupons = page.locator("#coupons li")
    expect(coupons).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator('#coupons li[data-status="issued"]')).to_have_count(2)
    expect(page.locator("#coupons")).to_contain_text("新人见面礼")
    expect(page.locator("#coupons")).to_contain_text("抽奖一等奖")


@pytest.mark.browser
def test_my_coupons_page_is_friendly_when_empty(app, live_server, phone):
    page = phone()
    page.goto(f"{live_server.url}/me/coupons")
    expect(page.locator("#no-coupons")).to_be_visible()
