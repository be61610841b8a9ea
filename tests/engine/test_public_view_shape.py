"""Every field of the campaign as players see it, pinned, for a stranger and for a player."""

from __future__ import annotations

from engine.campaigns.audience import NOTICE_VERSION, PROCESSOR
from engine.extensions import db
from engine.models import Prize
from engine.rewards.coupons import create_batch
from games import get_game_type
from tests.factories import make_brand, make_campaign


def test_every_field_for_a_stranger_then_a_player(app, client):
    brand = make_brand(name="茶颜示例")
    campaign = make_campaign(brand, plays_per_day=3, branding={"primary_color": "#123456"},
                             rules_text="规则", draw_config={"per_day": 2})
    batch = create_batch(brand.id, campaign.id, 4, title="新品 5 元券", value_text="5 元",
                         valid_days=7, claimable=True)
    prize = Prize(brand_id=brand.id, campaign_id=campaign.id, name="奶茶",
                  image="https://cdn.example.com/tea.png", probability_ppm=1000)
    db.session.add(prize)
    db.session.commit()
    game = get_game_type("synthesis")
    url = f"/api/v1/campaigns/{campaign.slug}"

    stranger = client.get(url).get_json()
    assert stranger["game"]["params"]["cols"] == 4
    assert stranger["schedule"]["starts_at"].endswith("+00:00")
    assert stranger == {
        "slug": campaign.slug, "title": "测试活动", "status": "live", "live": True,
        "game": {"type": "synthesis", "title": game.title, "params": stranger["game"]["params"],
                 "replayed": game.replayed, "ends_early": game.ends_early},
        "branding": {"primary_color": "#123456"}, "rules_text": "规则",
        "schedule": {"starts_at": stranger["schedule"]["starts_at"],
                     "ends_at": stranger["schedule"]["ends_at"], "timezone": "Asia/Shanghai"},
        "prizes": [{"id": prize.id, "name": "奶茶", "image": "https://cdn.example.com/tea.png"}],
        "plays_left": 3, "boards": ["all", "daily", "weekly"], "draws_left": 2,
        "claimable": [{"batch_id": batch.id, "title": "新品 5 元券", "value_text": "5 元",
                       "left": 4}],
        "player": None, "share_token": None,
        "audience": {"eligible": True, "reason": None},
        "consent": {"handler": "茶颜示例", "processor": PROCESSOR,
                    "notice_version": NOTICE_VERSION, "answered": False, "profiling": False,
                    "targeting": True}}

    assert client.get(f"/c/{campaign.slug}").status_code == 200  # the page makes me a player
    me = client.get(url).get_json()
    assert isinstance(me["player"]["id"], int) and isinstance(me["share_token"], str)
    assert me == {**stranger, "player": {"id": me["player"]["id"],
                                         "nickname": me["player"]["nickname"]},
                  "share_token": me["share_token"]}
