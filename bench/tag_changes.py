"""Measure the CRM pull API: tag changes read per second through HTTP, pages of 1,000.

100,000 tag changes of 5,000 players are written through the real outbox (one
transaction, positions assigned in commit order, as evaluation does); a CRM
client with a ``tags:read`` key then pages through
``GET /api/v1/crm/tag-changes?limit=1000`` from the first cursor to the empty
page, against the app served by gunicorn. The figure is changes received per
second, end to end (JSON encoding, signed cursors, the key check per page).
Every change must arrive exactly once and in order, or the row counts failures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests

from bench.stores import Stores
from bench.table import Row
from engine import create_app
from engine.access.auth import create_api_key
from engine.extensions import db
from engine.models import Brand
from tests.support.crm_changes import make_players, write_tag_changes

PLAYERS, TAGS = 5_000, ("高活跃", "常客", "新客", "高价值", "流失预警", "分享达人", "夜猫子",
                        "周末玩家", "连胜", "收藏家", "合成玩家", "竞速玩家", "养成玩家", "KOC",
                        "深度传播", "领券未核销", "已核销", "只看不玩", "沉睡", "活跃")
PAGE = 1_000


@dataclass(frozen=True)
class PullResult:
    """Changes written, received, pages read and the seconds it took."""

    written: int
    received: int
    pages: int
    seconds: float
    out_of_order: int

    @property
    def changes_per_s(self) -> float:
        """Return changes received per second."""
        return self.received / self.seconds

    def failures(self) -> int:
        """Return changes lost, repeated or out of order."""
        return abs(self.written - self.received) + self.out_of_order


def seed(stores: Stores) -> tuple[str, int]:
    """Write the changes of one brand; return a ``tags:read`` key and how many were written."""
    app = create_app(stores.app_config())
    with app.app_context():
        brand = Brand(slug="bench-pull", name="Pull bench")
        db.session.add(brand)
        db.session.commit()
        players = make_players(brand, PLAYERS)
        changes = [(p, "画像", tag, "add") for p in players for tag in TAGS]
        write_tag_changes(brand, changes)
        secret, _ = create_api_key(brand, ["tags:read"], name="bench pull")
        db.session.commit()
        db.engine.dispose()
    return secret, len(changes)


def measure(stores: Stores, url: str) -> PullResult:
    """Page through every change as a CRM would; return the figures."""
    secret, written = seed(stores)
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {secret}"
    cursor, received, pages, out_of_order, last_id = None, 0, 0, 0, 0
    began = time.perf_counter()
    while True:
        params = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
        answer = http.get(f"{url}/api/v1/crm/tag-changes", params=params, timeout=60)
        answer.raise_for_status()
        body = answer.json()
        pages += 1
        if not body["changes"]:
            break
        for change in body["changes"]:  # one transaction wrote them: ids rise with positions
            out_of_order += change["id"] <= last_id
            last_id = change["id"]
        received += len(body["changes"])
        cursor = body["next_cursor"]
    return PullResult(written, received, pages, time.perf_counter() - began, out_of_order)


def rows(result: PullResult) -> list[Row]:
    """Return the pull API rows."""
    return [
        Row(f"tag-changes pull (HTTP, pages of {PAGE:,}, {result.written:,} changes)",
            result.changes_per_s, "changes/s"),
        Row("tag-changes pull: lost, repeated or out of order", result.failures(),
            f"of {result.written:,} changes"),
    ]
