"""Data collection with consent: 201 with consent, 422 without; phones encrypted and masked."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, text

from engine.access.auth import create_access_token
from engine.events import record_event
from engine.extensions import db
from engine.models import Event, PlayerProfile
from engine.privacy.phone import mask_phone, normalize_mobile
from tags.columns import load
from tags.metrics import compute
from tests.factories import make_brand, make_campaign, make_marketer

FORM = {"when": "before", "purpose": "用于会员积分与门店活动通知", "consent_version": "2026-11",
        "fields": [{"key": "phone", "type": "phone", "label": "手机号", "required": True},
                   {"key": "name", "type": "name", "label": "姓名"},
                   {"key": "size", "type": "choice", "label": "杯型", "options": ["中杯", "大杯"]},
                   {"key": "birthday", "type": "date", "label": "生日"},
                   {"key": "note", "type": "text", "label": "备注", "max_length": 20}]}
SCHEMA_FAILURE = (400, 422)


@pytest.fixture
def setup(app, client):
    brand = make_brand("tea", "鲜果茶饮")
    campaign = make_campaign(brand)
    auth = {"Authorization": f"Bearer {create_access_token(make_marketer(brand))[0]}"}
    db.session.commit()
    resp = client.put(f"/api/v1/admin/campaigns/{campaign.id}/profile-form", json=FORM,
                      headers=auth)
    assert resp.status_code == 200, resp.get_json()
    return campaign, auth


def answer(**changes) -> dict:
    body = {"fields": {"phone": "138 0013 8000", "name": "张三", "size": "大杯",
                       "birthday": "1990-05-01", "note": "少冰"},
            "consent": True, "consent_version": "2026-11", "age_confirmed": True}
    body.update(changes)
    return body


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(PlayerProfile))


def test_the_form_names_the_brand_as_handler_and_is_due_before_play(client, setup):
    campaign, _ = setup
    state = client.get(f"/api/v1/campaigns/{campaign.slug}/profile").get_json()
    assert state["form"]["handler"] == "鲜果茶饮"
    assert state["form"]["consent_version"] == "2026-11"
    assert [f["key"] for f in state["form"]["fields"]] == ["phone", "name", "size", "birthday",
                                                           "note"]
    client.get(f"/c/{campaign.slug}")  # becomes a player
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/profile").get_json()["due"] is True


def test_every_field_of_the_form_for_a_stranger_a_player_and_its_marketer(client, setup):
    campaign, auth = setup
    url = f"/api/v1/campaigns/{campaign.slug}/profile"
    shown = {"when": "before", "purpose": FORM["purpose"], "consent_version": "2026-11",
             "handler": "鲜果茶饮",
             "fields": [{"key": "phone", "type": "phone", "label": "手机号", "required": True},
                        {"key": "name", "type": "name", "label": "姓名", "required": False},
                        {"key": "size", "type": "choice", "label": "杯型",
                         "options": ["中杯", "大杯"], "required": False},
                        {"key": "birthday", "type": "date", "label": "生日", "required": False},
                        {"key": "note", "type": "text", "label": "备注", "max_length": 20,
                         "required": False}]}
    assert client.get(url).get_json() == {"form": shown, "submitted": False, "due": False}
    admin = f"/api/v1/admin/campaigns/{campaign.id}/profile-form"
    assert client.get(admin, headers=auth).get_json() == {"form": shown, "submitted": False,
                                                          "due": False}
    put = client.put(admin, json={**FORM, "when": "after"}, headers=auth).get_json()
    assert put == {"form": {**shown, "when": "after"}, "submitted": False, "due": False}
    client.put(admin, json=FORM, headers=auth)
    client.get(f"/c/{campaign.slug}")  # becomes a player
    assert client.get(url).get_json() == {"form": shown, "submitted": False, "due": True}
    saved = client.post(url, json=answer()).get_json()
    profile = db.session.scalar(select(PlayerProfile))
    assert saved == {"submitted": True, "phone": "138****8000", "consent_version": "2026-11",
                     "consented_at": profile.consented_at.isoformat()}
    assert client.get(url).get_json() == {"form": shown, "submitted": True, "due": False}


def test_no_form_is_shown_as_null(client, app):
    campaign = make_campaign()
    auth = {"Authorization": f"Bearer {create_access_token(make_marketer(campaign.brand))[0]}"}
    db.session.commit()
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/profile").get_json() == {
        "form": None, "submitted": False, "due": False}
    assert client.get(f"/api/v1/admin/campaigns/{campaign.id}/profile-form",
                      headers=auth).get_json() == {"form": None, "submitted": False, "due": False}


def test_an_answer_with_consent_is_201_encrypted_and_masked(client, setup):
    campaign, auth = setup
    saved = client.post(f"/api/v1/campaigns/{campaign.slug}/profile", json=answer())
    assert saved.status_code == 201, saved.get_json()
    assert saved.get_json()["phone"] == "138****8000"
    assert saved.get_json()["consent_version"] == "2026-11"
    raw = db.session.execute(text("SELECT phone, name, answers FROM player_profiles")).one()
    assert all("13800138000" not in (v or "") and "张三" not in (v or "") for v in raw)
    profile = db.session.scalar(select(PlayerProfile))
    assert (profile.phone, profile.name) == ("13800138000", "张三")
    assert profile.consented_at is not None and profile.age_confirmed
    [event] = db.session.scalars(select(Event).where(Event.kind == "profile_completed"))
    assert "13800138000" not in str(event.props)
    state = client.get(f"/api/v1/campaigns/{campaign.slug}/profile").get_json()
    assert state["submitted"] is True and state["due"] is False
    listed = client.get(f"/api/v1/admin/campaigns/{campaign.id}/profiles", headers=auth)
    [row] = listed.get_json()["profiles"]
    assert row["phone"] == "138****8000" and row["answers"]["size"] == "大杯"
    csv = client.get(f"/api/v1/admin/campaigns/{campaign.id}/profiles?format=csv", headers=auth)
    assert csv.mimetype == "text/csv"
    body = csv.get_data(as_text=True)
    assert "138****8000" in body and "13800138000" not in body


@pytest.mark.parametrize("changes, field, code", [
    ({"consent": False}, "consent", "consent_required"),
    ({"age_confirmed": False}, "age_confirmed", "age_not_confirmed"),
    ({"consent_version": "2025-01"}, "consent_version", "consent_outdated"),
    ({"fields": {"phone": "12345678901"}}, "fields.phone", "invalid_profile"),
    ({"fields": {"phone": "1380013800"}}, "fields.phone", "invalid_profile"),
    ({"fields": {"name": "张三"}}, "fields.phone", "invalid_profile"),
    ({"fields": {"phone": "13800138000", "size": "超大杯"}}, "fields.size", "invalid_profile"),
    ({"fields": {"phone": "13800138000", "birthday": "1990-13-01"}}, "fields.birthday",
     "invalid_profile"),
    ({"fields": {"phone": "13800138000", "note": "x" * 21}}, "fields.note", "invalid_profile"),
    ({"fields": {"phone": "13800138000", "idcard": "1"}}, "fields.idcard", "invalid_profile"),
])
def test_refused_answers_are_422_and_store_nothing(client, setup, changes, field, code):
    campaign, _ = setup
    refused = client.post(f"/api/v1/campaigns/{campaign.slug}/profile", json=answer(**changes))
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["error"]["code"] == code
    assert field in refused.get_json()["error"]["fields"]
    assert stored() == 0


def test_consent_must_be_given_explicitly(client, setup):
    campaign, _ = setup
    body = answer()
    del body["consent"]
    refused = client.post(f"/api/v1/campaigns/{campaign.slug}/profile", json=body)
    assert refused.status_code in SCHEMA_FAILURE and "consent" in refused.get_json()["error"][
        "fields"]
    assert stored() == 0


def test_after_play_forms_wait_until_the_player_has_played(client, setup):
    campaign, auth = setup
    client.put(f"/api/v1/admin/campaigns/{campaign.id}/profile-form",
               json={**FORM, "when": "after"}, headers=auth)
    client.get(f"/c/{campaign.slug}")
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/profile").get_json()["due"] is False
    player_id = db.session.scalar(select(Event.player_id).where(Event.kind == "visit"))
    record_event("play_finished", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=player_id)
    db.session.commit()
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/profile").get_json()["due"] is True


@pytest.mark.parametrize("change, field", [
    ({"fields": []}, "fields"), ({"when": "during"}, "when"), ({"purpose": ""}, "purpose"),
    ({"fields": [{"key": "size", "type": "choice", "label": "杯型"}]}, "fields"),
    ({"fields": [{"key": "a", "type": "phone", "label": "1"},
                 {"key": "b", "type": "phone", "label": "2"}]}, "fields"),
    ({"fields": [{"key": "Bad Key", "type": "text", "label": "x"}]}, "fields"),
])
def test_a_malformed_form_is_refused_naming_the_field(client, setup, change, field):
    campaign, auth = setup
    resp = client.put(f"/api/v1/admin/campaigns/{campaign.id}/profile-form",
                      json={**FORM, **change}, headers=auth)
    assert resp.status_code in SCHEMA_FAILURE and field in resp.get_json()["error"]["fields"]


def test_no_form_is_404_and_another_brand_cannot_set_one(client, app):
    campaign = make_campaign(make_brand())
    resp = client.post(f"/api/v1/campaigns/{campaign.slug}/profile", json=answer())
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "no_profile_form"
    stranger = {"Authorization": f"Bearer {create_access_token(make_marketer(make_brand()))[0]}"}
    db.session.commit()
    assert client.put(f"/api/v1/admin/campaigns/{campaign.id}/profile-form", json=FORM,
                      headers=stranger).status_code == 404


def test_mobile_numbers_are_normalized_and_masked():
    assert normalize_mobile("+86 138-0013-8000") == "13800138000"
    assert normalize_mobile("008613800138000") == "13800138000"
    assert normalize_mobile("23800138000") is None and normalize_mobile("") is None
    assert mask_phone("13800138000") == "138****8000" and mask_phone(None) is None


def test_completing_the_form_is_a_tag_metric(client, setup):
    campaign, _ = setup
    client.get(f"/c/{campaign.slug}")
    other = make_campaign(campaign.brand)  # a player who never answers
    client.application.test_client().get(f"/c/{other.slug}")
    assert client.post(f"/api/v1/campaigns/{campaign.slug}/profile",
                       json=answer()).status_code == 201
    answered = db.session.scalar(select(PlayerProfile.player_id))
    metrics = compute(load(campaign.brand_id, int(time.time())))
    values = dict(zip(metrics.player_ids.tolist(), metrics.values["profile_completed"].tolist(),
                      strict=True))
    assert values[answered] == 1 and sorted(values.values()) == [0, 1]
