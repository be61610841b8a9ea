"""Every field of the player's reward answers, pinned: claim, my coupons, a draw."""

from __future__ import annotations

import re
from datetime import datetime

from engine.extensions import db
from engine.models import Prize
from engine.rewards.coupons import create_batch, redeem_coupon
from tests.factories import make_campaign

MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


def moment(value) -> bool:
    return isinstance(value, str) and bool(MOMENT.match(value))


def test_claim_and_my_coupons_every_field(app, client):
    campaign = make_campaign()
    batch = create_batch(campaign.brand_id, campaign.id, 2, title="新品 5 元券",
                         value_text="5 元", valid_days=7, claimable=True, per_player_limit=2)
    db.session.commit()
    url = f"/api/v1/campaigns/{campaign.slug}/coupon-batches/{batch.id}/claim"
    resp = client.post(url, json={})
    assert resp.status_code == 201, resp.get_json()
    claimed = resp.get_json()
    assert moment(claimed["issued_at"]) and moment(claimed["expires_at"])
    days = (datetime.fromisoformat(claimed["expires_at"])
            - datetime.fromisoformat(claimed["issued_at"])).days
    assert days == 7
    assert claimed == {"code": claimed["code"], "title": "新品 5 元券", "value_text": "5 元",
                       "status": "issued", "issued_at": claimed["issued_at"],
                       "expires_at": claimed["expires_at"], "redeemed_at": None}
    assert client.get("/api/v1/me/coupons").get_json() == {"coupons": [claimed]}

    redeem_coupon(campaign.brand_id, claimed["code"])
    [shown] = client.get("/api/v1/me/coupons").get_json()["coupons"]
    assert moment(shown["redeemed_at"])
    assert shown == {**claimed, "status": "redeemed", "redeemed_at": shown["redeemed_at"]}


def test_draw_every_field(app, client):
    campaign = make_campaign(draw_config={"per_day": 2})
    batch = create_batch(campaign.brand_id, campaign.id, 1, title="奶茶半价", valid_days=3)
    prize = Prize(brand_id=campaign.brand_id, campaign_id=campaign.id, name="奶茶半价券",
                  image="https://cdn.example.com/tea.png", batch_id=batch.id,
                  probability_ppm=1_000_000)
    db.session.add(prize)
    db.session.commit()
    drawn = client.post(f"/api/v1/campaigns/{campaign.slug}/draws", json={}).get_json()
    [coupon] = client.get("/api/v1/me/coupons").get_json()["coupons"]
    assert drawn == {"prize": {"id": prize.id, "name": "奶茶半价券",
                               "image": "https://cdn.example.com/tea.png", "coupon": coupon},
                     "draws_left": 1}
    assert set(coupon) == {"code", "title", "value_text", "status", "issued_at",
                           "expires_at", "redeemed_at"}
