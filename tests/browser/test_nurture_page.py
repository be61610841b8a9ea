"""The nurture page on a phone: a day's care grows the plant and starts the timers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.campaigns.demo import seed_demo
from engine.extensions import db
from engine.models import GameState

ACTIONS = ("water", "sunshine", "fertilize")  # the demo's default care: +10, +5, +25


@pytest.mark.browser
def test_a_days_care_grows_the_plant_and_starts_cooldown_timers(app, live_server, phone):
    seed_demo()
    page = phone()
    page.goto(f"{live_server.url}/c/demo-nurture")
    # the landing first: today's energy in the pill, then into the garden
    expect(page.locator("#landing")).to_be_visible()
    expect(page.locator("#plays-left")).to_have_text("今日体力 10/10")
    page.locator("#start").click()
    expect(page.locator("#nt-stage-name")).to_have_text("种子")
    expect(page.locator(".nt-plant")).to_have_attribute("data-stage", "0")
    expect(page.locator("#nt-energy")).to_have_text("体力 10/10")
    expect(page.locator("#nt-reward")).to_contain_text("茶树结果礼")
    expect(page.locator("#intro")).to_be_hidden()
    for key in ACTIONS:
        button = page.locator(f'button[data-action="{key}"]')
        expect(button).to_be_enabled()
        button.click()
        expect(button.locator(".nt-timer")).to_contain_text("后可用")
        expect(button).to_be_disabled()
    expect(page.locator("#nt-growth")).to_have_text("40")
    expect(page.locator("#nt-stage-name")).to_have_text("发芽")
    expect(page.locator(".nt-plant")).to_have_attribute("data-stage", "1")
    expect(page.locator("#nt-energy")).to_have_text("体力 6/10")
    expect(page.locator("#nt-streak")).to_contain_text("连续打卡 1 天")

    timer = page.locator('button[data-action="sunshine"] .nt-timer')
    before = timer.text_content()
    page.wait_for_timeout(2100)
    assert timer.text_content() != before  # counting down, second by second

    state = db.session.scalar(select(GameState.state))
    db.session.rollback()
    assert state["growth"] == 40 and state["stage"] == 1

    page.reload()  # the server's timers survive a reload
    expect(page.locator("#plays-left")).to_have_text("今日体力 6/10")
    page.locator("#start").click()
    expect(page.locator("#nt-growth")).to_have_text("40")
    for key in ACTIONS:
        expect(page.locator(f'button[data-action="{key}"]')).to_be_disabled()
