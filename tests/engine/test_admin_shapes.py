"""Every field of every admin answer, pinned: the shapes API.md promises stay as they are.

Values the server makes (ids, clocks) are checked for their form; the rest is
compared whole, so a field that disappears, is renamed or changes type fails.
"""

from __future__ import annotations

import re

import pytest

from tests.engine.test_admin_api import API, batch_body, bearer, campaign_body
from tests.factories import make_brand, make_marketer

MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


def moment(value) -> bool:
    return isinstance(value, str) and bool(MOMENT.match(value))


@pytest.fixture
def auth(app):
    return bearer(make_marketer(make_brand("alpha", "阿尔法")))


@pytest.fixture
def made(client, auth):
    resp = client.post(f"{API}/brands/alpha/campaigns", json=campaign_body(), headers=auth)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_brands(client, auth):
    make_brand("beta")
    assert client.get(f"{API}/brands", headers=auth).get_json() == {
        "brands": [{"slug": "alpha", "name": "阿尔法"}]}


def test_campaign_every_field(client, auth, made):
    assert isinstance(made["id"], int)
    assert moment(made["created_at"]) and moment(made["updated_at"])
    assert made["game_params"]["rows"] == 5 and made["game_params"]["cols"] == 5
    assert made == {
        "id": made["id"], "brand": "alpha", "slug": "spring-fest", "status": "draft",
        "title": "春季合成赛", "game_type": "synthesis", "game_params": made["game_params"],
        "game_version": 1, "branding": {"primary": "#e60012"}, "rules_text": "每天 3 次",
        "timezone": "Asia/Shanghai", "starts_at": "2030-02-28T16:00:00+00:00",
        "ends_at": "2030-03-31T16:00:00+00:00", "plays_per_day": 3, "require_userinfo": True,
        "draw_config": {"per_day": 1, "per_play": 0, "max_play_credits_per_day": 3,
                        "per_friend": 0},
        "boards": ["all", "daily", "weekly"], "created_at": made["created_at"],
        "updated_at": made["updated_at"]}
    url = f"{API}/campaigns/{made['id']}"
    assert client.get(url, headers=auth).get_json() == made
    assert client.get(f"{API}/brands/alpha/campaigns", headers=auth).get_json() == {
        "campaigns": [made]}
    patched = client.patch(url, json={"title": "新标题", "starts_at": None},
                           headers=auth).get_json()
    assert patched == {**made, "title": "新标题", "starts_at": None,
                       "updated_at": patched["updated_at"]}
    for action, status in (("publish", "live"), ("pause", "paused"), ("end", "ended")):
        shown = client.post(f"{url}/{action}", json={}, headers=auth).get_json()
        assert shown == {**patched, "status": status, "updated_at": shown["updated_at"]}


def test_batch_every_field(client, auth, made):
    url = f"{API}/campaigns/{made['id']}/coupon-batches"
    body = batch_body(valid_from="2030-03-01T00:00:00+08:00", description="全场通用")
    resp = client.post(url, json=body, headers=auth)
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert isinstance(created["id"], int) and moment(created["created_at"])
    assert created == {
        "id": created["id"], "campaign_id": made["id"], "title": "满30减5",
        "value_text": "减5元", "description": "全场通用",
        "valid_from": "2030-02-28T16:00:00+00:00", "valid_until": None, "valid_days": 30,
        "per_player_limit": 1, "claimable": False, "code_source": "generated",
        "created_at": created["created_at"], "inventory": 5, "available": 5, "issued": 0,
        "redeemed": 0, "import_report": None}
    shown = {k: v for k, v in created.items() if k != "import_report"}
    assert client.get(f"{API}/coupon-batches/{created['id']}", headers=auth).get_json() == shown
    assert client.get(url, headers=auth).get_json() == {"batches": [shown]}

    resp = client.post(f"{API}/coupon-batches/{created['id']}/codes", headers=auth,
                       json={"csv": "MORE0001\nab\n"})
    assert resp.get_json() == {
        "accepted": 1, "rejected": [{"row": 2, "code": "ab",
                                     "reason": "invalid_characters_or_length"}],
        "batch": {**shown, "code_source": "mixed", "inventory": 6, "available": 6}}


def test_imported_batch_carries_its_report(client, auth, made):
    body = {**batch_body(codes_csv="code\nGOOD0001\nab\n"), "valid_days": 7}
    del body["inventory"]
    created = client.post(f"{API}/campaigns/{made['id']}/coupon-batches", json=body,
                          headers=auth).get_json()
    assert created["import_report"] == {"accepted": 1, "rejected": [
        {"row": 3, "code": "ab", "reason": "invalid_characters_or_length"}]}
    assert (created["code_source"], created["inventory"], created["valid_days"]) == (
        "imported", 1, 7)


def test_prize_every_field(client, auth, made):
    batch = client.post(f"{API}/campaigns/{made['id']}/coupon-batches", json=batch_body(),
                        headers=auth).get_json()
    url = f"{API}/campaigns/{made['id']}/prizes"
    resp = client.post(url, headers=auth, json={
        "name": "一等奖", "image": "https://cdn.example.com/p.png", "batch_id": batch["id"],
        "probability_ppm": 1000, "stock": 10, "daily_cap": 2, "position": 1})
    assert resp.status_code == 201, resp.get_json()
    prize = resp.get_json()
    assert isinstance(prize["id"], int)
    assert prize == {"id": prize["id"], "campaign_id": made["id"], "name": "一等奖",
                     "image": "https://cdn.example.com/p.png", "batch_id": batch["id"],
                     "probability_ppm": 1000, "stock": 10, "awarded": 0, "daily_cap": 2,
                     "paced": False, "position": 1}
    assert client.get(url, headers=auth).get_json() == {"prizes": [prize]}
    patched = client.patch(f"{API}/prizes/{prize['id']}", json={"stock": None, "name": "二等奖"},
                           headers=auth).get_json()
    assert patched == {**prize, "stock": None, "name": "二等奖"}


def test_rule_every_field(client, auth, made):
    batch = client.post(f"{API}/campaigns/{made['id']}/coupon-batches", json=batch_body(),
                        headers=auth).get_json()
    url = f"{API}/campaigns/{made['id']}/reward-rules"
    score = client.post(url, headers=auth, json={"trigger": "score", "threshold": 100,
                                                 "batch_id": batch["id"]}).get_json()
    assert isinstance(score["id"], int) and moment(score["created_at"])
    assert score == {"id": score["id"], "campaign_id": made["id"], "trigger": "score",
                     "threshold": 100, "period": None, "rank_from": None, "rank_to": None,
                     "batch_id": batch["id"], "title": "满30减5", "repeat": "once",
                     "created_at": score["created_at"]}
    rank = client.post(url, headers=auth, json={
        "trigger": "rank", "period": "daily", "rank_from": 1, "rank_to": 3,
        "batch_id": batch["id"], "title": "日榜前三"}).get_json()
    assert rank == {"id": rank["id"], "campaign_id": made["id"], "trigger": "rank",
                    "threshold": None, "period": "daily", "rank_from": 1, "rank_to": 3,
                    "batch_id": batch["id"], "title": "日榜前三", "repeat": "per_period",
                    "created_at": rank["created_at"]}
    assert client.get(url, headers=auth).get_json() == {"rules": [score, rank]}
