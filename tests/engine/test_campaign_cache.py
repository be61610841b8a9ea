"""The per-process campaign cache follows every change: a new rule, a pause, a rename."""

from __future__ import annotations

from sqlalchemy import select

from engine.campaigns import admin, cache
from engine.extensions import db
from engine.models import Campaign, RewardRule
from engine.rewards.coupons import create_batch
from tests.factories import make_campaign
from tests.support.play import auto_moves

FAST = {"min_move_interval_ms": 0}


def _play(client, slug, count=30):
    opened = client.post(f"/api/v1/campaigns/{slug}/sessions", json={})
    assert opened.status_code == 201, opened.get_json()
    opened = opened.get_json()
    moves, _ = auto_moves(opened["seed"], FAST, count=count)
    resp = client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                       json={"token": opened["token"], "moves": moves})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _fresh(campaign_id):
    return db.session.scalar(select(Campaign).where(Campaign.id == campaign_id)
                             .execution_options(populate_existing=True))


def test_a_rule_added_after_the_cache_filled_awards_at_the_next_finish(client):
    campaign = make_campaign(game_params=FAST)
    campaign_id, brand_id = campaign.id, campaign.brand_id
    assert _play(client, campaign.slug)["rewards"] == []  # cached without rules
    before = _fresh(campaign_id).version
    batch = create_batch(brand_id, campaign_id, 5, title="达标礼", value_text="5 元",
                         valid_days=7)
    db.session.add(RewardRule(brand_id=brand_id, campaign_id=campaign_id, trigger="score",
                              threshold=1, batch_id=batch.id, title="达标礼"))
    db.session.commit()
    assert _fresh(campaign_id).version == before + 1
    assert [r["title"] for r in _play(client, campaign.slug)["rewards"]] == ["达标礼"]


def test_a_paused_campaign_refuses_starts_at_once(client):
    campaign = make_campaign(game_params=FAST)
    _play(client, campaign.slug)
    admin.pause(campaign)
    db.session.commit()
    resp = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={})
    assert resp.status_code == 403, resp.get_json()


def test_a_renamed_slug_is_looked_up_again(client):
    campaign = make_campaign(game_params=FAST)
    old = campaign.slug
    _play(client, old)
    campaign.slug = f"{old}-new"
    db.session.commit()
    assert client.post(f"/api/v1/campaigns/{old}/sessions", json={}).status_code == 404
    assert _play(client, f"{old}-new")["score"] > 0


def test_cached_rows_are_detached_copies(client):
    campaign = make_campaign(game_params=FAST)
    _play(client, campaign.slug)
    found = cache.cached(campaign.id, _fresh(campaign.id).version)
    assert found.campaign is not campaign and found.campaign not in db.session
    assert found.campaign.game_params == campaign.game_params
    assert found.campaign.game_params is not campaign.game_params
