"""The play page in a phone browser: play a game, see the score live elsewhere."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.campaigns.demo import seed_demo
from engine.extensions import db
from engine.models import Campaign, HeldScore, Score
from tests.engine.test_risk_scores import _past_scores
from tests.support.phone import play_to_the_end

# this cycle ends a default 4x4 game fastest (about 120 presses, rarely over 260)
KEYS = ("ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight")
MAX_PRESSES = 500
# the client drops moves sooner than 60 ms after the last one
PRESS_GAP_MS = 70
WAIT_MS = 15_000


@pytest.mark.browser
def test_a_finished_game_shows_the_server_score_and_reaches_another_phone_live(
        app, live_server, phone):
    seed_demo()
    url = f"{live_server.url}/c/demo-synthesis"

    watcher = phone()
    watcher.goto(url)
    board = watcher.locator("#leaderboard")
    expect(board).to_have_attribute("data-live", "on", timeout=WAIT_MS)  # joined /live
    watcher.evaluate("window.__sameDocument = true")

    player = phone()
    player.goto(url)
    play_to_the_end(player, KEYS, MAX_PRESSES, PRESS_GAP_MS)

    # the overlay appears once the finish call answered: the score row exists
    stored = db.session.scalars(select(Score)).all()
    db.session.rollback()
    assert len(stored) == 1
    score, player_id = stored[0].score, stored[0].player_id
    assert score > 0
    expect(player.locator("#result-score")).to_have_text(str(score))
    expect(player.locator("#result-rank")).to_contain_text("1")
    expect(player.locator("#result-review")).to_be_hidden()

    entry = board.locator(f'li[data-player-id="{player_id}"]')
    expect(entry.locator(".score")).to_have_text(str(score), timeout=WAIT_MS)
    expect(entry.locator(".rank")).to_have_text("1")
    assert watcher.evaluate("window.__sameDocument === true")  # pushed, not reloaded


@pytest.mark.browser
def test_a_score_held_for_review_says_so_instead_of_best_and_rank(app, live_server, phone):
    seed_demo()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "demo-synthesis"))
    campaign.risk_config = {"score_min_sample": 20, "score_outlier_k": 3}
    db.session.commit()
    _past_scores(campaign, [0] * 20)  # median 0, MAD 0: any score above 3 is held

    player = phone()
    player.goto(f"{live_server.url}/c/demo-synthesis")
    play_to_the_end(player, KEYS, MAX_PRESSES, PRESS_GAP_MS)

    held = db.session.scalars(select(HeldScore)).all()
    db.session.rollback()
    assert len(held) == 1 and held[0].score > 3
    expect(player.locator("#result-score")).to_have_text(str(held[0].score))
    expect(player.locator("#result-review")).to_have_text("成绩审核中，审核通过后计入排行榜")
    expect(player.locator("#result-meta")).to_be_hidden()  # no "-" for best and rank
