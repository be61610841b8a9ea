"""Idempotency-Key on session start, draw and claim: the same key, the same answer, one spend."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.extensions import db
from engine.models import Coupon, Draw, PlaySession
from engine.rewards.coupons import create_batch
from tests.factories import make_campaign


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def issued():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Coupon)
                             .where(Coupon.player_id.is_not(None)))


def key(value):
    return {"Idempotency-Key": value}


def test_a_retried_session_start_opens_one_session(app, client):
    campaign = make_campaign(plays_per_day=1)
    client.get(f"/c/{campaign.slug}")
    url = f"/api/v1/campaigns/{campaign.slug}/sessions"
    first = client.post(url, json={}, headers=key("start-0001"))
    again = client.post(url, json={}, headers=key("start-0001"))
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and count(PlaySession) == 1
    # a new key is a new start: refused, and that refusal is what its retry gets too
    refused = client.post(url, json={}, headers=key("start-0002"))
    assert refused.status_code == 429
    retried = client.post(url, json={}, headers=key("start-0002"))
    assert retried.status_code == 429 and retried.get_json() == refused.get_json()
    assert retried.headers["Retry-After"] == refused.headers["Retry-After"]


def test_a_retried_draw_spends_one_draw(app, client):
    campaign = make_campaign(draw_config={"per_day": 3})
    client.get(f"/c/{campaign.slug}")
    url = f"/api/v1/campaigns/{campaign.slug}/draws"
    answers = [client.post(url, json={}, headers=key("draw-key-1")) for _ in range(3)]
    assert {a.status_code for a in answers} == {200}
    assert all(a.get_json() == answers[0].get_json() for a in answers)
    assert answers[0].get_json()["draws_left"] == 2 and count(Draw) == 1
    assert client.post(url, json={}, headers=key("draw-key-2")).get_json()["draws_left"] == 1


def test_a_retried_claim_issues_one_coupon_and_keys_are_per_player(app, client):
    campaign = make_campaign()
    batch = create_batch(campaign.brand_id, campaign.id, 5, title="券", value_text="1元",
                         claimable=True, per_player_limit=3)
    db.session.commit()
    client.get(f"/c/{campaign.slug}")
    url = f"/api/v1/campaigns/{campaign.slug}/coupon-batches/{batch.id}/claim"
    first = client.post(url, json={}, headers=key("claim-key-1"))
    again = client.post(url, json={}, headers=key("claim-key-1"))
    assert first.status_code == again.status_code == 201
    assert first.get_json()["code"] == again.get_json()["code"] and issued() == 1
    other = app.test_client()  # another player may use the same key: it is theirs
    other.get(f"/c/{campaign.slug}")
    theirs = other.post(url, json={}, headers=key("claim-key-1"))
    assert theirs.status_code == 201 and theirs.get_json()["code"] != first.get_json()["code"]
    # the same key on another endpoint is a conflict, not a replay
    clash = client.post(f"/api/v1/campaigns/{campaign.slug}/draws", json={},
                        headers=key("claim-key-1"))
    assert clash.status_code == 409
    assert clash.get_json()["error"]["code"] == "idempotency_conflict"


def test_a_malformed_key_is_refused_before_anything_runs(app, client):
    campaign = make_campaign(draw_config={"per_day": 3})
    client.get(f"/c/{campaign.slug}")
    bad = client.post(f"/api/v1/campaigns/{campaign.slug}/draws", json={},
                      headers=key("no spaces allowed here"))
    assert bad.status_code in (400, 422) and count(Draw) == 0
