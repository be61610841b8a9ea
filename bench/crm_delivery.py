"""Measure CRM delivery: webhook throughput and WeCom ``mark_tag`` calls at 5 concurrent.

Webhook: 20,000 tag changes of 2,000 players go out through the real sync
(outbox read, batches of ``CRM_BATCH_SIZE``, signed POSTs) to a local
receiver that checks each signature and dedupes by Idempotency-Key, as a
CRM would; the figure is changes acknowledged per second, end to end.
WeCom: one batch of 1,000 players' tag changes goes through the real WeCom
delivery (ledger, contacts, the Redis token and the per-corp semaphore) to a
local WeCom server that answers each ``mark_tag`` after 20 ms, as a remote
API would; the figure is ``mark_tag`` calls per second with at most 5 in
flight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from bench.stores import Stores
from bench.table import Row
from engine import create_app
from engine.extensions import db
from engine.models import Brand, Delivery
from tags.crm.endpoints import create_endpoint
from tags.crm.sync import sync_all
from tests.support.crm_changes import make_players, write_tag_changes
from tests.support.crm_receiver import CrmReceiver
from tests.support.wecom_server import FakeWeCom

PLAYERS, TAGS = 2_000, ("高活跃", "常客", "新客", "高价值", "流失预警", "分享达人", "夜猫子",
                        "周末玩家", "连胜", "收藏家")
WECOM_PLAYERS = 1_000
MARK_DELAY_S = 0.02
SECRET = "whsec_bench-signing-secret-0123456789"


@dataclass(frozen=True)
class CrmResult:
    """Webhook changes/s and WeCom mark_tag calls/s."""

    changes: int
    webhook_s: float
    receiver_refused: int
    marks: int
    wecom_s: float
    max_in_flight: int

    @property
    def changes_per_s(self) -> float:
        """Return changes acknowledged per second."""
        return self.changes / self.webhook_s

    @property
    def marks_per_s(self) -> float:
        """Return mark_tag calls per second."""
        return self.marks / self.wecom_s


def _webhook(brand: Brand) -> tuple[int, float, int]:
    with CrmReceiver(SECRET) as receiver:
        create_endpoint(brand, {"kind": "webhook", "url": receiver.url, "secret": SECRET})
        players = make_players(brand, PLAYERS)
        write_tag_changes(brand, [(p, "画像", tag, "add") for p in players for tag in TAGS])
        began = time.perf_counter()
        while sync_all().batched or db.session.scalar(
                select(Delivery.id).where(Delivery.status == "pending").limit(1)):
            pass
        elapsed = time.perf_counter() - began
        return sum(receiver.applied.values()), elapsed, len(receiver.refused)


def _wecom(app, brand: Brand) -> tuple[int, float, int]:
    with FakeWeCom() as wecom:
        app.config["WECOM_API_BASE"] = wecom.url
        wecom.mark_delay_s = MARK_DELAY_S
        create_endpoint(brand, {"kind": "wecom", "corp_id": wecom.corp_id,
                                "secret": wecom.secret})
        players = make_players(brand, WECOM_PLAYERS)
        for p in players:
            wecom.add_contact(f"wm-{p.id}", unionid=p.unionid)
        write_tag_changes(brand, [(p, "画像", "高活跃", "add") for p in players])
        sync_all()  # ledger, contacts looked up by unionid: not what the row measures
        wecom.calls.clear()
        write_tag_changes(brand, [(p, "画像", "高活跃", "remove") for p in players])
        began = time.perf_counter()
        sync_all()
        elapsed = time.perf_counter() - began
        return wecom.calls["mark_tag"], elapsed, wecom.max_in_flight


def measure(stores: Stores) -> CrmResult:
    """Deliver to a local receiver and a local WeCom server; return the figures."""
    app = create_app({**stores.app_config(), "CRM_BATCH_SIZE": 100,
                      "WECOM_MARK_CONCURRENCY": 5})
    with app.app_context():
        web_brand = Brand(slug="bench-crm", name="CRM bench")
        wecom_brand = Brand(slug="bench-wecom", name="WeCom bench")
        db.session.add_all([web_brand, wecom_brand])
        db.session.commit()
        changes, webhook_s, refused = _webhook(web_brand)
        app.config["CRM_BATCH_SIZE"] = WECOM_PLAYERS
        marks, wecom_s, in_flight = _wecom(app, wecom_brand)
        db.engine.dispose()
    return CrmResult(changes, webhook_s, refused, marks, wecom_s, in_flight)


def rows(result: CrmResult) -> list[Row]:
    """Return the CRM delivery rows."""
    return [
        Row(f"webhook delivery ({result.changes:,} changes, batches of 100, local receiver)",
            result.changes_per_s, "changes/s"),
        Row("webhook signatures refused by the receiver", result.receiver_refused,
            f"of {result.changes:,} changes"),
        Row(f"WeCom mark_tag (local server, {MARK_DELAY_S * 1000:.0f} ms each, 5 concurrent)",
            result.marks_per_s, "calls/s", 5 / MARK_DELAY_S, "5 / latency"),
        Row("WeCom mark_tag most in flight at once", result.max_in_flight, "calls (limit 5)"),
    ]
