"""Webhook delivery: signed batches, retries with backoff, dead letters, filters, address checks."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import jobs, keys
from engine.access.auth import create_access_token
from engine.clock import isoformat, utcnow
from engine.extensions import db, redis_store
from engine.models import CrmEndpoint, Delivery, TagChange
from engine.privacy import profile
from tags import outbox
from tags.crm import jobs as crm_jobs
from tags.crm import payload, sync
from tags.crm.endpoints import create_endpoint
from tags.crm.webhook import body_of
from tests.factories import make_brand, make_campaign, make_marketer
from tests.support.concurrency import run_together, wait_until
from tests.support.crm_changes import make_players, write_tag_changes
from tests.support.crm_receiver import CrmReceiver

SECRET = "whsec_test-signing-secret-0123456789"


@pytest.fixture
def receiver():
    with CrmReceiver(SECRET) as server:
        yield server


@pytest.fixture
def brand(app):
    app.config.update(CRM_BATCH_SIZE=10, CRM_HTTP_TIMEOUT_S=1, CRM_MAX_ATTEMPTS=3)
    return make_brand("tea")


def webhook(brand, receiver, **extra) -> CrmEndpoint:
    return create_endpoint(brand, {"kind": "webhook", "url": receiver.url, "secret": SECRET,
                                   **extra}).endpoint


def deliveries() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def make_due() -> None:
    """Skip the backoff wait: every pending delivery is due now."""
    for d in deliveries():
        if d.status == "pending":
            d.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_changes_arrive_signed_in_batches_once(brand, receiver):
    endpoint = webhook(brand, receiver)
    players = make_players(brand, 5)
    write_tag_changes(brand, [(p, "活跃度", tag, "add") for p in players
                              for tag in ("高活跃", "常客", "新客")])
    report = sync.sync_all()
    assert (report.batched, report.delivered, report.failed) == (2, 2, 0)
    assert receiver.refused == []  # every signature and timestamp checked out
    assert sorted(receiver.applied) == sorted(d for x in deliveries() for d in x.change_ids)
    assert set(receiver.applied.values()) == {1} and len(receiver.applied) == 15
    first, second = deliveries()
    assert first.batch_id == f"e{endpoint.id}-1-10" and second.batch_id == f"e{endpoint.id}-11-15"
    assert first.status == "delivered" and first.attempts == 1 and first.latency_ms is not None
    assert receiver.batches == [first.batch_id, second.batch_id]
    assert sync.sync_all().batched == 0 and receiver.requests == 2


def test_a_failure_is_retried_soon_with_the_same_batch_id(brand, receiver):
    webhook(brand, receiver)
    [player] = make_players(brand, 1)
    write_tag_changes(brand, [(player, "活跃度", "高活跃", "add")])
    receiver.fail = 1
    before = utcnow()
    report = sync.sync_all()
    assert report.failed == 1 and report.delivered == 0
    [delivery] = deliveries()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status == 500 and "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at - before < timedelta(seconds=10)  # a short outage heals fast
    assert sync.sync_all().delivered == 0  # not due yet: nothing sent early
    make_due()
    assert sync.sync_all().delivered == 1
    [delivery] = deliveries()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert receiver.batches == [delivery.batch_id] and receiver.applied[delivery.change_ids[0]] == 1


def test_a_timeout_after_the_receiver_applied_is_not_applied_twice(brand, receiver):
    webhook(brand, receiver)
    players = make_players(brand, 3)
    write_tag_changes(brand, [(p, "活跃度", "高活跃", "add") for p in players])
    receiver.hang_s, receiver.hang_count = 2.5, 1  # applies, then answers after our timeout
    assert sync.sync_all().failed == 1
    [delivery] = deliveries()
    assert delivery.last_error.startswith("timeout")
    make_due()
    assert sync.sync_all().delivered == 1
    assert receiver.requests == 2 and set(receiver.applied.values()) == {1}


def test_after_n_attempts_a_dead_letter_waits_for_a_marketer(brand, receiver, client):
    endpoint = webhook(brand, receiver)
    [player] = make_players(brand, 1)
    write_tag_changes(brand, [(player, "活跃度", "高活跃", "add")])
    receiver.fail = 3
    for _ in range(3):
        sync.sync_all()
        make_due()
    [delivery] = deliveries()
    assert delivery.status == "dead" and delivery.attempts == 3
    assert sync.sync_all().delivered == 0  # dead letters are not retried on their own
    auth = {"Authorization": f"Bearer {create_access_token(make_marketer(brand))[0]}"}
    db.session.commit()
    base = f"/api/v1/admin/brands/tea/crm-endpoints/{endpoint.id}/deliveries"
    assert client.get(f"{base}?status=dead", headers=auth).get_json()["deliveries"][0][
        "last_error"].startswith("HTTP 500")
    assert client.post(f"{base}/{delivery.id}/retry", headers=auth).status_code == 200
    assert sync.sync_all().delivered == 1
    assert receiver.batches == [delivery.batch_id]


def test_batches_go_out_in_order_and_a_failure_holds_the_rest(brand, receiver):
    webhook(brand, receiver)
    players = make_players(brand, 25)
    write_tag_changes(brand, [(p, "活跃度", "高活跃", "add") for p in players])
    receiver.fail = 1
    sync.sync_all()
    assert [d.status for d in deliveries()] == ["pending"] * 3 and receiver.batches == []
    make_due()
    sync.sync_all()
    assert [d.status for d in deliveries()] == ["delivered"] * 3
    assert receiver.batches == [d.batch_id for d in deliveries()]


def test_tag_groups_filter_but_erasures_reach_everyone(brand, receiver):
    webhook(brand, receiver, tag_groups=["活跃度"])
    players = make_players(brand, 2)
    write_tag_changes(brand, [(players[0], "活跃度", "高活跃", "add"),
                              (players[0], "价值", "高价值", "add"),
                              (players[1], "", "", "delete")])
    sync.sync_all()
    [delivery] = deliveries()
    assert len(delivery.change_ids) == 2 and len(receiver.applied) == 2


def test_production_refuses_a_private_address_when_sending(app, brand, receiver):
    webhook(brand, receiver)  # saved while private addresses were allowed
    [player] = make_players(brand, 1)
    write_tag_changes(brand, [(player, "活跃度", "高活跃", "add")])
    app.config["CRM_ALLOW_PRIVATE_ADDRESSES"] = False
    assert sync.sync_all().failed == 1
    [delivery] = deliveries()
    assert "address refused" in delivery.last_error and receiver.requests == 0


def test_backoff_grows_and_is_capped():
    waits = [sync.backoff_s(n, 2, 60) for n in range(1, 10)]
    assert 1 <= waits[0] <= 2 and all(w <= 60 for w in waits)
    assert sync.backoff_s(5, 2, 3600) >= 16


def test_racing_senders_put_each_change_in_one_batch_and_send_it_once(pool_app, brand,
                                                                      receiver):
    endpoint_id = webhook(brand, receiver).id
    players = make_players(brand, 60)
    write_tag_changes(brand, [(p, "活跃度", tag, "add") for p in players for tag in ("a", "b")])
    pool_app.config.update(CRM_BATCH_SIZE=10, CRM_HTTP_TIMEOUT_S=5)

    def sender(_):
        report = sync.SyncReport()
        sync.batch_new(endpoint_id)
        sync.send_due(endpoint_id, report)
        return report.delivered

    run_together(pool_app, range(8), sender, workers=8)
    sync.sync_all()  # what a racer left held or due is sent now
    batched = [i for d in deliveries() for i in d.change_ids]
    assert sorted(batched) == sorted(set(batched)) and len(batched) == 120
    assert all(d.status == "delivered" for d in deliveries())
    assert set(receiver.applied.values()) == {1} and len(receiver.applied) == 120
    assert receiver.requests == len(deliveries())  # no batch sent twice by racing senders


def test_the_signed_body_keeps_its_bytes(brand):
    campaign = make_campaign(brand)
    profile.set_form(campaign, {"when": "before", "purpose": "会员积分", "consent_version": "v1",
                                "specs": [{"key": "phone", "type": "phone", "label": "手机号",
                                           "required": True}]})
    known, other = make_players(brand, 2)
    profile.submit(campaign, known, {"consent": True, "consent_version": "v1",
                                     "age_confirmed": True, "answers": {"phone": "13800138000"}})
    write_tag_changes(brand, [(known, "活跃度", "高活跃", "add"),
                              (other, "活跃度", "沉睡", "remove")])
    outbox.assign_positions(brand.id)
    rows = db.session.scalars(select(TagChange).where(TagChange.brand_id == brand.id)
                              .order_by(TagChange.position)).all()
    changes = payload.changes_for(brand.id, [rows[1].id, rows[0].id])
    first, second = ((r.id, r.position, isoformat(r.created_at)) for r in rows)
    expected = (
        '{"batch_id":"e9-1-2","changes":['
        f'{{"id":{first[0]},"position":{first[1]},"player":{{"id":{known.id},'
        f'"openid":"{known.openid}","unionid":"{known.unionid}","phone":"13800138000"}},'
        '"tag":"高活跃","group":"活跃度","op":"add","rule_id":null,"reason":"rule",'
        f'"at":"{first[2]}"}},'
        f'{{"id":{second[0]},"position":{second[1]},"player":{{"id":{other.id},'
        f'"openid":"{other.openid}","unionid":"{other.unionid}","phone":null}},'
        '"tag":"沉睡","group":"活跃度","op":"remove","rule_id":null,"reason":"rule",'
        f'"at":"{second[2]}"}}]}}')
    assert body_of("e9-1-2", changes) == expected.encode()


def test_a_starting_worker_clears_a_dead_workers_flag_and_syncs_at_once(app):
    """A worker killed between taking the waiting sync job and clearing the flag leaves
    the flag behind with no job: the next worker's first tick must not wait out its TTL."""
    jobs.queue().empty()
    redis_store.r.set(keys.crm_sync_queued(), "1", ex=crm_jobs.QUEUED_TTL_S)  # the dead one's
    assert not crm_jobs.request_sync()  # a running worker's tick trusts the flag
    app.config["CRM_POLL_S"] = 60  # one tick in this test: the first
    stop = threading.Event()
    thread = crm_jobs.start_ticker(app, stop)  # what `flask jobs worker` starts
    try:
        wait_until(lambda: jobs.queue().count, 10, "a sync job queued by the first tick")
    finally:
        stop.set()
        thread.join(timeout=5)
    assert [job.func_name for job in jobs.queue().get_jobs()] == [crm_jobs.JOB]
    # a flag that does have its job behind it is left alone: still one job
    assert not crm_jobs.request_sync(recover=True)
    assert jobs.queue().count == 1
