"""The tag-change outbox: commit order, exactly once, paging, cursors, brands apart."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from engine.access.auth import create_api_key
from engine.clock import isoformat, utcnow
from engine.extensions import db
from engine.models import TagChange
from engine.privacy import profile
from tags import outbox
from tests.factories import make_brand, make_campaign, make_player
from tests.support.concurrency import run_together, wait_until


def _row(brand_id: int, player_id: int, tag: str, op: str = "add") -> dict:
    return {"brand_id": brand_id, "player_id": player_id, "rule_id": None, "tag": tag,
            "group": "g", "op": op, "reason": "rule", "created_at": utcnow()}


def _read_all(brand_id: int, limit: int = 3) -> list:
    seen, after = [], 0
    while True:
        page = outbox.changes_after(brand_id, after, limit)
        if not page.changes:
            return seen
        seen += page.changes
        after = page.next_position


def test_changes_come_back_in_order_paged_once(app):
    brand = make_brand()
    player = make_player(brand, openid="o-1", unionid="u-1")
    for n in range(7):
        outbox.write_changes([_row(brand.id, player.id, f"t{n}")])
        db.session.commit()
    seen = _read_all(brand.id)
    assert [c.tag for c in seen] == [f"t{n}" for n in range(7)]
    assert [c.position for c in seen] == list(range(1, 8))
    assert seen[0].player == outbox.ChangedPlayer(player.id, "o-1", "u-1", None)
    assert outbox.changes_after(brand.id, 7, 10).changes == []
    assert outbox.changes_after(brand.id, 7, 10).next_position == 7


def test_a_late_commit_with_a_lower_id_is_read_after_not_skipped(app):
    brand = make_brand()
    player = make_player(brand)
    outbox.write_changes([_row(brand.id, player.id, "early")])
    db.session.commit()
    first = outbox.changes_after(brand.id, 0, 10)
    assert [c.tag for c in first.changes] == ["early"]
    # rows committed without a position, as if a writer took its id before the read
    outbox.write_changes([_row(brand.id, player.id, "late")])
    db.session.commit()
    again = outbox.changes_after(brand.id, first.next_position, 10)
    assert [c.tag for c in again.changes] == ["late"]


def test_brands_are_numbered_apart(app):
    one, two = make_brand(), make_brand()
    p1, p2 = make_player(one), make_player(two)
    outbox.write_changes([_row(one.id, p1.id, "a"), _row(two.id, p2.id, "b"),
                          _row(one.id, p1.id, "c")])
    db.session.commit()
    assert [c.tag for c in _read_all(one.id)] == ["a", "c"]
    assert [c.tag for c in _read_all(two.id)] == ["b"]


def test_cursor_round_trip_and_forgeries(app):
    one, two = make_brand(), make_brand()
    cursor = outbox.encode_cursor(one.id, 42)
    assert outbox.decode_cursor(one.id, cursor) == 42
    assert outbox.decode_cursor(one.id, None) == 0
    for bad in ("42", cursor[:-2] + "xx", outbox.encode_cursor(two.id, 42)):
        try:
            outbox.decode_cursor(one.id, bad)
        except outbox.InvalidCursor:
            continue
        raise AssertionError(f"cursor {bad!r} was accepted")


def test_pull_api_answers_every_field(app, client):
    brand = make_brand()
    campaign = make_campaign(brand)
    profile.set_form(campaign, {"when": "before", "purpose": "会员积分", "consent_version": "v1",
                                "specs": [{"key": "phone", "type": "phone", "label": "手机号",
                                           "required": True}]})
    player = make_player(brand, openid="o-7", unionid="u-7")
    profile.submit(campaign, player, {"consent": True, "consent_version": "v1",
                                      "age_confirmed": True,
                                      "answers": {"phone": "13800138000"}})
    quiet = make_player(brand, openid="o-8")
    outbox.write_changes([_row(brand.id, player.id, "常客"),
                          {**_row(brand.id, quiet.id, "沉睡", "remove"), "rule_id": None,
                           "reason": "rule_deleted"}])
    db.session.commit()
    secret, _ = create_api_key(brand, ["tags:read"])
    db.session.commit()
    resp = client.get("/api/v1/crm/tag-changes", headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 200, resp.json
    rows = db.session.scalars(select(TagChange).where(TagChange.brand_id == brand.id)
                              .order_by(TagChange.position)).all()
    assert resp.json == {"next_cursor": resp.json["next_cursor"], "changes": [
        {"id": rows[0].id, "player": {"id": player.id, "openid": "o-7", "unionid": "u-7",
                                      "phone": "13800138000"},
         "tag": "常客", "group": "g", "op": "add", "rule_id": None, "reason": "rule",
         "at": isoformat(rows[0].created_at)},
        {"id": rows[1].id, "player": {"id": quiet.id, "openid": "o-8", "unionid": None,
                                      "phone": None},
         "tag": "沉睡", "group": "g", "op": "remove", "rule_id": None, "reason": "rule_deleted",
         "at": isoformat(rows[1].created_at)}]}
    assert outbox.decode_cursor(brand.id, resp.json["next_cursor"]) == rows[1].position


def test_pull_api_pages_each_change_once_and_keeps_brands_apart(app, client):
    brand, other = make_brand(), make_brand()
    player = make_player(brand, openid="o-9")
    secret, _ = create_api_key(brand, ["tags:read"])
    other_secret, _ = create_api_key(other, ["tags:read"])
    no_scope, _ = create_api_key(brand, ["coupons:redeem"])
    db.session.commit()
    outbox.write_changes([_row(brand.id, player.id, f"t{n}") for n in range(5)])
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    tags, cursor = [], ""
    for _ in range(4):
        resp = client.get(f"/api/v1/crm/tag-changes?limit=2&cursor={cursor}", headers=headers)
        assert resp.status_code == 200, resp.json
        tags += [(c["tag"], c["op"], c["player"]["openid"]) for c in resp.json["changes"]]
        cursor = resp.json["next_cursor"]
    assert tags == [(f"t{n}", "add", "o-9") for n in range(5)]
    theirs = {"Authorization": f"Bearer {other_secret}"}
    resp = client.get("/api/v1/crm/tag-changes", headers=theirs)
    assert resp.json["changes"] == []
    resp = client.get(f"/api/v1/crm/tag-changes?cursor={cursor}", headers=theirs)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_cursor"
    resp = client.get("/api/v1/crm/tag-changes?cursor=made-up", headers=headers)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_cursor"
    resp = client.get("/api/v1/crm/tag-changes", headers={"Authorization": f"Bearer {no_scope}"})
    assert resp.status_code == 403


def test_concurrent_writers_with_late_commits_are_read_once_in_order(app, pool_app):
    """Writers hold their rows open while a reader polls: none is skipped or doubled.

    One late commit is made certain, not left to timing: writer 0 takes the
    first id, writer 1 writes only after that, and writer 0 commits only once
    the reader has handed out one of writer 1's rows (a higher id).
    """
    brand = make_brand()
    player = make_player(brand)
    brand_id, player_id = brand.id, player.id
    writers, per_writer = 12, 5
    done, held = threading.Event(), threading.Event()
    held_id: list[int] = []
    seen: list = []

    def write(n):
        if n == 1:
            wait_until(held.is_set, 30, "writer 0 took its id")
        for k in range(per_writer):
            outbox.write_changes([_row(brand_id, player_id, f"w{n}-{k}")])
            db.session.flush()  # the id is taken now ...
            if (n, k) == (0, 0):
                held_id.append(db.session.scalar(
                    select(TagChange.id).where(TagChange.tag == "w0-0",
                                               TagChange.brand_id == brand_id)))
                held.set()
                wait_until(lambda: any(c.id > held_id[0] for c in list(seen)), 60,
                           "the reader handed out a row with a higher id")
            time.sleep(0.01 * ((n + k) % 4))  # ... and committed a little later
            db.session.commit()

    def read():
        with pool_app.app_context():
            after = 0
            while True:
                finished = done.is_set()
                page = outbox.changes_after(brand_id, after, 4)
                seen.extend(page.changes)
                after = page.next_position
                if finished and not page.changes:
                    break
            db.session.remove()

    reader = threading.Thread(target=read)
    reader.start()
    run_together(pool_app, list(range(writers)), write, workers=writers)
    done.set()
    reader.join(timeout=120)
    assert not reader.is_alive(), "the reader did not finish"
    tags = [c.tag for c in seen]
    assert len(tags) == writers * per_writer == len(set(tags))
    assert [c.position for c in seen] == list(range(1, len(seen) + 1))
    ids = [c.id for c in seen]
    assert ids != sorted(ids), "no late commit happened: the test proved nothing"
    # each writer's own changes keep their order
    for n in range(writers):
        mine = [t for t in tags if t.startswith(f"w{n}-")]
        assert mine == [f"w{n}-{k}" for k in range(per_writer)]
    stored = db.session.scalars(select(TagChange.position).where(
        TagChange.brand_id == brand_id).order_by(TagChange.position)).all()
    assert stored == list(range(1, len(seen) + 1))
