"""A score far beyond its campaign's distribution is held off the boards until reviewed."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from engine import keys
from engine.clock import utcnow
from engine.extensions import db, redis_store
from engine.models import (
    Campaign,
    Coupon,
    HeldScore,
    Player,
    PlaySession,
    RewardRule,
    RiskFlag,
    Score,
)
from engine.risk import review, scores
from tests.engine.test_admin_api import bearer
from tests.engine.test_coupons import batch_for
from tests.factories import make_campaign, make_marketer
from tests.support.play import auto_moves
from tests.support.statements import counted

FAST = {"min_move_interval_ms": 0}


def _past_scores(campaign, values):
    """Store finished scores of other players (the campaign's distribution)."""
    now = utcnow() - timedelta(hours=1)
    for i, value in enumerate(values):
        player = Player(brand_id=campaign.brand_id)
        db.session.add(player)
        db.session.flush()
        sid = uuid.uuid4().hex
        db.session.add(PlaySession(id=sid, campaign_id=campaign.id, player_id=player.id, seed=i,
                                   status="finished", day_key=now.date().isoformat(), play_no=1,
                                   created_at=now, expires_at=now, score=value))
        db.session.flush()
        db.session.add(Score(campaign_id=campaign.id, player_id=player.id, session_id=sid,
                             score=value, moves=1, duration_ms=1000, created_at=now))
    db.session.commit()


def _play(client, campaign, count=200):
    opened = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={}).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=count)
    body = {"token": opened["token"], "moves": moves, "client_score": score}
    url = f"/api/v1/sessions/{opened['session_id']}/finish"
    answer = client.post(url, json=body)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json(), url, body, score


def _board(client, campaign):
    return client.get(f"/api/v1/campaigns/{campaign.slug}/leaderboard?period=all").get_json()


def _cheat_campaign(**risk):
    campaign = make_campaign(game_params=FAST, risk_config={
        "score_min_sample": 20, "score_outlier_k": 5, **risk})
    _past_scores(campaign, [1, 2, 2, 3, 3, 3, 4, 4, 5, 2] * 3)  # median 3, MAD 1: limit 10.4
    return campaign


def _flags(kind="score_outlier"):
    db.session.expire_all()
    return db.session.scalars(select(RiskFlag).where(RiskFlag.kind == kind)
                              .order_by(RiskFlag.id)).all()


def test_a_score_far_beyond_the_distribution_is_held_then_approved(app, client):
    campaign = _cheat_campaign()
    batch = batch_for(campaign, inventory=5)
    db.session.add(RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id,
                              trigger="score", threshold=5, batch_id=batch.id, title="高分券"))
    db.session.commit()
    answer, url, body, score = _play(client, campaign)
    assert score > 11
    assert answer == {"score": score, "best": None, "rank": None, "period_ranks": {},
                      "rewards": [], "under_review": True}
    assert client.post(url, json=body).get_json() == answer  # a retry: the same answer
    held = db.session.scalar(select(HeldScore))
    assert (held.score, held.status, held.move_log is not None) == (score, "held", True)
    assert db.session.scalar(select(func.count()).select_from(Score)) == 30  # not among them
    assert all(e["score"] != score for e in _board(client, campaign)["entries"])
    (flag,) = _flags()
    assert (flag.subject_kind, flag.subject_id, flag.held) == ("score", held.id, [held.id])
    assert flag.details["median"] == 3 and flag.details["sample"] == 30
    assert "中位数 3" in flag.reason and flag.details["session_id"] == held.session_id
    assert db.session.scalar(select(func.count()).select_from(Coupon).where(
        Coupon.status == "issued")) == 0  # the score rule's coupon waits too

    brand = db.session.get(Campaign, campaign.id).brand
    approve = client.post(f"/api/v1/admin/brands/{brand.slug}/flags/{flag.id}/approve",
                          json={"reason": "录像正常"}, headers=bearer(make_marketer(brand)))
    assert approve.status_code == 200 and approve.get_json()["status"] == "approved"
    db.session.expire_all()
    stored = db.session.scalar(select(Score).where(Score.session_id == held.session_id))
    assert stored.score == score and stored.created_at == held.created_at
    assert stored.rewards and stored.rewards[0]["title"] == batch.title
    assert db.session.get(HeldScore, held.id).status == "approved"
    top = _board(client, campaign)["entries"][0]
    assert top["score"] == score


