"""The profile form on the play page: the brand named as handler, refused without consent."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.extensions import db
from engine.models import PlayerProfile
from engine.privacy import profile
from tests.factories import make_brand, make_campaign

SHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
FORM = {"when": "before", "purpose": "会员积分与门店活动通知", "consent_version": "2026-11",
        "specs": [{"key": "phone", "type": "phone", "label": "手机号", "required": True},
                  {"key": "name", "type": "name", "label": "姓名"},
                  {"key": "size", "type": "choice", "label": "常喝杯型",
                   "options": ["中杯", "大杯"]}]}


@pytest.mark.browser
def test_the_form_asks_with_consent_and_saves(app, live_server, phone):
    campaign = make_campaign(make_brand("tea", "鲜果茶饮"))
    profile.set_form(campaign, FORM)
    page = phone()
    page.goto(f"{live_server.url}/c/{campaign.slug}")
    form = page.locator("#profile-form")
    expect(form).to_be_visible()
    expect(form).to_contain_text("鲜果茶饮（个人信息处理者）")
    expect(form).to_contain_text("我已年满 14 周岁")
    page.fill("input[name=phone]", "13800138000")
    page.fill("input[name=name]", "张三")
    page.select_option("select[name=size]", "大杯")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "profile-form.png"))
    page.click("#profile-form button[type=submit]")
    expect(form.locator("[data-for=consent]")).not_to_be_empty()  # refused: no consent
    assert db.session.scalar(select(PlayerProfile)) is None
    page.check("input[name=consent]")
    page.check("input[name=age_confirmed]")
    page.click("#profile-form button[type=submit]")
    expect(form).to_have_count(0)
    db.session.expire_all()
    saved = db.session.scalar(select(PlayerProfile))
    assert saved.phone == "13800138000" and saved.consent_version == "2026-11"
