"""Earned rewards never vanish: failures recorded with a reason, listed, retried; repeat rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.boards import period_close
from engine.extensions import db
from engine.models import AwardFailure, Coupon, Event, PeriodClose, RewardRule
from engine.rewards import awards, coupons
from tests.engine.test_admin_api import bearer
from tests.engine.test_period_close import SHANGHAI_MIDNIGHT, day_campaign, score
from tests.factories import make_brand, make_campaign, make_marketer, make_player

DAY = "2026-11-21"


def rule(campaign, trigger="rank", inventory=1, per_player_limit=1, **fields):
    batch = coupons.create_batch(campaign.brand_id, campaign.id, inventory, title="冠军券",
                                 valid_days=7, per_player_limit=per_player_limit)
    fields.setdefault("repeat", awards.PER_PERIOD if trigger == "rank" else awards.ONCE)
    db.session.add(RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id,
                              trigger=trigger, batch_id=batch.id, **fields))
    db.session.commit()
    return batch


def api(campaign):
    return f"/api/v1/admin/campaigns/{campaign.id}/award-failures"


@pytest.fixture
def auth_for():
    return lambda campaign: bearer(make_marketer(campaign.brand))


def test_a_prize_without_stock_is_recorded_listed_and_retried(app, client, auth_for):
    campaign, players = day_campaign()
    batch = rule(campaign, period="daily", rank_from=1, rank_to=2, inventory=1)
    close = period_close.close_period(campaign, "daily", DAY)
    # two winners, one code: the period is not "closed" over the lost prize
    assert close.status == "incomplete" and close.awarded == 1
    auth = auth_for(campaign)
    listed = client.get(api(campaign), headers=auth).get_json()["failures"]
    assert [(f["player_id"], f["reason"], f["status"], f["source"], f["period_key"])
            for f in listed] == [(players[0].id, "coupons_exhausted", "open", "rank", DAY)]
    assert db.session.scalar(select(Event).where(Event.kind == "award_failed")) is not None
    # still no code: the retry says why, and counts the attempt
    retry = f"{api(campaign)}/{listed[0]['id']}/retry"
    refused = client.post(retry, headers=auth)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "coupons_exhausted"
    assert db.session.get(AwardFailure, listed[0]["id"]).attempts == 2
    db.session.add(Coupon(batch_id=batch.id, brand_id=batch.brand_id, code="EXTRA0001"))
    db.session.commit()
    done = client.post(retry, headers=auth)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "resolved" and done.get_json()["coupon_id"]
    won = db.session.get(Coupon, done.get_json()["coupon_id"])
    assert won.player_id == players[0].id and won.source == "rank"
    db.session.expire_all()
    close = db.session.get(PeriodClose, close.id)
    assert close.status == "closed" and close.awarded == 2
    assert client.post(retry, headers=auth).get_json()["error"]["code"] == "already_resolved"
    assert client.get(api(campaign) + "?status=open", headers=auth).get_json()["failures"] == []


def test_an_incomplete_period_is_tried_again_by_the_next_close(app):
    campaign, players = day_campaign()
    batch = rule(campaign, period="daily", rank_from=1, rank_to=1, inventory=1)
    db.session.execute(Coupon.__table__.update().where(Coupon.batch_id == batch.id)
                       .values(status="issued", player_id=players[3].id, slot=1))
    db.session.commit()
    assert period_close.close_period(campaign, "daily", DAY).status == "incomplete"
    db.session.add(Coupon(batch_id=batch.id, brand_id=batch.brand_id, code="LATE0001"))
    db.session.commit()
    close = period_close.close_period(campaign, "daily", DAY)
    assert close.status == "closed"
    failure = db.session.scalar(select(AwardFailure))
    assert failure.status == "resolved" and failure.attempts == 1


def test_a_winner_of_two_days_gets_two_from_a_per_period_rule(app):
    campaign = make_campaign(starts_at=SHANGHAI_MIDNIGHT - timedelta(days=3),
                             ends_at=SHANGHAI_MIDNIGHT + timedelta(days=3))
    champion = make_player(campaign.brand)
    score(campaign, champion, 100, SHANGHAI_MIDNIGHT + timedelta(hours=1))
    score(campaign, champion, 100, SHANGHAI_MIDNIGHT + timedelta(days=1, hours=1))
    rule(campaign, period="daily", rank_from=1, rank_to=1, inventory=5, per_player_limit=1)
    for day in ("2026-11-21", "2026-11-22"):
        assert period_close.close_period(campaign, "daily", day).status == "closed"
    won = db.session.scalars(select(Coupon).where(Coupon.player_id == champion.id)).all()
    assert len(won) == 2
    assert db.session.scalar(select(AwardFailure)) is None


def test_a_once_rule_pays_a_winner_once_and_records_nothing(app):
    campaign = make_campaign(starts_at=SHANGHAI_MIDNIGHT - timedelta(days=3),
                             ends_at=SHANGHAI_MIDNIGHT + timedelta(days=3))
    champion = make_player(campaign.brand)
    score(campaign, champion, 100, SHANGHAI_MIDNIGHT + timedelta(hours=1))
    score(campaign, champion, 100, SHANGHAI_MIDNIGHT + timedelta(days=1, hours=1))
    rule(campaign, period="daily", rank_from=1, rank_to=1, inventory=5, repeat=awards.ONCE)
    for day in ("2026-11-21", "2026-11-22"):
        assert period_close.close_period(campaign, "daily", day).status == "closed"
    assert len(db.session.scalars(select(Coupon).where(Coupon.player_id == champion.id)).all()) == 1
    assert db.session.scalar(select(AwardFailure)) is None


@pytest.mark.parametrize("make_it_fail,reason", [
    ("exhaust", "coupons_exhausted"), ("expire", "coupon_not_available"),
    ("hold", "coupon_limit_reached")])
def test_a_score_reward_that_cannot_be_issued_is_recorded(app, make_it_fail, reason):
    campaign = make_campaign()
    player, other = make_player(campaign.brand), make_player(campaign.brand)
    batch = rule(campaign, trigger="score", threshold=10, inventory=2)
    if make_it_fail == "exhaust":
        coupons.issue_coupon(batch, other.id, source="claim")
        coupons.issue_coupon(batch, make_player(campaign.brand).id, source="claim")
    elif make_it_fail == "expire":
        batch.valid_until = SHANGHAI_MIDNIGHT - timedelta(days=400)
        batch.valid_days = None
    else:
        coupons.issue_coupon(batch, player.id, source="claim")
    db.session.commit()
    assert awards.award_for_score(campaign, player.id, 50) == []
    db.session.commit()
    failure = db.session.scalar(select(AwardFailure))
    assert (failure.player_id, failure.reason, failure.source) == (player.id, reason, "score")


def test_a_per_period_score_rule_needs_a_period(client, auth_for):
    campaign = make_campaign(status="draft")
    batch = coupons.create_batch(campaign.brand_id, campaign.id, 3, title="券", valid_days=7)
    db.session.commit()
    url = f"/api/v1/admin/campaigns/{campaign.id}/reward-rules"
    auth = auth_for(campaign)
    refused = client.post(url, headers=auth, json={"trigger": "score", "threshold": 5,
                                                   "batch_id": batch.id, "repeat": "per_period"})
    assert refused.status_code == 422 and "repeat" in refused.get_json()["error"]["fields"]
    made = client.post(url, headers=auth, json={"trigger": "score", "threshold": 5,
                                                "batch_id": batch.id, "repeat": "per_period",
                                                "period": "daily"})
    assert made.status_code == 201 and made.get_json()["repeat"] == "per_period"
    ranked = client.post(url, headers=auth, json={"trigger": "rank", "period": "daily",
                                                  "rank_from": 1, "rank_to": 3,
                                                  "batch_id": batch.id})
    assert ranked.get_json()["repeat"] == "per_period"


def test_another_brands_failures_are_404(client, auth_for):
    campaign, _ = day_campaign()
    rule(campaign, period="daily", rank_from=1, rank_to=2, inventory=1)
    period_close.close_period(campaign, "daily", DAY)
    failure = db.session.scalar(select(AwardFailure))
    stranger = make_campaign(make_brand("other"))
    auth = auth_for(stranger)
    assert client.get(api(campaign), headers=auth).status_code == 404
    assert client.post(f"{api(stranger)}/{failure.id}/retry", headers=auth).status_code == 404