def test_a_rejected_score_stays_off_the_boards(app, client):
    campaign = _cheat_campaign()
    answer, url, body, score = _play(client, campaign)
    (flag,) = _flags()
    brand = db.session.get(Campaign, campaign.id).brand
    reject = client.post(f"/api/v1/admin/brands/{brand.slug}/flags/{flag.id}/reject",
                         json={"reason": "不可能的速度"}, headers=bearer(make_marketer(brand)))
    assert reject.status_code == 200 and reject.get_json()["decision_reason"] == "不可能的速度"
    db.session.expire_all()
    assert db.session.scalar(select(HeldScore)).status == "rejected"
    assert db.session.scalar(select(func.count()).select_from(Score)) == 30
    assert all(e["score"] != score for e in _board(client, campaign)["entries"])
    # the answer kept for a retry is lost: rebuilt from the held score, still not on a board
    redis_store.r.delete(keys.finish_result(campaign.id, answer_session(url)))
    again = client.post(url, json=body).get_json()
    assert again["under_review"] is False and again["rank"] is None
    assert all(e["score"] != score for e in _board(client, campaign)["entries"])


def answer_session(url):
    return url.split("/")[-2]


def test_an_unreviewed_score_follows_the_campaign_default_at_its_deadline(app, client):
    campaign = _cheat_campaign(default_action="approve", review_hours=1)
    _, _, _, score = _play(client, campaign)
    assert review.expire_overdue(now=utcnow() + timedelta(hours=2)) == 1
    (flag,) = _flags()
    assert (flag.status, flag.decided_by) == ("approved", "deadline")
    assert db.session.scalar(select(Score.score).order_by(Score.id.desc()).limit(1)) == score
    assert _board(client, campaign)["entries"][0]["score"] == score


def test_ordinary_scores_and_small_samples_are_not_held(app, client):
    spread = make_campaign(game_params=FAST, risk_config={"score_min_sample": 20})
    _past_scores(spread, list(range(0, 100_000, 2500)))  # any real score is inside
    answer, *_ = _play(client, spread)
    assert answer["under_review"] is False and answer["rank"] is not None
    few = make_campaign(game_params=FAST, risk_config={"score_min_sample": 50})
    _past_scores(few, [1] * 30)  # below the minimum sample: nothing is judged
    assert _play(client, few)[0]["under_review"] is False
    off = make_campaign(game_params=FAST, risk_config={"score_check": False,
                                                       "score_min_sample": 20})
    _past_scores(off, [1] * 30)
    assert _play(client, off)[0]["under_review"] is False
    assert _flags() == []


def test_the_threshold_costs_one_redis_read_and_no_sql_once_cached(app, client):
    campaign = make_campaign(game_params=FAST, risk_config={"score_min_sample": 20})
    _past_scores(campaign, list(range(0, 100_000, 2500)))
    _play(client, campaign)  # computes the threshold once
    cached = json.loads(redis_store.r.get(keys.score_limit(campaign.id, campaign.version)))
    assert cached["sample"] == 40 and cached["limit"] > 100_000
    db.session.remove()
    with counted() as log:
        _play(client, campaign)
    assert not [s for s in log.statements if "FROM scores" in s and "ORDER BY" in s]


def test_a_stale_threshold_is_recomputed_by_the_one_process_holding_the_lock(app):
    campaign = make_campaign(game_params=FAST, risk_config={"score_min_sample": 20})
    _past_scores(campaign, [10] * 25)
    key = keys.score_limit(campaign.id, campaign.version)
    stale = {"limit": 1.0, "median": 1.0, "mad": 0.0, "sample": 20, "ascending": False,
             "fresh_until": time.time() - 1}
    redis_store.r.set(key, json.dumps(stale))
    redis_store.r.set(keys.score_limit_lock(campaign.id), "1")  # another process recomputes
    with counted() as log:
        assert scores.current_limit(campaign)["limit"] == 1.0  # the stale one, no SQL
    assert log.statements == []
    redis_store.r.delete(keys.score_limit_lock(campaign.id))
    fresh = scores.current_limit(campaign)
    assert fresh["sample"] == 25 and fresh["limit"] == 10 + 10
    assert fresh["fresh_until"] > time.time()
    assert redis_store.r.get(keys.score_limit_lock(campaign.id)) is None
