"""Exactly once through a worker killed mid-batch: every change applied once, none lost.

A real ``flask jobs worker`` process delivers to a local receiver (which
dedupes by Idempotency-Key, as a real CRM would) and to a local WeCom
server (which counts effective tag changes). The test kills the worker with
SIGKILL while a batch is in flight, starts a new one, and counts.
"""

from __future__ import annotations

import os
import sys
import time

import pytest
from sqlalchemy import func, select

from engine.extensions import db
from engine.models import Delivery, PlayerWeCom
from tags.crm.endpoints import create_endpoint
from tests.conftest import server_env
from tests.factories import make_brand
from tests.support.crm_changes import make_players, write_tag_changes
from tests.support.crm_receiver import CrmReceiver
from tests.support.servers import LOG_DIR, Process
from tests.support.wecom_server import FakeWeCom

SECRET = "whsec_exactly-once-secret-0123456789"
CORP, CORP_SECRET = "ww00112233445566aa", "contact-secret-exactly-once"


class Worker(Process):
    """One ``flask jobs worker`` process (and the scheduler it forks) on the test's stores."""

    def __init__(self, env: dict[str, str], name: str):
        super().__init__([sys.executable, "-m", "flask", "jobs", "worker"],
                         {**env, "FLASK_APP": "engine:create_app"},
                         LOG_DIR / f"crm-worker-{name}-{os.getpid()}.log", stop_wait_s=15,
                         own_group=True)


def wait_for(predicate, timeout: float, what: str, worker: Worker | None = None) -> None:
    """Poll ``predicate`` until true; fail naming ``what`` (with the worker's log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    tail = worker.log_tail(3000) if worker else ""
    pytest.fail(f"timed out waiting for {what}\n{tail}")


def pending() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Delivery)
                             .where(Delivery.status != "delivered")) or 0


@pytest.fixture
def worker_env(app_config):
    return server_env(app_config, CRM_POLL_S=1, CRM_LEASE_S=3, CRM_HTTP_TIMEOUT_S=2,
                      CRM_RETRY_BASE_S=1, CRM_BATCH_SIZE=20, CRM_MAX_ATTEMPTS=50)


def test_a_killed_worker_loses_nothing_and_applies_nothing_twice(app, worker_env):
    brand = make_brand("tea")
    with CrmReceiver(SECRET) as receiver:
        create_endpoint(brand, {"kind": "webhook", "url": receiver.url, "secret": SECRET})
        players = make_players(brand, 100)
        write_tag_changes(brand, [(p, "活跃度", tag, "add") for p in players
                                  for tag in ("高活跃", "常客")])
        # the 3rd batch is applied, then answered too late, and the worker is killed while
        # it waits (named in advance: a test that set it after seeing two batches could be
        # too late on a loaded machine, killing a worker with nothing in flight); the next
        # request fails outright
        receiver.hang_s, receiver.hang_batches = 30, {3}
        first = Worker(worker_env, "first").start()
        try:
            wait_for(receiver.hanging.is_set, 90, "the third batch applied and hanging", first)
            first.kill()
        finally:
            first.stop()
        receiver.hang_batches = set()
        receiver.fail = 1
        applied_at_kill = len(receiver.batches)
        second = Worker(worker_env, "second").start()
        try:
            wait_for(lambda: pending() == 0 and len(receiver.batches) == 10, 90,
                     "every batch delivered", second)
        finally:
            second.stop()
    ids = {i for d in db.session.scalars(select(Delivery)) for i in d.change_ids}
    assert len(ids) == 200
    assert set(receiver.applied) == ids  # none lost
    assert set(receiver.applied.values()) == {1}  # none applied twice
    assert applied_at_kill >= 3 and receiver.requests > len(receiver.batches)  # resent, deduped
    assert receiver.refused == []


def test_wecom_tags_survive_a_killed_worker_exactly_once(app, worker_env):
    brand = make_brand("tea")
    with FakeWeCom(CORP, CORP_SECRET) as wecom:
        env = {**worker_env, "WECOM_API_BASE": wecom.url}
        app.config["WECOM_API_BASE"] = wecom.url
        create_endpoint(brand, {"kind": "wecom", "corp_id": CORP, "secret": CORP_SECRET})
        players = make_players(brand, 60)
        for p in players:
            wecom.add_contact(f"wm-{p.id}", userid="staff-1", unionid=p.unionid)
        write_tag_changes(brand, [(p, "活跃度", "高活跃", "add") for p in players])
        write_tag_changes(brand, [(p, "活跃度", "高活跃", "remove") for p in players[:10]])
        wecom.mark_delay_s = 0.05
        first = Worker(env, "wecom-first").start()
        try:
            wait_for(lambda: wecom.calls["mark_tag"] >= 25, 60, "marks under way", first)
            first.kill()
        finally:
            first.stop()
        wecom.fail("mark_tag", 45033)  # WeCom's concurrency refusal, once
        second = Worker(env, "wecom-second").start()
        try:
            wait_for(lambda: pending() == 0 and wecom.calls["mark_tag"] >= 60, 90,
                     "every batch delivered", second)
        finally:
            second.stop()
        tagged = {ext for ext, c in wecom.contacts.items() if wecom.tags_of(ext) == {"高活跃"}}
        assert tagged == {f"wm-{p.id}" for p in players[10:]}
        adds = [n for (_, _, op), n in wecom.effective.items() if op == "add"]
        assert sorted(adds) == [1] * len(adds)  # no tag set twice
        assert wecom.max_in_flight <= 5
        # 70 effective changes, one refused 45033, and at least one call replayed after the kill
        assert wecom.calls["mark_tag"] > 71
    assert db.session.scalar(select(func.count()).select_from(PlayerWeCom)) == 60
