"""The racing page on a phone: steer with the keys to the end, see the server's score."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.extensions import db
from engine.models import Score
from tests.factories import make_campaign
from tests.support.phone import play_to_the_end

STEERING = ("ArrowLeft", "ArrowRight", "ArrowRight", "ArrowLeft")
PRESS_GAP_MS = 350


@pytest.mark.browser
def test_a_race_to_the_end_shows_the_servers_score(app, live_server, phone):
    campaign = make_campaign(game_type="racing", title="极速配送赛",
                             game_params={"duration_s": 10, "obstacle_density": 30})
    page = phone()
    page.goto(f"{live_server.url}/c/{campaign.slug}")
    # about 20 s of steering at most; the race lasts 10 s
    play_to_the_end(page, STEERING, 60, PRESS_GAP_MS)

    stored = db.session.scalars(select(Score)).all()
    db.session.rollback()
    assert len(stored) == 1 and stored[0].moves > 0
    assert stored[0].duration_ms <= 10_000
    expect(page.locator("#result-score")).to_have_text(str(stored[0].score))
    expect(page.locator("#result-rank")).to_contain_text("1")
