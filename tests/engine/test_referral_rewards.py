"""Referral rewards: welcome + two levels, never three; off until acknowledged; caps; risk queue."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.clock import utcnow
from engine.extensions import db
from engine.models import DrawCredit, ReferralReward, RiskFlag
from engine.referral.rewards import RISK_NOTICE
from engine.rewards.coupons import create_batch
from engine.risk import review
from tests.engine.test_admin_api import bearer
from tests.engine.test_referral import finish_one, visit
from tests.factories import make_campaign, make_marketer

PLAIN = {"min_move_interval_ms": 0}
QUIET = {"burst_per_address": 10000, "sharer_burst": 10000}  # all test clients share 127.0.0.1


def rewards_url(campaign):
    return f"/api/v1/admin/campaigns/{campaign.id}/referral-rewards"


def chain(app, campaign, length):
    """Return (client, token) for a chain of ``length`` players, each referred by the last."""
    links, token = [], None
    for _ in range(length):
        client = app.test_client()
        token = visit(client, campaign, token)
        links.append((client, token))
    return links


def reward_rows():
    db.session.expire_all()
    return db.session.scalars(select(ReferralReward).order_by(ReferralReward.id)).all()


def test_sharer_rewards_are_off_until_a_marketer_acknowledges_the_risk(app, client):
    campaign = make_campaign(game_params=PLAIN, risk_config=QUIET)
    headers = bearer(make_marketer(campaign.brand, email="ops@example.com"))
    shown = client.get(rewards_url(campaign), headers=headers).get_json()
    assert "传销" in RISK_NOTICE
    assert shown == {"welcome": None, "levels": [], "sharer_rewards_enabled": False,
                     "caps": {"per_sharer_per_day": 20, "per_sharer_per_campaign": 200},
                     "acknowledged_by": None, "acknowledged_at": None,
                     "risk_notice": RISK_NOTICE}
    body = {"welcome": {"kind": "draws", "amount": 1}, "levels": [{"kind": "draws"}],
            "sharer_rewards_enabled": True}
    refused = client.put(rewards_url(campaign), json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "risk_not_acknowledged"
    # the welcome alone needs no acknowledgement, and pays only the newcomer
    client.put(rewards_url(campaign), json={**body, "sharer_rewards_enabled": False},
               headers=headers)
    (a, _), (b, _) = chain(app, campaign, 2)
    finish_one(b, campaign)
    assert [(r.level, r.status) for r in reward_rows()] == [(0, "issued")]
    ok = client.put(rewards_url(campaign), json={**body, "acknowledge_risk": True},
                    headers=headers)
    assert ok.status_code == 200
    acknowledged_at = ok.get_json()["acknowledged_at"]
    assert abs(datetime.fromisoformat(acknowledged_at) - utcnow()) < timedelta(minutes=1)
    assert ok.get_json() == {
        "welcome": {"kind": "draws", "amount": 1}, "levels": [{"kind": "draws", "amount": 1}],
        "sharer_rewards_enabled": True,
        "caps": {"per_sharer_per_day": 20, "per_sharer_per_campaign": 200},
        "acknowledged_by": "ops@example.com", "acknowledged_at": acknowledged_at,
        "risk_notice": RISK_NOTICE}
    assert client.get(rewards_url(campaign), headers=headers).get_json() == ok.get_json()


def test_a_third_level_is_refused(app, client):
    campaign = make_campaign()
    headers = bearer(make_marketer(campaign.brand))
    body = {"levels": [{"kind": "draws"}] * 3, "sharer_rewards_enabled": True,
            "acknowledge_risk": True}
    refused = client.put(rewards_url(campaign), json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "too_many_levels"


def test_a_conversion_rewards_exactly_the_two_levels_above_it(app, client):
    campaign = make_campaign(game_params=PLAIN, risk_config=QUIET)
    batch = create_batch(campaign.brand_id, campaign.id, 20, title="二级券", value_text="5元")
    db.session.commit()
    headers = bearer(make_marketer(campaign.brand))
    assert client.put(rewards_url(campaign), headers=headers, json={
        "welcome": {"kind": "draws", "amount": 1},
        "levels": [{"kind": "draws", "amount": 2}, {"kind": "coupon", "batch_id": batch.id}],
        "sharer_rewards_enabled": True, "acknowledge_risk": True}).status_code == 200
    links = chain(app, campaign, 5)  # p0 <- p1 <- p2 <- p3 <- p4
    ids = [visit_id(campaign, token) for _, token in links]
    finish_one(links[4][0], campaign)
    rows = reward_rows()
    assert [(r.level, r.player_id, r.status) for r in rows] == [
        (0, ids[4], "issued"), (1, ids[3], "issued"), (2, ids[2], "issued")]
    credits = db.session.scalars(select(DrawCredit)).all()
    assert sorted(c.player_id for c in credits) == sorted([ids[4], ids[3], ids[3]])
    finish_one(links[4][0], campaign)  # a second play earns nothing more
    assert len(reward_rows()) == 3


def visit_id(campaign, token):
    from engine.referral import sharer_from_token
    return sharer_from_token(campaign, token)


def test_caps_per_sharer_per_day_are_recorded_not_silent(app, client):
    campaign = make_campaign(game_params=PLAIN, risk_config=QUIET, referral_config={
        "levels": [{"kind": "draws"}], "sharer_rewards_enabled": True,
        "acknowledged_by": "m@example.com", "acknowledged_at": "2026-11-23T00:00:00+00:00",
        "caps": {"per_sharer_per_day": 1, "per_sharer_per_campaign": 10}})
    sharer = app.test_client()
    token = visit(sharer, campaign)
    friends = [app.test_client() for _ in range(2)]
    for friend in friends:
        visit(friend, campaign, token)
        finish_one(friend, campaign)
    assert [(r.level, r.status) for r in reward_rows()] == [(1, "issued"), (1, "capped")]
    assert "每日上限" in reward_rows()[1].reason


def test_a_burst_from_one_address_is_held_for_review_then_approved(app, client):
    campaign = make_campaign(game_params=PLAIN, risk_config={"burst_per_address": 3},
                             referral_config={
                                 "levels": [{"kind": "draws"}], "sharer_rewards_enabled": True,
                                 "acknowledged_by": "m", "acknowledged_at": "2026"})
    marketer = make_marketer(campaign.brand)
    sharer = app.test_client()
    token = visit(sharer, campaign)
    friends = [app.test_client() for _ in range(4)]
    for friend in friends:
        visit(friend, campaign, token)
        finish_one(friend, campaign)
    flags_url = f"/api/v1/admin/brands/{campaign.brand.slug}/flags"
    listed = client.get(flags_url, headers=bearer(marketer)).get_json()["flags"]
    assert {f["kind"] for f in listed} == {"referral_burst_address"}
    assert len(listed) == 2 and all("127.0.0.1" in str(f["details"]) for f in listed)
    assert all("IP" in f["reason"] for f in listed)
    statuses = [r.status for r in reward_rows()]
    assert statuses == ["issued", "issued", "held", "held"]
    first, second = sorted(listed, key=lambda f: f["id"])
    approved = client.post(f"{flags_url}/{first['id']}/approve", json={},
                           headers=bearer(marketer))
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    rejected = client.post(f"{flags_url}/{second['id']}/reject", json={"reason": "刷量"},
                           headers=bearer(marketer))
    assert rejected.get_json()["decision_reason"] == "刷量"
    assert [r.status for r in reward_rows()] == ["issued", "issued", "issued", "rejected"]
    again = client.post(f"{flags_url}/{first['id']}/reject", json={}, headers=bearer(marketer))
    assert again.status_code == 409


def test_a_flag_past_its_deadline_follows_the_campaign_default(app, client):
    campaign = make_campaign(game_params=PLAIN,
                             risk_config={"burst_per_address": 2, "default_action": "approve"},
                             referral_config={
                                 "levels": [{"kind": "draws"}], "sharer_rewards_enabled": True,
                                 "acknowledged_by": "m", "acknowledged_at": "2026"})
    token = visit(app.test_client(), campaign)
    for _ in range(2):
        friend = app.test_client()
        visit(friend, campaign, token)
        finish_one(friend, campaign)
    (flag,) = db.session.scalars(select(RiskFlag)).all()
    assert review.expire_overdue(now=utcnow()) == 0
    assert review.expire_overdue(now=flag.deadline + timedelta(seconds=1)) == 1
    db.session.refresh(flag)
    assert flag.status == "approved" and flag.decided_by == "deadline"
    assert [r.status for r in reward_rows()] == ["issued", "issued"]


def test_another_brands_flags_are_not_found(app, client):
    campaign = make_campaign()
    other = make_campaign()
    headers = bearer(make_marketer(campaign.brand))
    assert client.get(f"/api/v1/admin/brands/{other.brand.slug}/flags",
                      headers=headers).status_code == 404
    assert client.get(rewards_url(other), headers=headers).status_code == 404


def test_flask_risk_expire_decides_overdue_flags(app, runner):
    campaign = make_campaign(game_params=PLAIN, risk_config={"burst_per_address": 2})
    token = visit(app.test_client(), campaign)
    for _ in range(2):
        visit(app.test_client(), campaign, token)
    (flag,) = db.session.scalars(select(RiskFlag)).all()
    flag.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    out = runner.invoke(args=["risk", "expire"])
    assert out.exit_code == 0 and "1 overdue" in out.output
    db.session.refresh(flag)
    assert flag.status == "rejected" and flag.decided_by == "deadline"


def test_risk_settings_are_set_by_a_marketer_and_bad_stored_ones_fall_back(app, client):
    campaign = make_campaign()
    url = f"/api/v1/admin/campaigns/{campaign.id}/risk-settings"
    headers = bearer(make_marketer(campaign.brand))
    assert client.get(url, headers=headers).get_json()["default_action"] == "reject"
    changed = client.put(url, headers=headers, json={"default_action": "approve",
                                                     "review_hours": 24})
    assert changed.status_code == 200 and changed.get_json()["review_hours"] == 24
    assert client.put(url, headers=headers, json={"review_hours": 0}).status_code in (400, 422)
    campaign.risk_config = {"burst_per_address": -1}  # written around the API
    db.session.commit()
    token = visit(app.test_client(), campaign)
    visit(app.test_client(), campaign, token)  # still attributes, with the defaults
    assert len(reward_rows()) == 0 and db.session.scalars(select(RiskFlag)).all() == []
