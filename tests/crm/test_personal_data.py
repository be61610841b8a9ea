"""Export and erasure of a player's data (API with players:write, CLI), passed on to CRMs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine.access.auth import create_api_key
from engine.clock import isoformat
from engine.extensions import db
from engine.models import (
    Campaign,
    Coupon,
    Event,
    Player,
    PlayerProfile,
    PlayerTag,
    PlayerWeCom,
    PlaySession,
    TagChange,
    TagGroup,
    TagRule,
)
from engine.play.sessions import start_session
from engine.privacy import profile
from engine.rewards.coupons import create_batch, issue_coupon
from tags.crm import sync
from tags.crm.endpoints import create_endpoint
from tests.factories import make_brand, make_campaign
from tests.support.crm_changes import make_players, write_tag_changes
from tests.support.crm_receiver import CrmReceiver
from tests.support.wecom_server import FakeWeCom

FORM = {"when": "before", "purpose": "会员积分", "consent_version": "v1",
        "specs": [{"key": "phone", "type": "phone", "label": "手机号", "required": True}]}
SECRET = "whsec_erasure-secret-0123456789abcdef"


@pytest.fixture
def brand(app):
    return make_brand("tea")


@pytest.fixture
def key(brand):
    secret, _ = create_api_key(brand, ["players:write"])
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def player(brand):
    campaign = make_campaign(brand)
    profile.set_form(campaign, FORM)
    [player] = make_players(brand, 1, nickname="小红", avatar="https://thirdwx.qlogo.cn/a/132")
    profile.submit(campaign, player, {"consent": True, "consent_version": "v1",
                                      "age_confirmed": True, "answers": {"phone": "13800138000"}})
    return player


def test_export_has_everything_in_clear(client, key, player):
    resp = client.get(f"/api/v1/crm/players/{player.id}", headers=key)
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["player"]["openid"] == player.openid and data["player"]["nickname"] == "小红"
    assert data["profiles"][0]["phone"] == "13800138000"
    assert data["profiles"][0]["consent_version"] == "v1" and data["erased_at"] is None


def _every_field(player) -> dict:
    """Return the export as the rows say it should be, built here field by field."""
    profile_row, slug = db.session.execute(select(PlayerProfile, Campaign.slug).join(
        Campaign, Campaign.id == PlayerProfile.campaign_id)
        .where(PlayerProfile.player_id == player.id)).one()
    play, play_slug = db.session.execute(select(PlaySession, Campaign.slug).join(
        Campaign, Campaign.id == PlaySession.campaign_id)
        .where(PlaySession.player_id == player.id)).one()
    coupon = db.session.scalars(select(Coupon).where(Coupon.player_id == player.id)).one()
    tag = db.session.scalars(select(PlayerTag).where(PlayerTag.player_id == player.id)).one()
    return {
        "player": {"id": player.id, "openid": player.openid, "unionid": player.unionid,
                   "nickname": "小红", "avatar": "https://thirdwx.qlogo.cn/a/132",
                   "created_at": isoformat(player.created_at),
                   "last_seen_at": isoformat(player.last_seen_at)},
        "erased_at": None,
        "profiles": [{"campaign": slug, "phone": "13800138000", "name": None,
                      "answers": {"city": "上海"}, "consent_version": "v1",
                      "consented_at": isoformat(profile_row.consented_at),
                      "age_confirmed": True}],
        "plays": [{"campaign": play_slug, "session_id": play.id, "status": "open",
                   "score": None, "started_at": isoformat(play.created_at),
                   "finished_at": None}],
        "coupons": [{"code": coupon.code, "status": "issued"}],
        "tags": [{"rule_id": tag.rule_id, "group_id": tag.group_id,
                  "set_at": isoformat(tag.set_at)}],
        "wecom": [{"corp_id": "ww0123456789", "external_userid": "wm-export",
                   "userid": "staff-1"}],
    }


def test_export_names_every_field_of_every_section(client, runner, brand, key):
    campaign = make_campaign(brand)
    profile.set_form(campaign, {**FORM, "specs": [*FORM["specs"], {
        "key": "city", "type": "text", "label": "城市", "required": False}]})
    [player] = make_players(brand, 1, nickname="小红", avatar="https://thirdwx.qlogo.cn/a/132")
    profile.submit(campaign, player, {"consent": True, "consent_version": "v1",
                                      "age_confirmed": True,
                                      "answers": {"phone": "13800138000", "city": "上海"}})
    batch = create_batch(brand.id, campaign.id, 1, title="券")
    issue_coupon(batch, player.id, source="claim", campaign_id=campaign.id)
    group = TagGroup(brand_id=brand.id, name="活跃度")
    db.session.add(group)
    db.session.flush()
    rule = TagRule(brand_id=brand.id, group_id=group.id, name="高活跃", rule={})
    db.session.add(rule)
    db.session.flush()
    db.session.add_all([PlayerTag(brand_id=brand.id, player_id=player.id, rule_id=rule.id,
                                  group_id=group.id),
                        PlayerWeCom(player_id=player.id, corp_id="ww0123456789",
                                    external_userid="wm-export", userid="staff-1")])
    db.session.commit()
    start_session(campaign, player)
    expected = _every_field(player)
    assert all(expected["player"][k] for k in ("created_at", "last_seen_at"))
    resp = client.get(f"/api/v1/crm/players/{player.id}", headers=key)
    assert resp.status_code == 200 and resp.get_json() == expected
    out = runner.invoke(args=["players", "export", str(player.id), "--brand", "tea"])
    assert out.exit_code == 0 and json.loads(out.output) == expected
    assert out.output == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"  # its order


def test_a_key_without_the_scope_or_of_another_brand_is_refused(client, brand, key, player):
    reader, _ = create_api_key(brand, ["tags:read"])
    stranger, _ = create_api_key(make_brand(), ["players:write"])
    db.session.commit()
    assert client.get(f"/api/v1/crm/players/{player.id}",
                      headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    assert client.delete(f"/api/v1/crm/players/{player.id}",
                         headers={"Authorization": f"Bearer {stranger}"}).status_code == 404
    assert client.get(f"/api/v1/crm/players/{player.id}").status_code == 401


def test_erasure_removes_personal_fields_keeps_counts_and_reaches_the_crm(client, brand, key,
                                                                          player):
    openid = player.openid
    with CrmReceiver(SECRET) as receiver:
        create_endpoint(brand, {"kind": "webhook", "url": receiver.url, "secret": SECRET,
                                "tag_groups": ["活跃度"]})
        resp = client.delete(f"/api/v1/crm/players/{player.id}", headers=key)
        assert resp.status_code == 200 and resp.get_json()["player_id"] == player.id
        db.session.expire_all()
        erased = db.session.get(Player, player.id)
        assert (erased.openid, erased.unionid, erased.nickname, erased.avatar) == (None, None,
                                                                                  "", "")
        assert db.session.scalar(select(func.count()).select_from(PlayerProfile)) == 0
        completed = select(func.count()).select_from(Event).where(
            Event.kind == "profile_completed")
        assert db.session.scalar(completed) == 1  # the anonymous count stays
        [change] = db.session.scalars(select(TagChange)).all()
        assert (change.op, change.reason) == ("delete", "erasure")
        assert sync.sync_all().delivered == 1  # an erasure passes every group filter
        [sent] = receiver.applied
        assert sent == change.id
    again = client.delete(f"/api/v1/crm/players/{player.id}", headers=key)
    assert again.status_code == 200  # erasing again changes nothing
    assert db.session.scalar(select(func.count()).select_from(TagChange)) == 1
    export = client.get(f"/api/v1/crm/players/{player.id}", headers=key).get_json()
    assert export["erased_at"] and export["profiles"] == [] and export["player"]["openid"] is None
    assert openid not in json.dumps(export)


def test_the_delete_change_names_the_person_to_the_crm(client, brand, key, player):
    with CrmReceiver(SECRET) as receiver:
        create_endpoint(brand, {"kind": "webhook", "url": receiver.url, "secret": SECRET})
        openid = player.openid
        client.delete(f"/api/v1/crm/players/{player.id}", headers=key)
        captured = []
        original = receiver.handle

        def keep(headers, body):
            captured.append(json.loads(body))
            return original(headers, body)
        receiver.handle = keep
        sync.sync_all()
    [change] = captured[0]["changes"]
    assert change["op"] == "delete" and change["player"]["openid"] == openid
    assert change["player"]["phone"] is None  # erased: not sent again


def test_wecom_ids_set_by_the_brand_and_erasure_untags_the_contact(client, app, brand, key):
    [player] = make_players(brand, 1)
    with FakeWeCom() as wecom:
        app.config["WECOM_API_BASE"] = wecom.url
        create_endpoint(brand, {"kind": "wecom", "corp_id": wecom.corp_id,
                                "secret": wecom.secret})
        wecom.add_contact("wm-set-by-brand", userid="staff-9")  # no unionid link
        resp = client.put(f"/api/v1/crm/players/{player.id}/wecom", headers=key,
                          json={"external_userid": "wm-set-by-brand", "userid": "staff-9"})
        assert resp.status_code == 200 and resp.get_json()["source"] == "brand"
        write_tag_changes(brand, [(player, "活跃度", "高活跃", "add")])
        sync.sync_all()
        assert wecom.tags_of("wm-set-by-brand") == {"高活跃"}
        client.delete(f"/api/v1/crm/players/{player.id}", headers=key)
        assert sync.sync_all().delivered == 1
        assert wecom.tags_of("wm-set-by-brand") == set()
        assert db.session.scalar(select(func.count()).select_from(PlayerWeCom)) == 0
        refused = client.put(f"/api/v1/crm/players/{player.id}/wecom", headers=key,
                             json={"external_userid": "x", "userid": "y"})
        assert refused.status_code == 409


def test_wecom_ids_need_a_corp_when_none_or_several(client, key, player):
    resp = client.put(f"/api/v1/crm/players/{player.id}/wecom", headers=key,
                      json={"external_userid": "wm-1", "userid": "staff-1"})
    assert resp.status_code == 422 and "corp_id" in resp.get_json()["error"]["fields"]


def test_cli_exports_and_deletes(runner, brand, player):
    out = runner.invoke(args=["players", "export", str(player.id), "--brand", "tea"])
    assert out.exit_code == 0 and json.loads(out.output)["profiles"][0]["phone"] == "13800138000"
    assert runner.invoke(args=["players", "export", "999", "--brand", "tea"]).exit_code != 0
    done = runner.invoke(args=["players", "delete", str(player.id), "--brand", "tea", "--yes"])
    assert done.exit_code == 0 and "erased player" in done.output
    db.session.expire_all()
    assert db.session.get(Player, player.id).openid is None


def test_the_pull_api_names_the_erased_person_too(client, brand, key, player):
    openid = player.openid
    client.delete(f"/api/v1/crm/players/{player.id}", headers=key)
    reader, _ = create_api_key(brand, ["tags:read"])
    db.session.commit()
    page = client.get("/api/v1/crm/tag-changes", headers={"Authorization": f"Bearer {reader}"})
    [change] = page.get_json()["changes"]
    assert change["op"] == "delete" and change["player"]["openid"] == openid
    assert change["player"]["phone"] is None
