"""Coupons: codes, issuing, limits, idempotency, redemption, the player's list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.access.auth import create_api_key
from engine.clock import utcnow
from engine.errors import CouponLimitReached, CouponNotAvailable, CouponsExhausted
from engine.extensions import db
from engine.models import Coupon, Event, RewardRule
from engine.rewards import codes
from engine.rewards.coupons import batch_counts, create_batch, import_codes, issue_coupon
from tests.factories import make_brand, make_campaign, make_player
from tests.support.play import auto_moves


def batch_for(campaign, inventory=5, **fields):
    fields.setdefault("title", "新品 5 元券")
    fields.setdefault("value_text", "满30减5")
    fields.setdefault("valid_days", 7)
    batch = create_batch(campaign.brand_id, campaign.id, inventory, **fields)
    db.session.commit()
    return batch


def api_key(brand, scopes=("coupons:redeem",)):
    secret, _ = create_api_key(brand, list(scopes), "pos")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_generated_codes_are_unique_and_unambiguous(app):
    campaign = make_campaign()
    batch = batch_for(campaign, inventory=500)
    found = list(db.session.scalars(select(Coupon.code).where(Coupon.batch_id == batch.id)))
    assert len(found) == len(set(found)) == 500
    assert all(re.fullmatch(f"[{codes.ALPHABET}]{{12}}", c) for c in found)
    assert not set("01OIL") & set("".join(found))


def test_issue_respects_expiry_limit_and_inventory(app):
    campaign = make_campaign()
    fixed_end = utcnow() + timedelta(days=3)
    batch = batch_for(campaign, inventory=3, valid_days=30, valid_until=fixed_end,
                      per_player_limit=2)
    alice, bob = make_player(campaign.brand), make_player(campaign.brand)
    first = issue_coupon(batch, alice.id, source="test")
    assert first.status == "issued" and first.expires_at == fixed_end  # the cap wins
    issue_coupon(batch, alice.id, source="test")
    with pytest.raises(CouponLimitReached):
        issue_coupon(batch, alice.id, source="test")
    issue_coupon(batch, bob.id, source="test")
    with pytest.raises(CouponsExhausted):
        issue_coupon(batch, bob.id, source="test")
    db.session.commit()
    assert batch_counts([batch.id])[batch.id] == {"inventory": 3, "available": 0,
                                                  "issued": 3, "redeemed": 0}


def test_same_award_key_returns_the_same_coupon(app):
    campaign = make_campaign()
    batch = batch_for(campaign, inventory=5, per_player_limit=5)
    player = make_player(campaign.brand)
    one = issue_coupon(batch, player.id, source="rank", award_key="close:1:rank:1")
    two = issue_coupon(batch, player.id, source="rank", award_key="close:1:rank:1")
    db.session.commit()
    assert one.id == two.id
    assert db.session.scalar(select(func.count()).select_from(Coupon)
                             .where(Coupon.player_id == player.id)) == 1


def test_expired_batch_cannot_issue(app):
    campaign = make_campaign()
    batch = batch_for(campaign, valid_days=None, valid_until=utcnow() - timedelta(hours=1))
    with pytest.raises(CouponNotAvailable):
        issue_coupon(batch, make_player(campaign.brand).id, source="test")


def test_import_reports_every_refused_row(app):
    campaign = make_campaign()
    batch = batch_for(campaign, inventory=1)
    taken = db.session.scalar(select(Coupon.code))
    csv_text = f"code\nGOOD-0001\n\nbad code!\nGOOD-0001\n{taken}\nab\nGood_0002\n"
    report = import_codes(batch, csv_text)
    db.session.commit()
    assert report.accepted == ["GOOD-0001", "Good_0002"]
    assert [(r["row"], r["reason"]) for r in report.rejected] == [
        (3, "empty"), (4, "invalid_characters_or_length"), (5, "duplicate_in_file"),
        (6, "already_exists"), (7, "invalid_characters_or_length")]
    assert batch_counts([batch.id])[batch.id]["inventory"] == 3


def test_import_refuses_a_nul_byte_row_by_row_without_asking_the_database(app):
    # PostgreSQL refuses NUL in any text parameter: the fuzz test found a 500 here
    campaign = make_campaign()
    batch = batch_for(campaign, inventory=0)
    report = import_codes(batch, "GOOD-0003\nnc\x00\u00ce\u00eb\n")
    db.session.commit()
    assert report.accepted == ["GOOD-0003"]
    assert [(r["row"], r["reason"]) for r in report.rejected] == [
        (2, "invalid_characters_or_length")]


def test_redeem_once_then_409_expired_410_unknown_404(app, client):
    campaign = make_campaign()
    batch = batch_for(campaign, inventory=3, per_player_limit=3)
    player = make_player(campaign.brand)
    good = issue_coupon(batch, player.id, source="test")
    old = issue_coupon(batch, player.id, source="test")
    old.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    headers = api_key(campaign.brand)
    url = "/api/v1/crm/coupons/redeem"
    resp = client.post(url, json={"code": good.code, "store_id": "S01", "order_id": "O9"},
                       headers=headers)
    assert resp.status_code == 200
    redeemed = db.session.get(Coupon, good.id, populate_existing=True)
    assert resp.get_json() == {"code": good.code, "status": "redeemed",
                               "redeemed_at": redeemed.redeemed_at.isoformat(),
                               "player_id": player.id}
    assert resp.get_json()["redeemed_at"].endswith("+00:00")
    again = client.post(url, json={"code": good.code}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_redeemed"
    assert client.post(url, json={"code": old.code}, headers=headers).status_code == 410
    assert client.post(url, json={"code": "NOPE1234"}, headers=headers).status_code == 404
    unissued = db.session.scalar(select(Coupon).where(Coupon.status == "available"))
    assert client.post(url, json={"code": unissued.code}, headers=headers).status_code == 404
    kinds = [e.kind for e in db.session.scalars(select(Event).order_by(Event.id))]
    assert kinds.count("coupon_issued") == 2 and kinds.count("coupon_redeemed") == 1
    assert kinds.count("coupon_redeem_refused") == 2


def test_redeem_needs_a_key_of_the_brand_with_the_scope(app, client):
    campaign = make_campaign()
    batch = batch_for(campaign)
    coupon = issue_coupon(batch, make_player(campaign.brand).id, source="test")
    db.session.commit()
    url = "/api/v1/crm/coupons/redeem"
    assert client.post(url, json={"code": coupon.code}).status_code == 401
    other = api_key(make_brand())
    assert client.post(url, json={"code": coupon.code}, headers=other).status_code == 404
    unscoped = api_key(campaign.brand, scopes=("tags:read",))
    resp = client.post(url, json={"code": coupon.code}, headers=unscoped)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "missing_scope"
    assert client.post(url, json={"code": ""}, headers=api_key(campaign.brand)).status_code == 422


def test_my_coupons_lists_statuses(app, client):
    campaign = make_campaign()
    batch = batch_for(campaign, inventory=3, claimable=True, per_player_limit=3)
    claim = f"/api/v1/campaigns/{campaign.slug}/coupon-batches/{batch.id}/claim"
    first = client.post(claim, json={}).get_json()
    second = client.post(claim, json={}).get_json()
    assert first["status"] == "issued" and first["code"] != second["code"]
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == second["code"]))
    coupon.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    mine = client.get("/api/v1/me/coupons").get_json()["coupons"]
    assert sorted(c["status"] for c in mine) == ["expired", "issued"]
    assert all(c["title"] == "新品 5 元券" for c in mine)
    assert client.get("/api/v1/me/coupons", headers={}).status_code == 200


def test_claim_refuses_batches_not_open_to_claim(app, client):
    campaign = make_campaign()
    closed = batch_for(campaign)
    resp = client.post(f"/api/v1/campaigns/{campaign.slug}/coupon-batches/{closed.id}/claim",
                       json={})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "coupon_not_available"
    gone = batch_for(campaign, inventory=1, claimable=True)
    url = f"/api/v1/campaigns/{campaign.slug}/coupon-batches/{gone.id}/claim"
    assert client.post(url, json={}).status_code == 201
    again = client.post(url, json={})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "coupon_limit_reached"


def test_score_threshold_awards_once_on_finish(app, client):
    params = {"min_move_interval_ms": 0}
    campaign = make_campaign(game_params=params)
    batch = batch_for(campaign, inventory=10)
    db.session.add(RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id,
                              trigger="score", threshold=1, batch_id=batch.id, title="达标礼"))
    db.session.commit()
    results = []
    for _ in range(2):
        opened = client.post(f"/api/v1/campaigns/{campaign.slug}/sessions", json={}).get_json()
        moves, _ = auto_moves(opened["seed"], params, count=30)
        results.append(client.post(f"/api/v1/sessions/{opened['session_id']}/finish",
                                   json={"token": opened["token"], "moves": moves}).get_json())
    assert [len(r["rewards"]) for r in results] == [1, 0]
    reward = results[0]["rewards"][0]
    assert reward["type"] == "coupon" and reward["title"] == "新品 5 元券" and reward["code"]
    mine = client.get("/api/v1/me/coupons").get_json()["coupons"]
    assert [c["code"] for c in mine] == [reward["code"]]


def test_codes_are_unique_per_brand_and_headers_may_be_chinese(app):
    one, two = make_campaign(), make_campaign()
    first, second = batch_for(one, inventory=0), batch_for(two, inventory=0)
    assert import_codes(first, "\ufeff券码\nSAME-CODE-1\n").accepted == ["SAME-CODE-1"]
    report = import_codes(second, "兑换码\nSAME-CODE-1\n")
    db.session.commit()
    assert report.accepted == ["SAME-CODE-1"] and report.rejected == []
    assert first.code_source == "imported"
    mixed = batch_for(one, inventory=2)
    import_codes(mixed, "MORE-CODE-1\n")
    assert mixed.code_source == "mixed"


def test_coupon_cannot_be_redeemed_before_valid_from(app, client):
    campaign = make_campaign()
    batch = batch_for(campaign, valid_days=None, valid_from=utcnow() + timedelta(days=1),
                      valid_until=utcnow() + timedelta(days=5))
    coupon = issue_coupon(batch, make_player(campaign.brand).id, source="test")
    db.session.commit()
    resp = client.post("/api/v1/crm/coupons/redeem", json={"code": coupon.code},
                       headers=api_key(campaign.brand))
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "coupon_not_yet_valid"
