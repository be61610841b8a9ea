"""Every field of the play answers, pinned, and the rewards they keep for retries.

A finish's rewards are kept with its score and a game action's answer with
the action: a retry answers them again, so what is stored keeps the bytes it
had before rewards were dumped by their schema, and rows stored earlier
answer as they were stored.
"""

from __future__ import annotations

import json

from sqlalchemy import select, text, update

from engine.clock import isoformat
from engine.extensions import db, redis_store
from engine.models import Coupon, CouponBatch, GameAction, RewardRule, Score
from engine.rewards.coupons import create_batch
from tests.engine.test_game_state import act, nurture, with_maturity_coupon
from tests.engine.test_play_api import FAST, finish, start
from tests.factories import make_campaign
from tests.support.play import auto_moves

# the nurture game's view of a plant (the game type's own keys, answered as it writes them)
GARDEN_KEYS = ["theme", "growth", "goal", "stage", "stage_name", "stages", "next_stage", "energy",
               "energy_max", "refill_in", "streak", "streak_bonus", "days_active", "friends",
               "friend_boost", "matured", "actions"]


def stored_text(sql: str) -> str:
    """Return a JSON column's value as the database holds it, byte for byte."""
    return db.session.execute(text(sql)).scalar()


def as_before(coupon: Coupon) -> dict:
    """Return a won coupon as the services wrote it by hand before the schema dumped it."""
    batch = db.session.get(CouponBatch, coupon.batch_id)
    return {"type": "coupon", "title": batch.title, "value_text": batch.value_text,
            "code": coupon.code, "expires_at": isoformat(coupon.expires_at)}


def test_finish_every_field_and_the_reward_kept_with_the_score(app, client):
    campaign = make_campaign(game_params=FAST)
    batch = create_batch(campaign.brand_id, campaign.id, 3, title="高分礼", value_text="9 折",
                         valid_days=5)
    db.session.add(RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id,
                              trigger="score", threshold=1, batch_id=batch.id))
    db.session.commit()
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=30)
    body = finish(client, opened, moves, client_score=score).get_json()
    coupon = db.session.scalar(select(Coupon).where(Coupon.player_id.is_not(None)))
    reward = as_before(coupon)
    assert body == {"score": score, "best": score, "rank": 1,
                    "period_ranks": {"all": 1, "daily": 1, "weekly": 1}, "rewards": [reward],
                    "under_review": False}
    assert reward["expires_at"].endswith("+00:00") and reward["title"] == "高分礼"
    assert stored_text("SELECT CAST(rewards AS TEXT) FROM scores") == json.dumps([reward])

    redis_store.r.flushdb()  # the kept answer is gone: it is built again from the score
    assert finish(client, opened, moves, client_score=score).get_json() == body


def test_a_score_stored_before_answers_its_rewards_as_stored(app, client):
    campaign = make_campaign(game_params=FAST)
    opened = start(client, campaign.slug).get_json()
    moves, score = auto_moves(opened["seed"], FAST, count=12)
    assert finish(client, opened, moves, client_score=score).get_json()["rewards"] == []
    kept = [{"type": "coupon", "title": "旧券", "value_text": "", "code": "OLD-0001",
             "expires_at": None}]
    db.session.execute(update(Score).values(rewards=kept))
    db.session.commit()
    redis_store.r.flushdb()
    assert finish(client, opened, moves, client_score=score).get_json()["rewards"] == kept


def test_garden_and_action_every_field_and_the_answer_kept_with_the_action(app, client):
    campaign = nurture()
    with_maturity_coupon(campaign)
    url = f"/api/v1/campaigns/{campaign.slug}/garden"
    fresh = client.get(url).get_json()
    assert set(fresh) == {"garden", "maturity_rewards"}
    assert fresh["maturity_rewards"] == [{"title": "茶树结果礼", "value_text": "免单",
                                          "won": None}]
    act(client, campaign, "feed", "feed-0001")
    act(client, campaign, "feed", "feed-0002")
    done = act(client, campaign, "water", "water-001").get_json()
    coupon = db.session.scalar(select(Coupon).where(Coupon.player_id.is_not(None)))
    reward = as_before(coupon)
    garden = client.get(url).get_json()
    assert done == {"action": "water", "gained": 10, "matured": True, "rewards": [reward],
                    "garden": done["garden"]}
    assert set(done["garden"]) == set(garden["garden"]) == set(GARDEN_KEYS)
    timers = ("refill_in", "actions")  # seconds left: they run on between the two answers
    assert ({k: v for k, v in done["garden"].items() if k not in timers}
            == {k: v for k, v in garden["garden"].items() if k not in timers})
    assert done["garden"]["growth"] == 60 and done["garden"]["matured"] is True
    assert garden["maturity_rewards"] == [{"title": "茶树结果礼", "value_text": "免单",
                                           "won": reward}]
    kept = stored_text("SELECT CAST(result AS TEXT) FROM game_actions "
                       "WHERE idempotency_key = 'water-001'")
    assert json.loads(kept) == done
    # the keys in the order they were first stored in, the reward byte for byte
    assert list(json.loads(kept)) == ["action", "gained", "matured", "rewards", "garden"]
    assert list(json.loads(kept)["garden"]) == GARDEN_KEYS  # in the game type's order
    assert f'"rewards": {json.dumps([reward])}' in kept
    assert act(client, campaign, "water", "water-001").get_json() == done


def test_an_action_stored_before_answers_as_stored(app, client):
    campaign = nurture()
    first = act(client, campaign, "sun", "sun-00001").get_json()
    kept = {"action": "sun", "gained": 1, "matured": False,
            "rewards": [{"type": "coupon", "title": "旧券", "value_text": "1 元",
                         "code": "OLD-0002", "expires_at": "2030-01-01T00:00:00+00:00"}],
            "garden": first["garden"]}
    db.session.execute(update(GameAction).where(GameAction.idempotency_key == "sun-00001")
                       .values(result=kept))
    db.session.commit()
    assert act(client, campaign, "sun", "sun-00001").get_json() == kept
