"""The admin API: tenancy, campaigns, coupon batches and code imports, prizes, reward rules."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from engine.access.auth import create_access_token
from engine.clock import utcnow
from engine.extensions import db
from engine.models import Campaign, CouponBatch, Prize, RewardRule
from engine.rewards import coupons
from tests.factories import make_brand, make_campaign, make_marketer, make_player

API = "/api/v1/admin"


def bearer(marketer) -> dict:
    secret, _ = create_access_token(marketer, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def campaign_body(**changes) -> dict:
    body = {"slug": "spring-fest", "title": "春季合成赛", "game_type": "synthesis",
            "game_params": {"rows": 5, "cols": 5}, "branding": {"primary": "#e60012"},
            "rules_text": "每天 3 次", "timezone": "Asia/Shanghai",
            "starts_at": "2030-03-01T00:00:00+08:00", "ends_at": "2030-04-01T00:00:00+08:00",
            "plays_per_day": 3, "require_userinfo": True, "draw_config": {"per_day": 1}}
    body.update(changes)
    return body


def batch_body(**changes) -> dict:
    body = {"title": "满30减5", "value_text": "减5元", "valid_days": 30, "inventory": 5}
    body.update(changes)
    return body


@pytest.fixture
def brand(app):
    return make_brand("alpha", "阿尔法")


@pytest.fixture
def auth(brand):
    return bearer(make_marketer(brand))


@pytest.fixture
def campaign(brand):
    return make_campaign(brand, status="draft")


def batch_of(campaign, inventory=5, **fields):
    fields.setdefault("title", "满30减5")
    fields.setdefault("valid_days", 30)
    batch = coupons.create_batch(campaign.brand_id, campaign.id, inventory, **fields)
    db.session.commit()
    return batch


def assert_error(resp, status, code):
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"] and isinstance(error["fields"], dict)
    return error


def test_brands_lists_only_mine(client, brand, auth):
    make_brand("beta")
    assert client.get(f"{API}/brands", headers=auth).get_json() == {
        "brands": [{"slug": "alpha", "name": "阿尔法"}]}


# tenancy: brand B's objects do not exist for brand A's marketer


@pytest.fixture
def other(app):
    brand = make_brand("beta")
    campaign = make_campaign(brand, status="draft", title="B 的活动")
    batch = batch_of(campaign)
    prize = Prize(brand_id=brand.id, campaign_id=campaign.id, name="B 奖品", batch_id=batch.id)
    rule = RewardRule(brand_id=brand.id, campaign_id=campaign.id, trigger="score",
                      threshold=10, batch_id=batch.id)
    db.session.add_all([prize, rule])
    db.session.commit()
    return {"brand": brand.slug, "campaign": campaign.id, "batch": batch.id, "prize": prize.id,
            "rule": rule.id}


FOREIGN = [
    ("get", "/brands/{brand}/campaigns", None),
    ("post", "/brands/{brand}/campaigns", campaign_body()),
    ("get", "/campaigns/{campaign}", None),
    ("patch", "/campaigns/{campaign}", {"title": "偷改"}),
    ("post", "/campaigns/{campaign}/publish", {}),
    ("post", "/campaigns/{campaign}/pause", {}),
    ("get", "/campaigns/{campaign}/coupon-batches", None),
    ("post", "/campaigns/{campaign}/coupon-batches", batch_body()),
    ("get", "/coupon-batches/{batch}", None),
    ("post", "/coupon-batches/{batch}/codes", {"csv": "STOLEN01"}),
    ("get", "/campaigns/{campaign}/prizes", None),
    ("post", "/campaigns/{campaign}/prizes", {"name": "x"}),
    ("patch", "/prizes/{prize}", {"name": "偷改"}),
    ("delete", "/prizes/{prize}", None),
    ("get", "/campaigns/{campaign}/reward-rules", None),
    ("post", "/campaigns/{campaign}/reward-rules",
     {"trigger": "score", "threshold": 1, "batch_id": 1}),
    ("delete", "/reward-rules/{rule}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), FOREIGN)
def test_other_brands_objects_are_404(client, auth, other, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    resp = getattr(client, method)(API + path.format(**other), headers=auth, **kwargs)
    assert_error(resp, 404, "not_found")
    db.session.expire_all()
    campaign = db.session.get(Campaign, other["campaign"])
    assert (campaign.title, campaign.status) == ("B 的活动", "draft")
    assert db.session.get(Prize, other["prize"]).name == "B 奖品"
    assert db.session.get(RewardRule, other["rule"]) is not None
    assert coupons.batch_counts([other["batch"]])[other["batch"]]["inventory"] == 5


# campaigns


def test_create_campaign_as_draft_with_every_field(client, brand, auth):
    resp = client.post(f"{API}/brands/alpha/campaigns", json=campaign_body(), headers=auth)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "draft" and body["brand"] == "alpha"
    assert body["game_params"]["rows"] == 5 and len(body["game_params"]["levels"]) == 11
    assert body["starts_at"] == "2030-02-28T16:00:00+00:00"
    assert body["draw_config"]["per_day"] == 1 and body["draw_config"]["per_play"] == 0
    assert body["created_at"].endswith("+00:00") and body["updated_at"].endswith("+00:00")
    assert (body["plays_per_day"], body["require_userinfo"]) == (3, True)
    listed = client.get(f"{API}/brands/alpha/campaigns", headers=auth).get_json()
    assert [c["id"] for c in listed["campaigns"]] == [body["id"]]
    assert client.get(f"{API}/campaigns/{body['id']}", headers=auth).get_json() == body


def test_slug_taken_is_409_even_across_brands(client, brand, auth):
    make_campaign(make_brand("beta"), slug="spring-fest")
    resp = client.post(f"{API}/brands/alpha/campaigns", json=campaign_body(), headers=auth)
    assert assert_error(resp, 409, "slug_taken")["fields"] == {"slug": ["已被占用"]}


@pytest.mark.parametrize(("changes", "field"), [
    ({"surprise": 1}, "surprise"),
    ({"plays_per_day": "3"}, "plays_per_day"),
    ({"starts_at": "2030-03-01T00:00:00"}, "starts_at"),
    ({"slug": "Not A Slug"}, "slug"),
    ({"draw_config": {"per_day": 1, "jackpot": True}}, "draw_config"),
    ({"title": None}, "title"),
])
def test_malformed_campaign_is_422_with_fields(client, brand, auth, changes, field):
    resp = client.post(f"{API}/brands/alpha/campaigns", json=campaign_body(**changes),
                       headers=auth)
    assert field in assert_error(resp, 422, "validation_error")["fields"]


def test_game_params_the_game_refuses_are_422(client, brand, auth):
    resp = client.post(f"{API}/brands/alpha/campaigns", headers=auth,
                       json=campaign_body(game_params={"rows": 99}))
    assert "rows" in assert_error(resp, 422, "invalid_params")["fields"]["game_params"]
    resp = client.post(f"{API}/brands/alpha/campaigns", headers=auth,
                       json=campaign_body(game_type="chess"))
    assert "game_type" in assert_error(resp, 422, "invalid_params")["fields"]
    resp = client.post(f"{API}/brands/alpha/campaigns", headers=auth,
                       json=campaign_body(timezone="Mars/Olympus"))
    assert_error(resp, 422, "invalid_params")
    resp = client.post(f"{API}/brands/alpha/campaigns", headers=auth,
                       json=campaign_body(ends_at="2030-02-01T00:00:00+08:00"))
    assert_error(resp, 422, "invalid_schedule")


def test_patch_changes_only_what_is_sent(client, auth, campaign):
    url = f"{API}/campaigns/{campaign.id}"
    resp = client.patch(url, headers=auth, json={"title": "新标题", "game_params": {"rows": 6},
                                                  "draw_config": {"per_day": 2}})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["title"] == "新标题" and body["game_params"]["rows"] == 6
    assert body["draw_config"] == {"per_day": 2, "per_play": 0, "max_play_credits_per_day": 3,
                                   "per_friend": 0}
    assert body["slug"] == campaign.slug and body["status"] == "draft"
    resp = client.patch(url, json={"game_params": {"cols": 2}}, headers=auth)
    assert "cols" in assert_error(resp, 422, "invalid_params")["fields"]["game_params"]
    assert_error(client.patch(url, json={"status": "live"}, headers=auth), 422,
                 "validation_error")
    assert_error(client.patch(url, json={"ends_at": "2000-01-01T00:00:00+00:00"},
                              headers=auth), 422, "invalid_schedule")
    assert client.get(url, headers=auth).get_json()["game_params"]["rows"] == 6


def test_game_and_slug_are_locked_once_live(client, brand, auth):
    campaign = make_campaign(brand)
    url = f"{API}/campaigns/{campaign.id}"
    assert_error(client.patch(url, json={"game_params": {"rows": 6}}, headers=auth), 409,
                 "campaign_live")
    assert_error(client.patch(url, json={"slug": "renamed"}, headers=auth), 409, "slug_locked")
    assert client.patch(url, json={"rules_text": "新规则"}, headers=auth).status_code == 200


def test_publish_and_pause(client, auth, campaign):
    url = f"{API}/campaigns/{campaign.id}"
    assert_error(client.post(f"{url}/pause", json={}, headers=auth), 409, "campaign_not_live")
    resp = client.post(f"{url}/publish", json={}, headers=auth)
    assert resp.status_code == 200 and resp.get_json()["status"] == "live"
    assert client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()["live"] is True
    resp = client.post(f"{url}/pause", headers=auth)
    assert resp.status_code == 200 and resp.get_json()["status"] == "paused"
    assert client.get(f"/api/v1/campaigns/{campaign.slug}").get_json()["live"] is False
    assert client.post(f"{url}/publish", json={}, headers=auth).get_json()["status"] == "live"


@pytest.mark.parametrize(("starts", "ends"), [(-10, -1), (5, 5), (6, 5)])
def test_publish_refuses_a_past_or_impossible_schedule(client, brand, auth, starts, ends):
    now = utcnow()
    campaign = make_campaign(brand, status="draft", starts_at=now + timedelta(days=starts),
                             ends_at=now + timedelta(days=ends))
    resp = client.post(f"{API}/campaigns/{campaign.id}/publish", json={}, headers=auth)
    assert "ends_at" in assert_error(resp, 422, "invalid_schedule")["fields"]
    assert db.session.get(Campaign, campaign.id).status == "draft"


# coupon batches


def test_generated_batch_and_counts_after_issuing(client, brand, auth, campaign):
    url = f"{API}/campaigns/{campaign.id}/coupon-batches"
    resp = client.post(url, json=batch_body(per_player_limit=2, claimable=True), headers=auth)
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert (created["inventory"], created["available"], created["issued"]) == (5, 5, 0)
    assert created["code_source"] == "generated" and created["import_report"] is None
    batch = db.session.get(CouponBatch, created["id"])
    players = [make_player(brand), make_player(brand)]
    issued = [coupons.issue_coupon(batch, p.id, source="test") for p in players]
    db.session.commit()
    coupons.redeem_coupon(brand.id, issued[0].code)
    shown = client.get(f"{API}/coupon-batches/{batch.id}", headers=auth).get_json()
    assert {k: shown[k] for k in ("inventory", "available", "issued", "redeemed")} == {
        "inventory": 5, "available": 3, "issued": 2, "redeemed": 1}
    assert client.get(url, headers=auth).get_json()["batches"] == [shown]


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"codes_csv": "ABCD1234"}, 422, "invalid_codes_source"),
    ({"inventory": "5"}, 422, "validation_error"),
    ({"inventory": 0}, 422, "validation_error"),
    ({"inventory": 100_001}, 422, "validation_error"),
    ({"per_player_limit": 0}, 422, "validation_error"),
    ({"colour": "red"}, 422, "validation_error"),
    ({"valid_days": None}, 422, "invalid_validity"),
    ({"valid_from": "2030-02-01T00:00:00+08:00", "valid_until": "2030-01-01T00:00:00+08:00"},
     422, "invalid_validity"),
    ({"valid_days": None, "valid_until": "2001-01-01T00:00:00+08:00"}, 422, "invalid_validity"),
])
def test_batch_rules(client, auth, campaign, changes, status, code):
    body = {k: v for k, v in batch_body(**changes).items() if v is not None}
    resp = client.post(f"{API}/campaigns/{campaign.id}/coupon-batches", json=body, headers=auth)
    assert_error(resp, status, code)


def test_neither_inventory_nor_codes_is_422(client, auth, campaign):
    body = batch_body()
    del body["inventory"]
    resp = client.post(f"{API}/campaigns/{campaign.id}/coupon-batches", json=body, headers=auth)
    assert_error(resp, 422, "invalid_codes_source")


CSV = "code\nGOOD0001\n\nBAD CODE!\nGOOD0001\nTAKEN001\n good0002 \nab\n优惠码12345\n"


def test_imported_batch_reports_every_refused_row(client, brand, auth, campaign):
    coupons.import_codes(batch_of(campaign, 0), "TAKEN001\n")
    db.session.commit()
    body = batch_body(codes_csv=CSV)
    del body["inventory"]
    resp = client.post(f"{API}/campaigns/{campaign.id}/coupon-batches", json=body, headers=auth)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["import_report"] == {"accepted": 2, "rejected": [
        {"row": 3, "code": "", "reason": "empty"},
        {"row": 4, "code": "BAD CODE!", "reason": "invalid_characters_or_length"},
        {"row": 5, "code": "GOOD0001", "reason": "duplicate_in_file"},
        {"row": 6, "code": "TAKEN001", "reason": "already_exists"},
        {"row": 8, "code": "ab", "reason": "invalid_characters_or_length"},
        {"row": 9, "code": "优惠码12345", "reason": "invalid_characters_or_length"},
    ]}
    assert (body["inventory"], body["code_source"]) == (2, "imported")


def _post_codes(client, auth, batch_id, how, text):
    url = f"{API}/coupon-batches/{batch_id}/codes"
    if how == "file":
        return client.post(url, headers=auth, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(text.encode()), "codes.csv")})
    if how == "text":
        return client.post(url, headers=auth, data=text.encode(), content_type="text/csv")
    return client.post(url, headers=auth, json={"csv": text})


@pytest.mark.parametrize("how", ["file", "text", "json"])
def test_import_more_codes_three_ways(client, auth, campaign, how):
    batch = batch_of(campaign, 2)
    resp = _post_codes(client, auth, batch.id, how, "code\nNEW00001\nNEW00002\nNEW00001\n")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["accepted"] == 2
    assert body["rejected"] == [{"row": 4, "code": "NEW00001", "reason": "duplicate_in_file"}]
    assert body["batch"]["inventory"] == 4 and body["batch"]["code_source"] == "mixed"
    again = _post_codes(client, auth, batch.id, how, "NEW00002\n").get_json()
    assert again["rejected"][0]["reason"] == "already_exists"


def test_import_reads_excel_csv_with_bom_and_gbk(client, auth, campaign):
    batch = batch_of(campaign, 0)
    url = f"{API}/coupon-batches/{batch.id}/codes"
    bom = "\ufeffcode\r\nBOM00001\r\n".encode()
    assert client.post(url, headers=auth, data=bom, content_type="text/csv").get_json()[
        "accepted"] == 1
    gbk = "GBK00001,满30减5\n".encode("gb18030")
    assert client.post(url, headers=auth, data=gbk, content_type="text/csv").get_json()[
        "accepted"] == 1


def test_import_refuses_absurd_or_empty_uploads(client, auth, campaign):
    batch = batch_of(campaign, 0)
    url = f"{API}/coupon-batches/{batch.id}/codes"
    huge = b"ABCDEFGH\n" * (650 * 1024)
    assert_error(client.post(url, headers=auth, data=huge, content_type="text/csv"), 413,
                 "too_large")
    many = "ABCD\n" * 100_010
    assert_error(client.post(url, headers=auth, json={"csv": many}), 413, "too_large")
    assert_error(client.post(url, headers=auth, data=b"  \n", content_type="text/csv"), 422,
                 "empty_file")
    assert_error(client.post(url, headers=auth, json={"csv": ""}), 422, "validation_error")
    assert_error(client.post(url, headers=auth, data={"other": "x"},
                             content_type="multipart/form-data"), 422, "validation_error")
    assert_error(client.post(url, headers=auth, data=b"x", content_type="image/png"), 415,
                 "unsupported_media_type")
    assert coupons.batch_counts([batch.id])[batch.id]["inventory"] == 0


# prizes


def test_prize_odds_never_pass_a_million(client, auth, campaign):
    url = f"{API}/campaigns/{campaign.id}/prizes"
    first = client.post(url, json={"name": "一等奖", "probability_ppm": 600_000, "stock": 10},
                        headers=auth)
    assert first.status_code == 201, first.get_json()
    first = first.get_json()
    assert (first["awarded"], first["paced"], first["batch_id"]) == (0, False, None)
    resp = client.post(url, json={"name": "二等奖", "probability_ppm": 400_001}, headers=auth)
    assert "probability_ppm" in assert_error(resp, 422, "odds_exceeded")["fields"]
    assert client.post(url, json={"name": "二等奖", "probability_ppm": 400_000},
                       headers=auth).status_code == 201
    prize_url = f"{API}/prizes/{first['id']}"
    assert client.patch(prize_url, json={"probability_ppm": 600_000},
                        headers=auth).status_code == 200
    assert_error(client.patch(prize_url, json={"probability_ppm": 600_001}, headers=auth),
                 422, "odds_exceeded")
    assert_error(client.post(url, json={"name": "x", "probability_ppm": 1_000_001},
                             headers=auth), 422, "validation_error")
    names = [p["name"] for p in client.get(url, headers=auth).get_json()["prizes"]]
    assert names == ["一等奖", "二等奖"]


def test_prize_batch_must_be_the_brands(client, auth, campaign):
    url = f"{API}/campaigns/{campaign.id}/prizes"
    mine = batch_of(campaign)
    theirs = batch_of(make_campaign(make_brand("beta")))
    resp = client.post(url, json={"name": "券", "batch_id": mine.id}, headers=auth)
    assert resp.status_code == 201 and resp.get_json()["batch_id"] == mine.id
    prize_url = f"{API}/prizes/{resp.get_json()['id']}"
    resp = client.post(url, json={"name": "券", "batch_id": theirs.id}, headers=auth)
    assert "batch_id" in assert_error(resp, 422, "unknown_batch")["fields"]
    assert_error(client.patch(prize_url, json={"batch_id": theirs.id}, headers=auth), 422,
                 "unknown_batch")
    assert_error(client.patch(prize_url, json={"batch_id": 999_999}, headers=auth), 422,
                 "unknown_batch")
    assert db.session.get(Prize, int(prize_url.rsplit("/", 1)[1])).batch_id == mine.id


def test_prize_delete_is_refused_once_awarded(client, auth, campaign):
    url = f"{API}/campaigns/{campaign.id}/prizes"
    kept, gone = (client.post(url, json={"name": n}, headers=auth).get_json()["id"]
                  for n in ("已抽中", "未抽中"))
    db.session.get(Prize, kept).awarded = 1
    db.session.commit()
    assert_error(client.delete(f"{API}/prizes/{kept}", headers=auth), 409, "prize_awarded")
    assert_error(client.patch(f"{API}/prizes/{kept}", json={"stock": 0}, headers=auth), 422,
                 "stock_below_awarded")
    assert client.delete(f"{API}/prizes/{gone}", headers=auth).status_code == 204
    assert [p["id"] for p in client.get(url, headers=auth).get_json()["prizes"]] == [kept]


# reward rules


def test_reward_rules(client, auth, campaign):
    url = f"{API}/campaigns/{campaign.id}/reward-rules"
    batch = batch_of(campaign, title="高分券")
    score = client.post(url, json={"trigger": "score", "threshold": 2048, "batch_id": batch.id},
                        headers=auth)
    assert score.status_code == 201, score.get_json()
    assert score.get_json()["title"] == "高分券" and score.get_json()["period"] is None
    rank = client.post(url, headers=auth, json={"trigger": "rank", "period": "weekly",
                                                "rank_from": 1, "rank_to": 10,
                                                "batch_id": batch.id, "title": "周榜前十"})
    assert rank.status_code == 201 and rank.get_json()["threshold"] is None
    listed = client.get(url, headers=auth).get_json()["rules"]
    assert [r["trigger"] for r in listed] == ["score", "rank"]
    assert client.delete(f"{API}/reward-rules/{score.get_json()['id']}",
                         headers=auth).status_code == 204
    assert [r["trigger"] for r in client.get(url, headers=auth).get_json()["rules"]] == ["rank"]


@pytest.mark.parametrize("trigger", ["goal_reached", "maturity"])
def test_goal_reached_rules_accept_the_old_trigger_name(client, auth, campaign, trigger):
    resp = client.post(f"{API}/campaigns/{campaign.id}/reward-rules", headers=auth,
                       json={"trigger": trigger, "batch_id": batch_of(campaign).id})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["trigger"] == "goal_reached" and resp.get_json()["threshold"] is None


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"trigger": "score"}, 422, "invalid_rule"),
    ({"trigger": "rank", "period": "daily", "rank_from": 5}, 422, "invalid_rule"),
    ({"trigger": "rank", "period": "daily", "rank_from": 5, "rank_to": 4}, 422, "invalid_rule"),
    ({"trigger": "rank", "period": "monthly", "rank_from": 1, "rank_to": 3}, 422,
     "validation_error"),
    ({"trigger": "rank", "period": "all", "rank_from": 0, "rank_to": 3}, 422,
     "validation_error"),
    ({"trigger": "share", "threshold": 1}, 422, "validation_error"),
    ({"trigger": "score", "threshold": "high"}, 422, "validation_error"),
])
def test_reward_rule_validation(client, auth, campaign, body, status, code):
    batch = batch_of(campaign)
    resp = client.post(f"{API}/campaigns/{campaign.id}/reward-rules",
                       json={"batch_id": batch.id, **body}, headers=auth)
    assert_error(resp, status, code)


def test_reward_rule_batch_must_be_the_brands(client, auth, campaign):
    theirs = batch_of(make_campaign(make_brand("beta")))
    resp = client.post(f"{API}/campaigns/{campaign.id}/reward-rules", headers=auth,
                       json={"trigger": "score", "threshold": 1, "batch_id": theirs.id})
    assert_error(resp, 422, "unknown_batch")
