"""WeCom delivery against the local WeCom server: token, ledger, contacts, limits, stale tags."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import keys
from engine.extensions import db, redis_store
from engine.models import Delivery, PlayerWeCom, WeComTag
from tags.crm import sync
from tags.crm.endpoints import create_endpoint
from tags.crm.wecom_delivery import client_for
from tests.factories import make_brand
from tests.support.crm_changes import make_players, write_tag_changes
from tests.support.wecom_server import FakeWeCom

CORP, SECRET = "ww00112233445566bb", "contact-secret-wecom-tests"


@pytest.fixture
def wecom(app):
    with FakeWeCom(CORP, SECRET) as server:
        app.config.update(WECOM_API_BASE=server.url, CRM_BATCH_SIZE=100, CRM_HTTP_TIMEOUT_S=2)
        yield server


@pytest.fixture
def brand(wecom):
    brand = make_brand("tea")
    create_endpoint(brand, {"kind": "wecom", "corp_id": CORP, "secret": SECRET})
    return brand


def contacts(wecom, players, userid="staff-1"):
    for p in players:
        wecom.add_contact(f"wm-{p.id}", userid=userid, unionid=p.unionid)


def last_delivery() -> Delivery:
    db.session.expire_all()
    return db.session.scalars(select(Delivery).order_by(Delivery.id.desc())).first()


def test_tags_are_created_once_and_marked_on_contacts_found_by_unionid(wecom, brand):
    players = make_players(brand, 4)
    contacts(wecom, players)
    write_tag_changes(brand, [(p, "活跃度", "高活跃", "add") for p in players]
                      + [(players[0], "价值", "高价值", "add")])
    assert sync.sync_all().delivered == 1
    assert {wecom.tags_of(f"wm-{p.id}") == {"高活跃"} for p in players[1:]} == {True}
    assert wecom.tags_of(f"wm-{players[0].id}") == {"高活跃", "高价值"}
    ledger = {(t.group_name, t.tag_name) for t in db.session.scalars(select(WeComTag))}
    assert ledger == {("活跃度", "高活跃"), ("价值", "高价值")}
    assert wecom.calls["add_corp_tag"] == 2 and wecom.calls["gettoken"] == 1
    found = db.session.scalars(select(PlayerWeCom)).all()
    assert {(w.external_userid, w.userid, w.source) for w in found} == {
        (f"wm-{p.id}", "staff-1", "unionid") for p in players}
    write_tag_changes(brand, [(players[1], "活跃度", "高活跃", "remove")])
    assert sync.sync_all().delivered == 1
    assert wecom.tags_of(f"wm-{players[1].id}") == set()
    assert wecom.calls["add_corp_tag"] == 2 and wecom.calls["unionid_to_external_userid"] == 4


def test_the_token_is_shared_through_redis_and_refreshed_once_when_expired(wecom, brand):
    endpoint_client = client_for(db.session.scalar(select(sync.CrmEndpoint)))
    first = endpoint_client.token()
    assert redis_store.r.get(keys.wecom_token(CORP)) == first
    assert endpoint_client.token() == first and wecom.calls["gettoken"] == 1
    wecom.expire_tokens()
    assert endpoint_client.corp_tags() == []  # 42001, one refresh, then the answer
    assert wecom.calls["gettoken"] == 2
    assert redis_store.r.get(keys.wecom_token(CORP)) != first
    endpoint_client.close()


def test_a_wrong_secret_fails_the_delivery_with_the_errcode(wecom, brand):
    wecom.secret = "something-else"
    [player] = make_players(brand, 1)
    write_tag_changes(brand, [(player, "活跃度", "高活跃", "add")])
    assert sync.sync_all().failed == 1
    assert "40001" in last_delivery().last_error


def test_a_tag_deleted_in_wecom_is_reconciled_and_marked_again(wecom, brand):
    players = make_players(brand, 2)
    contacts(wecom, players)
    write_tag_changes(brand, [(players[0], "活跃度", "高活跃", "add")])
    sync.sync_all()
    [row] = db.session.scalars(select(WeComTag)).all()
    wecom.delete_tag(row.tag_id)  # a marketer deleted it in the WeCom admin console
    write_tag_changes(brand, [(players[1], "活跃度", "高活跃", "add")])
    assert sync.sync_all().delivered == 1
    assert wecom.tags_of(f"wm-{players[1].id}") == {"高活跃"}
    [fresh] = db.session.scalars(select(WeComTag)).all()
    assert fresh.tag_id != row.tag_id and wecom.calls["get_corp_tag_list"] >= 1


def test_long_names_are_cut_and_the_tag_cap_stops_creation(app, wecom, brand):
    app.config["WECOM_TAG_CAP"] = 2
    players = make_players(brand, 1)
    contacts(wecom, players)
    long_name = "超" * 40
    write_tag_changes(brand, [(players[0], "活跃度", long_name, "add")])
    assert sync.sync_all().delivered == 1
    assert wecom.tags_of(f"wm-{players[0].id}") == {"超" * 30}
    write_tag_changes(brand, [(players[0], "价值", "高价值", "add"),
                              (players[0], "价值", "低价值", "add")])
    assert sync.sync_all().failed == 1
    assert "corp tag cap 2 reached" in last_delivery().last_error


def test_at_most_five_mark_tag_calls_at_once_and_45033_is_retried(app, wecom, brand):
    players = make_players(brand, 30)
    contacts(wecom, players)
    wecom.mark_delay_s = 0.05
    app.config["WECOM_MARK_CONCURRENCY"] = 5
    wecom.fail("mark_tag", 45033, 45033)
    write_tag_changes(brand, [(p, "活跃度", "高活跃", "add") for p in players])
    assert sync.sync_all().delivered == 1
    assert wecom.max_in_flight == 5  # the limit is used, and never passed
    assert all(wecom.tags_of(f"wm-{p.id}") == {"高活跃"} for p in players)


def test_players_without_a_contact_are_skipped_and_counted(wecom, brand):
    players = make_players(brand, 3)
    contacts(wecom, players[:1])
    write_tag_changes(brand, [(p, "活跃度", "高活跃", "add") for p in players])
    assert sync.sync_all().delivered == 1
    assert "2 players without a WeCom contact skipped" in last_delivery().last_error


def test_a_batch_sent_again_changes_nothing_twice(wecom, brand):
    players = make_players(brand, 3)
    contacts(wecom, players)
    write_tag_changes(brand, [(p, "活跃度", "高活跃", "add") for p in players])
    sync.sync_all()
    delivery = last_delivery()
    delivery.status = "pending"  # as if the worker died before recording its success
    db.session.commit()
    assert sync.sync_all().delivered == 1
    assert wecom.calls["mark_tag"] == 6 and set(wecom.effective.values()) == {1}
    assert db.session.scalar(select(func.count()).select_from(WeComTag)) == 1
