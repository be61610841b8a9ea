"""Playing, sharing and claiming through real HTTP produce the expected tags.

A live gunicorn server, one cookie jar per player; the server's committed
events enqueue incremental re-evaluation on the real rq queue, which this
test works off; then a full pass must find nothing left to change, and the
CRM pull API hands out every change once, in order, paged.
"""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from engine import jobs
from engine.access.auth import create_api_key
from engine.extensions import db
from engine.models import TagChange
from engine.rewards.coupons import create_batch
from tags import evaluation, state
from tests.factories import make_brand, make_campaign
from tests.support.play import auto_moves

FAST = {"min_move_interval_ms": 0}


class Visitor:
    """One player's browser: its own cookie jar."""

    def __init__(self, base: str, slug: str):
        self.http, self.base, self.slug = requests.Session(), base, slug

    def visit(self, share_token: str | None = None) -> None:
        query = f"?s={share_token}" if share_token else ""
        assert self.http.get(f"{self.base}/c/{self.slug}{query}", timeout=10).status_code == 200

    def view(self) -> dict:
        return self.http.get(f"{self.base}/api/v1/campaigns/{self.slug}", timeout=10).json()

    def consent(self, yes: bool = True) -> dict:
        resp = self.http.post(f"{self.base}/api/v1/campaigns/{self.slug}/consent", timeout=10,
                              json={"profiling": yes, "notice_version": "2026-11-v1"})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def play(self, count: int = 30) -> int:
        opened = self.http.post(f"{self.base}/api/v1/campaigns/{self.slug}/sessions", json={},
                                timeout=10).json()
        moves, score = auto_moves(opened["seed"], FAST, count=count)
        resp = self.http.post(f"{self.base}/api/v1/sessions/{opened['session_id']}/finish",
                              json={"token": opened["token"], "moves": moves}, timeout=30)
        assert resp.status_code == 200, resp.text
        return score

    def claim(self, batch_id: int) -> None:
        resp = self.http.post(f"{self.base}/api/v1/campaigns/{self.slug}/coupon-batches/"
                              f"{batch_id}/claim", json={}, timeout=10)
        assert resp.status_code in (200, 201), resp.text


def _tags_by_player(base: str, secret: str, limit: int = 7) -> tuple[dict, list]:
    """Replay the pull API from the start: the tag set each player ends with, and every change."""
    held: dict[int, set[str]] = {}
    changes, cursor = [], ""
    while True:
        resp = requests.get(f"{base}/api/v1/crm/tag-changes", timeout=10,
                            params={"cursor": cursor, "limit": limit},
                            headers={"Authorization": f"Bearer {secret}"})
        assert resp.status_code == 200, resp.text
        page = resp.json()
        if not page["changes"]:
            return held, changes
        for change in page["changes"]:
            mine = held.setdefault(change["player"]["id"], set())
            (mine.add if change["op"] == "add" else mine.discard)(change["tag"])
        changes += page["changes"]
        cursor = page["next_cursor"]


def test_play_share_claim_over_http_tag_players(app, live_server):
    brand = make_brand()
    campaign = make_campaign(brand, game_params=FAST, plays_per_day=0)
    batch = create_batch(brand.id, campaign.id, 20, title="满减券", claimable=True)
    secret, _ = create_api_key(brand, ["tags:read"])
    db.session.commit()
    base, slug = live_server.url, campaign.slug

    def player(token=None, consent=True):
        visitor = Visitor(base, slug)
        visitor.visit(token)
        visitor.consent(consent)
        return visitor

    sharer = player()
    sharer.play(count=200)  # the best score: top 10%
    token = sharer.view()["share_token"]
    friends = [player(token) for _ in range(3)]
    for friend in friends:
        friend.play()
    chain = friends[0]
    for _ in range(3):  # friends[0] -> a -> b -> c: depth 4 below the sharer
        chain = player(chain.view()["share_token"])
        chain.play(count=5)
    for _ in range(3):  # eleven scores in all: the best one is in the top 10%
        player().play(count=3)
    watcher = player()  # visits, never plays
    claimer = player()
    claimer.claim(batch.id)
    declined = player(consent=False)
    declined.play()

    jobs.run_worker(burst=True)  # the server enqueued incremental evaluation
    held, changes = _tags_by_player(base, secret)
    ids = {name: v.view()["player"]["id"] for name, v in
           (("sharer", sharer), ("friend", friends[1]), ("chain", chain), ("watcher", watcher),
            ("claimer", claimer), ("declined", declined))}
    assert {"高手", "KOC", "深度传播", "活跃", "新客", "合成玩家"} <= held[ids["sharer"]]
    assert "KOC" not in held[ids["friend"]] and "深度传播" not in held[ids["friend"]]
    assert "深度传播" in held[ids["chain"]]
    assert held[ids["watcher"]] == {"只看不玩", "活跃", "新客"}
    assert held[ids["claimer"]] == {"只看不玩", "领券未核销", "活跃", "新客"}
    assert ids["declined"] not in held
    assert len(changes) == len({c["id"] for c in changes})  # each change once
    total = db.session.scalar(select(func.count()).select_from(TagChange)
                              .where(TagChange.brand_id == brand.id))
    assert len(changes) == total

    before = state.stored_pairs(brand.id)
    assert evaluation.evaluate_brand(brand.id).changes == 0  # incremental == full
    assert (state.stored_pairs(brand.id) == before).all()
