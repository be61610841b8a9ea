"""Audience targeting by tag, coalesced incremental jobs, the CLI's full pass."""

from __future__ import annotations

import redis
from rq import Queue

from engine import jobs, keys
from engine.access.auth import create_access_token
from engine.extensions import db, redis_store
from tags import evaluation
from tags import jobs as tag_jobs
from tests.factories import make_brand, make_campaign, make_marketer

FAST = {"min_move_interval_ms": 0}


def _consent(client, slug, **body):
    resp = client.post(f"/api/v1/campaigns/{slug}/consent",
                       json={"profiling": True, "notice_version": "2026-11-v1", **body})
    assert resp.status_code == 200, resp.json


def _limit_to(client, brand, campaign, tag, mode="limit"):
    marketer = make_marketer(brand)
    secret, _ = create_access_token(marketer)
    db.session.commit()
    return client.put(f"/api/v1/admin/campaigns/{campaign.id}/audience",
                      json={"tag": tag, "mode": mode},
                      headers={"Authorization": f"Bearer {secret}"})


def test_a_limited_campaign_refuses_players_without_the_tag(app):
    brand = make_brand()
    home = make_campaign(brand, game_params=FAST)
    winback = make_campaign(brand, game_params=FAST)
    assert _limit_to(app.test_client(), brand, winback, "沉睡").status_code == 422  # no rules yet
    evaluation.evaluate_brand(brand.id)  # installs the default rules
    limited = _limit_to(app.test_client(), brand, winback, "合成玩家")
    assert limited.status_code == 200 and limited.json == {"tag": "合成玩家", "mode": "limit"}
    outsider, player, opted_out = app.test_client(), app.test_client(), app.test_client()
    for c in (outsider, player, opted_out):
        c.get(f"/c/{home.slug}")
        _consent(c, home.slug)
    # only ``player`` plays the home campaign and so becomes 合成玩家
    opened = player.post(f"/api/v1/campaigns/{home.slug}/sessions", json={}).json
    from tests.support.play import auto_moves
    moves, _ = auto_moves(opened["seed"], FAST, count=5)
    assert player.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                       json={"token": opened["token"], "moves": moves}).status_code == 200
    _consent(opted_out, home.slug, targeting=False)
    evaluation.evaluate_brand(brand.id)

    view = outsider.get(f"/api/v1/campaigns/{winback.slug}")
    assert view.status_code == 200
    assert view.json["audience"] == {"eligible": False, "reason": "not_in_audience"}
    refused = outsider.post(f"/api/v1/campaigns/{winback.slug}/sessions", json={})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_in_audience"
    assert player.get(f"/api/v1/campaigns/{winback.slug}").json["audience"] == {
        "eligible": True, "reason": "in_audience"}
    assert player.post(f"/api/v1/campaigns/{winback.slug}/sessions", json={}).status_code == 201
    # who opted out of targeting, or never consented, is not shut out by tags
    assert opted_out.get(f"/api/v1/campaigns/{winback.slug}").json["audience"]["reason"] == (
        "targeting_opt_out")
    stranger = app.test_client()
    stranger.get(f"/c/{winback.slug}")
    assert stranger.post(f"/api/v1/campaigns/{winback.slug}/sessions", json={}).status_code == 201
    everyone = _limit_to(app.test_client(), brand, winback, None, mode="recommend")
    assert everyone.status_code == 200 and everyone.json == {"tag": None, "mode": None}


def test_a_burst_of_events_becomes_one_job_that_tags_everyone(app):
    brand = make_brand()
    campaign = make_campaign(brand, game_params=FAST)
    evaluation.evaluate_brand(brand.id)
    clients = [app.test_client() for _ in range(12)]
    for c in clients:
        c.get(f"/c/{campaign.slug}")
        _consent(c, campaign.slug)
    queue = Queue(jobs.QUEUE_NAME, connection=redis.Redis.from_url(redis_store.url))
    waiting = [j for j in queue.jobs if j.func_name.endswith("reevaluate_job")]
    assert len(waiting) == 1  # 12 visits and 12 consents: one job
    assert redis_store.r.scard(keys.tags_dirty(brand.id)) >= 12
    jobs.run_worker(burst=True)
    assert redis_store.r.scard(keys.tags_dirty(brand.id)) == 0
    ids = [c.get(f"/api/v1/campaigns/{campaign.slug}").json["player"]["id"] for c in clients]
    from tags.state import tags_of
    assert all({"只看不玩", "活跃", "新客"} <= {t.rule.name for t in tags_of(brand.id, pid)}
               for pid in ids)
    assert evaluation.evaluate_brand(brand.id).changes == 0  # the same answer as a full pass
    assert tag_jobs.reevaluate_job(brand.id) == 0  # nothing marked: nothing done


def test_cli_evaluates_with_progress(app, runner):
    brand = make_brand(slug="cli-brand")
    campaign = make_campaign(brand)
    client = app.test_client()
    client.get(f"/c/{campaign.slug}")
    _consent(client, campaign.slug)
    result = runner.invoke(args=["tags", "evaluate", "--brand", "cli-brand"])
    assert result.exit_code == 0, result.output
    assert "cli-brand: 1 players, 3 changes" in result.output
    again = runner.invoke(args=["tags", "evaluate", "--brand", "cli-brand"])
    assert "1 players, 0 changes" in again.output
    missing = runner.invoke(args=["tags", "evaluate", "--brand", "nope"])
    assert missing.exit_code != 0
