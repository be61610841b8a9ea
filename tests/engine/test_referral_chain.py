"""Done means: a 13-level chain built through real HTTP, two reward levels, a burst flagged."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from sqlalchemy import select

from engine.extensions import db
from engine.models import ReferralReward, RiskFlag
from engine.referral import sharer_from_token
from tests.engine.test_admin_api import bearer
from tests.engine.test_live import FAST, WAIT_S, HttpPlayer
from tests.factories import make_campaign, make_marketer

LEVELS = 13
WECHAT_SUFFIX = "&from=timeline&isappinstalled=0"


def share_url(player: HttpPlayer, slug: str) -> str:
    """Create my share link over HTTP, as WeChat will pass it on."""
    resp = player.http.post(f"{player.base}/api/v1/campaigns/{slug}/shares",
                            json={"channel": "timeline"}, timeout=WAIT_S)
    assert resp.status_code == 201, resp.text
    return resp.json()["url"] + WECHAT_SUFFIX


def open_link(player: HttpPlayer, url: str) -> None:
    parts = urlsplit(url)
    resp = player.http.get(f"{player.base}{parts.path}?{parts.query}", timeout=WAIT_S)
    assert resp.status_code == 200


def test_a_thirteen_level_chain_over_http_rewards_exactly_two_levels(app, live_server):
    campaign = make_campaign(game_params=FAST, risk_config={"burst_per_address": 10000,
                                                            "sharer_burst": 10000})
    marketer = make_marketer(campaign.brand)
    headers = bearer(marketer)
    rewards = requests.put(
        f"{live_server.url}/api/v1/admin/campaigns/{campaign.id}/referral-rewards",
        headers=headers, timeout=WAIT_S, json={
            "welcome": {"kind": "draws", "amount": 1},
            "levels": [{"kind": "draws", "amount": 1}, {"kind": "draws", "amount": 1}],
            "sharer_rewards_enabled": True, "acknowledge_risk": True})
    assert rewards.status_code == 200, rewards.text
    players = [HttpPlayer(live_server.url) for _ in range(LEVELS + 1)]
    players[0].visit(campaign.slug)
    url, chain = share_url(players[0], campaign.slug), []
    for player in players[1:]:
        open_link(player, url)
        player.play(campaign.slug, 12)  # the verified play that converts
        url = share_url(player, campaign.slug)
        chain.append(player)
    ids = [sharer_from_token(campaign, urlsplit(share_url(p, campaign.slug)).query
                             .split("s=")[1].split("&")[0]) for p in players]
    report = requests.get(f"{live_server.url}/api/v1/reports/campaigns/{campaign.id}/referral",
                          headers=headers, timeout=WAIT_S).json()
    assert report["max_depth"] == LEVELS and report["referred_players"] == LEVELS
    assert report["depth_histogram"] == {str(d): 1 for d in range(LEVELS + 1)}
    db.session.expire_all()
    rows = db.session.scalars(select(ReferralReward).order_by(ReferralReward.id)).all()
    by_conversion: dict[int, list[tuple[int, int]]] = {}
    for row in rows:
        by_conversion.setdefault(row.referral_id, []).append((row.level, row.player_id))
        assert row.status == "issued"
    assert len(by_conversion) == LEVELS
    for n, got in enumerate(by_conversion.values(), start=1):  # player n converted
        expected = [(0, ids[n]), (1, ids[n - 1])] + ([(2, ids[n - 2])] if n >= 2 else [])
        assert got == expected  # never a third level, whatever the depth
    for player in players:
        player.close()


def test_a_burst_of_referrals_from_one_ip_lands_in_the_risk_queue(app, live_server):
    campaign = make_campaign(game_params=FAST, referral_config={
        "levels": [{"kind": "draws"}], "sharer_rewards_enabled": True,
        "acknowledged_by": "ops@example.com", "acknowledged_at": "2026-11-23T00:00:00+00:00"})
    sharer = HttpPlayer(live_server.url)
    sharer.visit(campaign.slug)
    url = share_url(sharer, campaign.slug)
    friends = [HttpPlayer(live_server.url) for _ in range(8)]  # one address: 127.0.0.1
    for friend in friends:
        open_link(friend, url)
        friend.play(campaign.slug, 12)
    listed = requests.get(f"{live_server.url}/api/v1/admin/brands/{campaign.brand.slug}/flags",
                          headers=bearer(make_marketer(campaign.brand)), timeout=WAIT_S)
    flags = listed.json()["flags"]
    assert flags and {f["kind"] for f in flags} == {"referral_burst_address"}
    assert all(f["status"] == "pending" and "127.0.0.1" in f["details"]["value"]
               for f in flags)
    db.session.expire_all()
    held = db.session.scalars(select(ReferralReward).where(
        ReferralReward.status == "held")).all()
    assert len(held) == len(flags) == 8 - 4  # the default allows 4 before the 5th is a burst
    assert db.session.scalar(select(RiskFlag.reason)).startswith("同一 IP")
    for each in [sharer, *friends]:
        each.close()
