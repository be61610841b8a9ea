"""Play limits counted exactly under bursts of parallel starts, and no limit refuses nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.extensions import db
from engine.models import PlaySession
from tests.factories import make_campaign, make_player
from tests.support.concurrency import start_together

STARTS = 80  # 16 threads, five starts each, one player


def _burst(pool_app, plays_per_day: int) -> tuple[list, int]:
    campaign = make_campaign(plays_per_day=plays_per_day)
    player = make_player(campaign.brand)
    results = start_together(pool_app, campaign.id, player.id, STARTS, workers=16)
    stored = db.session.scalar(select(func.count()).select_from(PlaySession).where(
        PlaySession.player_id == player.id))
    return results, stored


def test_no_limit_refuses_no_start_in_a_burst(pool_app):
    results, stored = _burst(pool_app, plays_per_day=0)
    assert "no_plays_left" not in results
    assert sorted(results) == list(range(1, STARTS + 1)) and stored == STARTS


def test_a_limit_holds_exactly_in_a_burst(pool_app):
    results, stored = _burst(pool_app, plays_per_day=30)
    played = sorted(r for r in results if r != "no_plays_left")
    assert played == list(range(1, 31)) and stored == 30
    assert results.count("no_plays_left") == STARTS - 30
