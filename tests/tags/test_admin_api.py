"""Admin tag API: groups, rules (CRUD, 422 naming the field, dry run), counts; evaluation."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from engine.access.auth import create_access_token, create_api_key
from engine.clock import utcnow
from engine.events import record_event
from engine.extensions import db
from engine.models import PlayerTag, ProfilingConsent, TagChange, TagGroup, TagRule
from tags import evaluation, outbox
from tests.factories import make_brand, make_campaign, make_marketer, make_player

MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


def bearer(marketer) -> dict:
    secret, _ = create_access_token(marketer, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def consenting_player(brand, **fields):
    player = make_player(brand, **fields)
    db.session.add(ProfilingConsent(brand_id=brand.id, player_id=player.id, profiling=True,
                                    targeting=True, notice_version="2026-11-v1"))
    db.session.commit()
    return player


def active(brand, campaign, player, days_ago: float, kind: str = "visit") -> None:
    event = record_event(kind, brand_id=brand.id, campaign_id=campaign.id, player_id=player.id)
    event.created_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()


def moment(value) -> bool:
    return isinstance(value, str) and bool(MOMENT.match(value))


def tags_of(player) -> set[str]:
    from tags.state import tags_of as held
    return {t.rule.name for t in held(player.brand_id, player.id)}


def test_default_groups_and_rules_come_first(client):
    brand = make_brand()
    headers = bearer(make_marketer(brand))
    groups = client.get(f"/api/v1/admin/brands/{brand.slug}/tag-groups", headers=headers).json
    assert {"name": "活跃度", "exclusive": True} in [
        {"name": g["name"], "exclusive": g["exclusive"]} for g in groups["groups"]]
    rules = client.get(f"/api/v1/admin/brands/{brand.slug}/tag-rules", headers=headers).json
    names = {r["name"] for r in rules["rules"]}
    assert {"高手", "KOC", "深度传播", "活跃", "沉睡", "流失", "领券未核销", "已核销",
            "只看不玩", "合成玩家", "竞速玩家", "养成玩家", "新客"} <= names
    other = make_brand()
    resp = client.get(f"/api/v1/admin/brands/{other.slug}/tag-rules", headers=headers)
    assert resp.status_code == 404


def test_bad_rules_get_422_naming_the_field_and_nothing_is_saved(client):
    brand = make_brand()
    headers = bearer(make_marketer(brand))
    url = f"/api/v1/admin/brands/{brand.slug}/tag-rules"
    cases = [({"metric": "height", "op": ">=", "value": 1}, "metric"),
             ({"metric": "plays", "op": "=>", "value": 1}, "op"),
             ({"metric": "plays", "op": ">=", "value": "many"}, "value"),
             ({"metric": "best_score", "top_pct": 10, "campaign": 999}, "campaign")]
    for rule, field in cases:
        resp = client.post(url, json={"name": "坏规则", "group": "参与", "rule": rule},
                           headers=headers)
        assert resp.status_code == 422, resp.json
        assert field in resp.json["error"]["fields"]["rule"], resp.json
    resp = client.post(url, json={"name": "x", "group": "没有这个组",
                                  "rule": {"metric": "plays", "op": ">=", "value": 1}},
                       headers=headers)
    assert resp.status_code == 422 and "group" in resp.json["error"]["fields"]
    names = {r["name"] for r in client.get(url, headers=headers).json["rules"]}
    assert "坏规则" not in names and "x" not in names


def test_rule_crud_dry_run_counts_and_removal_changes(client):
    brand = make_brand()
    campaign = make_campaign(brand)
    headers = bearer(make_marketer(brand))
    players = [consenting_player(brand) for _ in range(3)]
    declined = make_player(brand)
    for p in [*players, declined]:
        active(brand, campaign, p, 0.1)
    active(brand, campaign, players[0], 0.2)
    base = f"/api/v1/admin/brands/{brand.slug}"
    rule = {"event": "visit", "within_days": 1, "min_count": 2}
    dry = client.post(f"{base}/tag-rules/dry-run", json={"rule": rule}, headers=headers)
    assert dry.status_code == 200 and dry.json == {"players": 4, "matched": 1, "would_tag": 1}
    created = client.post(f"{base}/tag-rules", headers=headers,
                          json={"name": "常客", "group": "参与", "rule": rule})
    assert created.status_code == 201, created.json
    assert created.json == {"id": created.json["id"], "name": "常客", "group": "参与",
                            "rule": rule, "priority": 0, "created_at": created.json["created_at"],
                            "updated_at": created.json["updated_at"]}
    assert moment(created.json["created_at"]) and moment(created.json["updated_at"])
    listed = client.get(f"{base}/tag-rules", headers=headers).json["rules"]
    assert [r for r in listed if r["id"] == created.json["id"]] == [created.json]
    dup = client.post(f"{base}/tag-rules", headers=headers,
                      json={"name": "常客", "group": "参与", "rule": rule})
    assert dup.status_code == 409
    assert evaluation.evaluate_brand(brand.id).changes > 0
    assert "常客" in tags_of(players[0]) and "常客" not in tags_of(players[1])
    assert tags_of(declined) == set()  # no consent: never tagged
    assert evaluation.evaluate_brand(brand.id).changes == 0  # twice: nothing written
    tags = client.get(f"{base}/tags", headers=headers).json["tags"]
    counts = {t["tag"]: t["players"] for t in tags}
    assert counts["常客"] == 1 and counts["活跃"] == 3 and counts["沉睡"] == 0
    assert {"rule_id": created.json["id"], "tag": "常客", "group": "参与", "exclusive": False,
            "priority": 0, "players": 1} in tags
    [lively] = [t for t in tags if t["tag"] == "活跃"]
    assert set(lively) == {"rule_id", "tag", "group", "exclusive", "priority", "players"}
    assert (lively["group"], lively["exclusive"], lively["players"]) == ("活跃度", True, 3)
    patched = client.patch(f"{base}/tag-rules/{created.json['id']}", headers=headers,
                           json={"rule": {"event": "visit", "within_days": 1}, "priority": 5})
    assert patched.status_code == 200
    assert patched.json == {**created.json, "priority": 5,
                            "rule": {"event": "visit", "within_days": 1, "min_count": 1},
                            "updated_at": patched.json["updated_at"]}
    assert moment(patched.json["updated_at"])
    evaluation.evaluate_brand(brand.id)
    assert all("常客" in tags_of(p) for p in players)
    gone = client.delete(f"{base}/tag-rules/{created.json['id']}", headers=headers)
    assert gone.status_code == 204
    removed = db.session.scalars(select(TagChange).where(
        TagChange.tag == "常客", TagChange.op == "remove")).all()
    assert {c.player_id for c in removed} == {p.id for p in players}
    assert {c.reason for c in removed} == {"rule_deleted"}


def test_a_rule_moved_to_another_group_answers_with_the_new_group(client):
    brand = make_brand()
    headers = bearer(make_marketer(brand))
    url = f"/api/v1/admin/brands/{brand.slug}/tag-rules"
    rule = {"metric": "plays", "op": ">=", "value": 3}
    made = client.post(url, headers=headers, json={"name": "常玩", "group": "参与", "rule": rule,
                                                   "priority": -2}).json
    assert (made["group"], made["priority"]) == ("参与", -2)
    moved = client.patch(f"{url}/{made['id']}", headers=headers, json={"group": "生命周期"})
    assert moved.status_code == 200
    assert moved.json == {**made, "group": "生命周期", "updated_at": moved.json["updated_at"]}
    assert [r for r in client.get(url, headers=headers).json["rules"]
            if r["id"] == made["id"]] == [moved.json]


def test_the_crm_reads_a_players_tags_every_field(client):
    brand = make_brand()
    campaign = make_campaign(brand)
    player, untagged = consenting_player(brand), make_player(brand)
    for p in (player, untagged):
        active(brand, campaign, p, 0.1)
    evaluation.evaluate_brand(brand.id)
    secret, _ = create_api_key(brand, ["tags:read"])
    db.session.commit()
    key = {"Authorization": f"Bearer {secret}"}
    rows = db.session.execute(
        select(PlayerTag.rule_id, TagRule.name, TagGroup.name)
        .join(TagRule, TagRule.id == PlayerTag.rule_id)
        .join(TagGroup, TagGroup.id == PlayerTag.group_id)
        .where(PlayerTag.player_id == player.id).order_by(PlayerTag.set_at, PlayerTag.id)).all()
    assert {name for _, name, _ in rows} >= {"只看不玩", "活跃", "新客"}
    answer = client.get(f"/api/v1/crm/players/{player.id}/tags", headers=key).json
    assert all(moment(t["set_at"]) for t in answer["tags"])
    assert answer == {"player_id": player.id, "tags": [
        {"tag": tag, "group": group, "rule_id": rule_id, "set_at": t["set_at"]}
        for (rule_id, tag, group), t in zip(rows, answer["tags"], strict=True)]}
    assert client.get(f"/api/v1/crm/players/{untagged.id}/tags", headers=key).json == {
        "player_id": untagged.id, "tags": []}
    stranger = make_player(make_brand())
    assert client.get(f"/api/v1/crm/players/{stranger.id}/tags", headers=key).status_code == 404


def test_exclusive_group_gives_the_highest_priority_tag(app):
    brand = make_brand()
    campaign = make_campaign(brand)
    fresh, sleepy, lost = (consenting_player(brand) for _ in range(3))
    active(brand, campaign, fresh, 1)
    active(brand, campaign, sleepy, 10)
    active(brand, campaign, lost, 40)  # matches 沉睡 too: 流失 has the higher priority
    evaluation.evaluate_brand(brand.id)
    assert {"活跃"} == tags_of(fresh) & {"活跃", "沉睡", "流失"}
    assert {"沉睡"} == tags_of(sleepy) & {"活跃", "沉睡", "流失"}
    assert {"流失"} == tags_of(lost) & {"活跃", "沉睡", "流失"}
    active(brand, campaign, lost, 0)  # back: 流失 goes, 活跃 comes, in one pass
    evaluation.evaluate_brand(brand.id)
    assert {"活跃"} == tags_of(lost) & {"活跃", "沉睡", "流失"}
    ops = [(c.tag, c.op) for c in db.session.scalars(
        select(TagChange).where(TagChange.player_id == lost.id).order_by(TagChange.id))]
    assert ("流失", "remove") in ops and ops.index(("流失", "remove")) > ops.index(("流失", "add"))


def test_consent_withdrawal_removes_tags_and_the_crm_hears_it(client):
    brand = make_brand()
    campaign = make_campaign(brand)
    client.get(f"/c/{campaign.slug}")
    resp = client.post(f"/api/v1/campaigns/{campaign.slug}/consent",
                       json={"profiling": True, "notice_version": "2026-11-v1"})
    assert resp.status_code == 200 and resp.json["profiling"] is True
    view = client.get(f"/api/v1/campaigns/{campaign.slug}").json
    assert view["consent"]["answered"] and view["consent"]["handler"] == brand.name
    player_id = view["player"]["id"]
    evaluation.evaluate_brand(brand.id)
    held = db.session.scalar(select(func.count()).select_from(PlayerTag)
                             .where(PlayerTag.player_id == player_id))
    assert held >= 2  # 只看不玩, 活跃, 新客
    resp = client.post(f"/api/v1/campaigns/{campaign.slug}/consent",
                       json={"profiling": False, "notice_version": "2026-11-v1"})
    assert resp.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(PlayerTag)
                             .where(PlayerTag.player_id == player_id)) == 0
    page = outbox.changes_after(brand.id, 0, 100)
    removes = [c for c in page.changes if c.op == "remove"]
    assert len(removes) == held and {c.reason for c in removes} == {"consent_withdrawn"}
    assert evaluation.evaluate_brand(brand.id).changes == 0  # and never tagged again
    bad = client.post(f"/api/v1/campaigns/{campaign.slug}/consent", json={"profiling": "maybe"})
    assert bad.status_code in (400, 422)
