"""One device claiming coupons for many players: the claim is held for review, not paid."""

from __future__ import annotations

from sqlalchemy import select

from engine.extensions import db
from engine.models import Coupon, RiskFlag
from tests.engine.test_admin_api import bearer
from tests.engine.test_coupons import api_key, batch_for
from tests.factories import make_campaign, make_marketer

PHONE = {"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.44 NetType/4G"}
OTHER = {"User-Agent": "Mozilla/5.0 (Linux; Android 14; V2055A) MicroMessenger/8.0.44"}


def _claim(app, campaign, batch, headers):
    """Claim as a new player (a fresh cookie jar) from the device the headers make."""
    client = app.test_client()
    url = f"/api/v1/campaigns/{campaign.slug}/coupon-batches/{batch.id}/claim"
    answer = client.post(url, json={}, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return client, answer.get_json()


def _code_of(flag):
    """Return the code of the coupon ``flag`` holds, read from the table."""
    return db.session.get(Coupon, flag.subject_id).code


def _flags():
    db.session.expire_all()
    return db.session.scalars(select(RiskFlag).order_by(RiskFlag.id)).all()


def test_a_device_claiming_for_many_players_is_held_then_reviewed(app, client):
    campaign = make_campaign(risk_config={"claim_device_players": 3})
    batch = batch_for(campaign, inventory=10, claimable=True)
    claims = [_claim(app, campaign, batch, PHONE) for _ in range(4)]
    assert [c["status"] for _, c in claims] == ["issued", "issued", "held", "held"]
    _claim(app, campaign, batch, OTHER)  # another device: its own count
    flags = _flags()
    assert [f.kind for f in flags] == ["claim_device_players"] * 2
    assert flags[0].details["count"] == 3 and len(flags[0].details["players"]) == 3
    assert "同一设备" in flags[0].reason and flags[0].subject_kind == "coupon"
    # a held coupon is shown to its holder, without its code anywhere, and cannot be redeemed
    assert [c["code"] for _, c in claims] == [claims[0][1]["code"], claims[1][1]["code"],
                                              None, None]
    held_code, rejected_code = _code_of(flags[0]), _code_of(flags[1])
    holder = claims[2][0]
    assert [(c["status"], c["code"]) for c in
            holder.get("/api/v1/me/coupons").get_json()["coupons"]] == [("held", None)]
    wallet = holder.get("/me/coupons").get_data(as_text=True)  # 我的券
    assert "审核中" in wallet and "审核通过后" in wallet
    assert held_code not in wallet and "券码二维码" not in wallet  # no code, no QR
    pos = api_key(campaign.brand)
    redeem = client.post("/api/v1/crm/coupons/redeem", json={"code": held_code}, headers=pos)
    assert redeem.status_code == 422
    assert redeem.get_json()["error"]["code"] == "coupon_under_review"

    marketer = bearer(make_marketer(campaign.brand))
    flags_url = f"/api/v1/admin/brands/{campaign.brand.slug}/flags"
    assert client.post(f"{flags_url}/{flags[0].id}/approve", json={},
                       headers=marketer).status_code == 200
    assert client.post(f"{flags_url}/{flags[1].id}/reject", json={"reason": "一机多号"},
                       headers=marketer).status_code == 200
    assert client.post("/api/v1/crm/coupons/redeem", json={"code": held_code},
                       headers=pos).status_code == 200
    approved = holder.get("/api/v1/me/coupons").get_json()["coupons"]
    assert [(c["status"], c["code"]) for c in approved] == [("redeemed", held_code)]
    db.session.expire_all()
    back = db.session.scalar(select(Coupon).where(Coupon.code == rejected_code))
    assert (back.status, back.player_id, back.issued_at) == ("available", None, None)
    assert claims[3][0].get("/api/v1/me/coupons").get_json()["coupons"] == []
    listed = client.get(flags_url, headers=marketer).get_json()["flags"]
    assert {f["status"] for f in listed} == {"approved", "rejected"}


def test_claims_from_different_devices_are_not_held(app):
    campaign = make_campaign(risk_config={"claim_device_players": 2})
    batch = batch_for(campaign, inventory=10, claimable=True)
    for i in range(4):
        _, coupon = _claim(app, campaign, batch, {"User-Agent": f"phone-{i}"})
        assert coupon["status"] == "issued"
    assert _flags() == []
