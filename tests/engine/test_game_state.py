"""Game state through the nurture /garden API: idempotent actions, 429s, goals, friends, races."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.api.schemas import GameActionResultSchema
from engine.errors import ActionNotReady
from engine.extensions import db
from engine.models import (
    Campaign,
    Coupon,
    Event,
    GameAction,
    GameState,
    Player,
    ReferralReward,
    RewardRule,
)
from engine.play import state
from engine.referral import sharer_from_token
from engine.rewards import admin
from engine.rewards.coupons import create_batch
from tests.engine.test_referral import SHARER_REWARDS_ON
from tests.factories import make_campaign, make_player
from tests.support.concurrency import run_together

PARAMS = {
    "stages": [{"name": "种子", "threshold": 0}, {"name": "发芽", "threshold": 20},
               {"name": "结果", "threshold": 60}],
    "actions": [{"key": "water", "name": "浇水", "growth": 10, "energy": 1, "cooldown_s": 600,
                 "daily_limit": 5},
                {"key": "sun", "name": "晒太阳", "growth": 1, "energy": 0, "cooldown_s": 0,
                 "daily_limit": 100},
                {"key": "feed", "name": "施肥", "growth": 25, "energy": 0, "cooldown_s": 0,
                 "daily_limit": 2}],
    "energy_max": 10, "streak_bonus": 0, "friend_boost": 15,
}


def nurture(**fields):
    return make_campaign(game_type="nurture", game_params=PARAMS, **fields)


def with_maturity_coupon(campaign, inventory=10):
    batch = create_batch(campaign.brand_id, campaign.id, inventory, title="结果礼",
                         value_text="免单", valid_days=7)
    db.session.add(RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id,
                              trigger="goal_reached", batch_id=batch.id, title="茶树结果礼"))
    db.session.commit()
    return batch


def act(client, campaign, action, key):
    return client.post(f"/api/v1/campaigns/{campaign.slug}/garden/actions",
                       json={"action": action, "idempotency_key": key})


def kinds():
    return [e.kind for e in db.session.scalars(select(Event).order_by(Event.id))]


def test_a_fresh_garden_is_shown_without_being_stored(app, client):
    campaign = nurture()
    with_maturity_coupon(campaign)
    body = client.get(f"/api/v1/campaigns/{campaign.slug}/garden").get_json()
    view = body["garden"]
    assert (view["growth"], view["stage"], view["stage_name"]) == (0, 0, "种子")
    assert view["energy"] == view["energy_max"] == 10
    assert [a["key"] for a in view["actions"]] == ["water", "sun", "feed"]
    assert all(a["ready"] and a["ready_in"] == 0 for a in view["actions"])
    assert view["next_stage"] == {"name": "发芽", "threshold": 20, "needed": 20}
    assert body["maturity_rewards"] == [{"title": "茶树结果礼", "value_text": "免单", "won": None}]
    assert db.session.scalar(select(func.count()).select_from(GameState)) == 0
    page = client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()
    assert page["game"]["replayed"] is False and page["share_token"]


def test_an_action_grows_and_the_same_key_answers_the_same_again(app, client):
    campaign = nurture()
    first = act(client, campaign, "water", "tap-0001")
    assert first.status_code == 200
    answer = first.get_json()
    assert answer["gained"] == 10 and answer["garden"]["growth"] == 10
    assert answer["garden"]["energy"] == 9 and answer["rewards"] == []
    water = answer["garden"]["actions"][0]
    assert water["blocked"] == "cooldown" and 595 <= water["ready_in"] <= 600
    again = act(client, campaign, "water", "tap-0001")
    assert again.status_code == 200 and again.get_json() == answer
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/garden").get_json()[
        "garden"]["growth"] == 10
    assert db.session.scalar(select(func.count()).select_from(GameAction)) == 1
    conflict = act(client, campaign, "sun", "tap-0001")
    assert conflict.status_code == 409
    assert conflict.get_json()["error"]["code"] == "idempotency_conflict"
    assert kinds().count("garden_action") == 1


def test_cooldown_is_a_429_with_retry_after(app, client):
    campaign = nurture()
    assert act(client, campaign, "water", "tap-0001").status_code == 200
    refused = act(client, campaign, "water", "tap-0002")
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "cooldown" and error["message"]
    assert 595 <= error["retry_after"] <= 600
    assert refused.headers["Retry-After"] == str(error["retry_after"])


def test_daily_limit_is_a_429_until_local_midnight(app, client):
    campaign = nurture()
    assert act(client, campaign, "feed", "feed-0001").status_code == 200
    assert act(client, campaign, "feed", "feed-0002").status_code == 200
    refused = act(client, campaign, "feed", "feed-0003")
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    expected = state.moment(campaign, state.utcnow())
    assert error["code"] == "daily_limit"
    assert abs(error["retry_after"] - (expected.day_end - expected.ts)) <= 2
    assert int(refused.headers["Retry-After"]) == error["retry_after"]


def test_maturity_issues_the_coupon_once(app, client):
    campaign = nurture()
    batch = with_maturity_coupon(campaign)
    act(client, campaign, "feed", "feed-0001")
    act(client, campaign, "feed", "feed-0002")
    matured = act(client, campaign, "water", "water-001").get_json()
    assert matured["matured"] is True and matured["garden"]["matured"] is True
    assert matured["garden"]["growth"] == 60 and matured["garden"]["stage_name"] == "结果"
    [reward] = matured["rewards"]
    assert reward["title"] == "结果礼" and reward["code"]
    assert act(client, campaign, "water", "water-001").get_json() == matured  # replayed
    late = act(client, campaign, "sun", "sun-00001")
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "already_matured"
    coupons = db.session.scalars(select(Coupon).where(Coupon.batch_id == batch.id,
                                                      Coupon.player_id.is_not(None))).all()
    assert [c.code for c in coupons] == [reward["code"]]
    shown = client.get(f"/api/v1/campaigns/{campaign.slug}/garden").get_json()
    assert shown["maturity_rewards"][0]["won"]["code"] == reward["code"]
    assert kinds().count("garden_matured") == 1
    assert db.session.scalar(select(GameState.goal_reached_at)) is not None


def test_a_marketer_can_set_a_maturity_reward(app, client):
    campaign = nurture()
    batch = create_batch(campaign.brand_id, campaign.id, 5, title="结果礼", valid_days=7)
    rule = admin.create_rule(campaign, {"trigger": "maturity", "batch_id": batch.id})
    assert rule.trigger == "goal_reached" and rule.threshold is None  # the old name: alias
    body = client.get(f"/api/v1/campaigns/{campaign.slug}/garden").get_json()
    assert body["maturity_rewards"] == [{"title": "结果礼", "value_text": "", "won": None}]


@pytest.mark.parametrize("body", [
    {}, {"action": "water"}, {"idempotency_key": "tap-0001"},
    {"action": "water", "idempotency_key": "short"},
    {"action": "water", "idempotency_key": "tap 0001 with spaces"},
    {"action": "WATER!", "idempotency_key": "tap-0001"},
    {"action": "water", "idempotency_key": "tap-0001", "extra": 1},
    {"action": 3, "idempotency_key": "tap-0001"},
])
def test_malformed_bodies_are_422(app, client, body):
    campaign = nurture()
    answer = client.post(f"/api/v1/campaigns/{campaign.slug}/garden/actions", json=body)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "validation_error"


def test_unknown_action_not_live_and_replayed_games(app, client):
    campaign = nurture()
    unknown = act(client, campaign, "dance", "tap-0001")
    assert unknown.status_code == 422 and unknown.get_json()["error"]["code"] == "unknown_action"
    paused = nurture(status="paused")
    assert act(client, paused, "water", "tap-0001").status_code == 403
    synthesis = make_campaign()
    assert client.get(f"/api/v1/campaigns/{synthesis.slug}/garden").status_code == 404
    sessions = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={})
    assert sessions.status_code == 422 and sessions.get_json()["error"]["code"] == "no_sessions"


def test_a_friends_first_action_boosts_the_referrer_once(app):
    # settings stored before boosts were a reward kind: level 1 is the game's friend boost
    campaign = nurture(referral_config=SHARER_REWARDS_ON)
    with_maturity_coupon(campaign)
    alice, bob = app.test_client(), app.test_client()
    alice.get(f"/c/{campaign.slug}")
    token = alice.get(f"/api/v1/campaigns/{campaign.slug}").get_json()["share_token"]
    alice_id = sharer_from_token(campaign, token)
    act(alice, campaign, "feed", "alice-001")
    act(alice, campaign, "feed", "alice-002")  # 50 of 60
    bob.get(f"/c/{campaign.slug}?s={token}")
    act(bob, campaign, "sun", "bob-00001")
    act(bob, campaign, "sun", "bob-00002")
    shown = alice.get(f"/api/v1/campaigns/{campaign.slug}/garden").get_json()
    assert shown["garden"]["growth"] == 60 and shown["garden"]["friends"] == 1
    assert shown["garden"]["matured"] is True  # the boost made it mature: rewarded
    assert shown["maturity_rewards"][0]["won"] is not None
    given = db.session.scalars(select(ReferralReward)).all()
    assert [(r.player_id, r.level, r.kind, r.status, r.detail["boost"]) for r in given] == [
        (alice_id, 1, "boost", "issued", 10)]  # 15 given, growth stops at the goal
    assert kinds().count("referred_play") == 1
    boosts = db.session.scalars(select(GameAction).where(
        GameAction.action == state.FRIEND_BOOST)).all()
    assert len(boosts) == 1


# concurrency on PostgreSQL: each tap is a thread with its own session and connection

WORKERS = 30


def tap_all(pool_app, campaign_id, player_id, taps):
    """Run every ``(action, key)`` tap at once; return each answer (as the API dumps it) or
    refusal code."""
    def one(tap):
        try:
            return GameActionResultSchema().dump(state.perform(
                db.session.get(Campaign, campaign_id), db.session.get(Player, player_id), *tap))
        except ActionNotReady as exc:
            return exc.code

    return run_together(pool_app, taps, one, len(taps))


def growth_of(player_id):
    db.session.expire_all()
    state_of = select(GameState.state).where(GameState.player_id == player_id)
    return db.session.scalar(state_of)["growth"]


def test_concurrent_taps_never_double_grow(pool_app):
    campaign = nurture()
    player = make_player(campaign.brand)
    results = tap_all(pool_app, campaign.id, player.id,
                      [("water", f"water-{i:04d}") for i in range(WORKERS)])
    assert sum(isinstance(r, dict) for r in results) == 1
    assert results.count("cooldown") == WORKERS - 1
    assert growth_of(player.id) == 10


def test_concurrent_taps_never_lose_growth(pool_app):
    campaign = nurture()
    player = make_player(campaign.brand)
    results = tap_all(pool_app, campaign.id, player.id,
                      [("sun", f"sun-{i:05d}") for i in range(WORKERS)])
    assert [r for r in results if not isinstance(r, dict)] == []
    assert growth_of(player.id) == WORKERS
    assert sorted(r["garden"]["growth"] for r in results) == list(range(1, WORKERS + 1))


def test_the_same_key_from_many_threads_applies_once(pool_app):
    campaign = nurture()
    player = make_player(campaign.brand)
    results = tap_all(pool_app, campaign.id, player.id,
                      [("water", "same-key-1")] * WORKERS)
    assert all(r == results[0] for r in results) and results[0]["gained"] == 10
    assert growth_of(player.id) == 10
    assert db.session.scalar(select(func.count()).select_from(GameAction)) == 1
