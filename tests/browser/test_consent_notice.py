"""The profiling notice on the play page: named handler, one tap, asked once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.extensions import db
from engine.models import ProfilingConsent
from tests.factories import make_brand, make_campaign


@pytest.mark.browser
def test_one_tap_consent_is_kept_not_asked_again_and_withdrawn(app, live_server, phone,
                                                               tmp_path):
    brand = make_brand(name="好喝奶茶")
    campaign = make_campaign(brand, game_params={"min_move_interval_ms": 0})
    page = phone()
    page.goto(f"{live_server.url}/c/{campaign.slug}")
    notice = page.locator("#consent-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("好喝奶茶（个人信息处理者）")
    expect(notice).to_contain_text("受其委托处理")
    page.screenshot(path=str(tmp_path / "consent.png"))
    notice.locator("[data-consent=yes]").click()
    expect(notice).to_be_hidden()
    db.session.expire_all()
    row = db.session.scalar(select(ProfilingConsent).where(ProfilingConsent.brand_id == brand.id))
    assert row is not None and row.profiling and row.notice_version == "2026-11-v1"
    page.reload()
    expect(page.locator("#start")).to_be_visible()
    assert page.locator("#consent-notice").count() == 0
    withdraw = page.locator("#consent-settings [data-consent=withdraw]")
    withdraw.click()
    expect(page.locator("#consent-settings")).to_be_hidden()
    db.session.expire_all()
    assert db.session.get(ProfilingConsent, row.id).profiling is False
