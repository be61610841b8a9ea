"""The preview: test rounds scored by the real rules and stored nowhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from engine.extensions import db
from engine.models import BrandMember, Event, GameState, PlaySession, Score
from tests.engine.test_play_shapes import GARDEN_KEYS
from tests.factories import make_brand, make_campaign, make_marketer
from tests.support.console import api_csrf, sign_in

GOLDEN = json.loads((Path(__file__).parent.parent / "golden" / "synthesis.json").read_text())
PASSWORD = "pw-123456"


@pytest.fixture
def brand(app):
    return make_brand("alpha", "阿尔法")


def signed_in(client, brand, role="marketer"):
    marketer = make_marketer(brand, password=PASSWORD)
    db.session.execute(update(BrandMember).where(BrandMember.marketer_id == marketer.id)
                       .values(role=role))
    db.session.commit()
    sign_in(client, marketer.email, PASSWORD)
    return {"X-CSRF-Token": api_csrf(client), "Accept": "application/json"}


def nothing_stored() -> bool:
    counts = [db.session.scalar(select(func.count()).select_from(m))
              for m in (PlaySession, Score, GameState, Event)]
    return counts == [0, 0, 0, 0]


@pytest.mark.parametrize("role", ["marketer", "analyst"])
def test_a_preview_round_is_replayed_by_the_real_rules_and_not_stored(client, brand, role):
    case = GOLDEN["cases"][0]
    campaign = make_campaign(brand, status="draft", game_params=case["params"])
    headers = signed_in(client, brand, role)
    frame = client.get(f"/admin/campaigns/{campaign.id}/preview/frame").get_data(as_text=True)
    # under content-hashed names (js/preview-<md5>.js)
    assert "js/preview" in frame and "synthesis/client" in frame and "<script>" not in frame
    resp = client.post(f"/admin/campaigns/{campaign.id}/preview/replay", headers=headers,
                       json={"seed": case["seed"], "moves": case["moves"]})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"score": case["score"], "moves": len(case["moves"]),
                               "over": case["over"]}
    assert nothing_stored()


def test_a_preview_round_needs_the_csrf_header_and_a_sane_log(client, brand):
    campaign = make_campaign(brand, status="draft")
    headers = signed_in(client, brand)
    url = f"/admin/campaigns/{campaign.id}/preview/replay"
    assert client.post(url, json={"seed": 1, "moves": []}).status_code == 400
    bad = client.post(url, headers=headers, json={"seed": 1, "moves": [{"d": "X", "t": 1}]})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_moves"
    junk = client.post(url, headers=headers, json={"seed": "x"})
    assert junk.status_code == 422 and junk.get_json()["error"]["code"] == "validation_error"


def test_a_nurture_preview_acts_on_its_own_state(client, brand):
    campaign = make_campaign(brand, status="draft", game_type="nurture")
    headers = signed_in(client, brand)
    url = f"/admin/campaigns/{campaign.id}/preview/garden"
    fresh = client.get(url, headers=headers).get_json()
    action = campaign.game_params["actions"][0]["key"]
    done = client.post(url, headers=headers, json={"state": fresh["state"], "action": action})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["gained"] > 0 and body["garden"] and body["state"] != fresh["state"]
    again = client.post(url, headers=headers, json={"state": body["state"], "action": action})
    assert again.status_code == 429  # the game's own cooldown, as a player would meet it
    assert nothing_stored()


def test_a_nurture_preview_answers_every_field_a_player_gets_and_its_state(client, brand):
    campaign = make_campaign(brand, game_type="nurture")
    headers = signed_in(client, brand)
    url = f"/admin/campaigns/{campaign.id}/preview/garden"
    fresh = client.get(url, headers=headers).get_json()
    assert fresh == {"garden": fresh["garden"], "maturity_rewards": [], "state": fresh["state"]}
    assert set(fresh["garden"]) == set(GARDEN_KEYS) and fresh["state"]
    player = client.get(f"/api/v1/campaigns/{campaign.slug}/garden").get_json()
    assert set(fresh) - {"state"} == set(player)  # a player's answer, field for field
    timers = ("refill_in", "actions")  # seconds left: they run on between the two answers
    assert ({k: v for k, v in fresh["garden"].items() if k not in timers}
            == {k: v for k, v in player["garden"].items() if k not in timers})
    action = campaign.game_params["actions"][0]
    body = client.post(url, headers=headers,
                       json={"state": fresh["state"], "action": action["key"]}).get_json()
    # a player's action answer (no coupon in a preview), field for field, and the new state
    assert body == {"action": action["key"], "gained": body["garden"]["growth"],
                    "matured": False, "rewards": [], "garden": body["garden"],
                    "state": body["state"]}
    assert body["gained"] > 0 and set(body["garden"]) == set(GARDEN_KEYS)
    assert body["state"] != fresh["state"]
