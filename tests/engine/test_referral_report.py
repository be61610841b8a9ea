"""Referral KPIs: numpy over the forest equals the per-node answer; JSON, CSV, tree, auth."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from engine import keys
from engine.access.auth import create_api_key
from engine.clock import local_day
from engine.extensions import db, redis_store
from engine.referral import forest, report_cache, sharer_from_token
from engine.referral.report import _local_days
from tests.engine.test_admin_api import bearer
from tests.engine.test_referral import finish_one, visit
from tests.factories import make_campaign, make_marketer
from tests.support.statements import counted

PLAIN = {"min_move_interval_ms": 0}
QUIET = {"burst_per_address": 10000, "sharer_burst": 10000}


def naive(parents):
    """Walk every node up to its root, one at a time: the answer numpy must match."""
    n = len(parents)
    depth, root, downstream = [0] * n, [0] * n, [0] * n
    for i in range(n):
        node, steps = i, 0
        while parents[node] != node:
            node, steps = parents[node], steps + 1
            downstream[node] += 1
        depth[i], root[i] = steps, node
    return depth, root, downstream


def test_pointer_jumping_and_bincount_match_walking_each_node():
    rng = np.random.default_rng(7)
    parents = np.arange(3000)
    for i in range(1, 3000):  # a random forest, parents before children, chains up to ~40
        if rng.random() > 0.05:
            parents[i] = rng.integers(max(0, i - 80), i)
    found = forest.build(parents)
    depth, root, downstream = naive(parents.tolist())
    assert found.depth.tolist() == depth and found.root.tolist() == root
    assert found.downstream.tolist() == downstream
    assert found.max_depth == max(depth) >= 20
    assert found.direct.sum() == (parents != np.arange(3000)).sum()


def test_k_by_generation_and_histogram():
    parents = np.array([0, 0, 0, 1, 1, 2, 3])  # 1 root, 2 at depth 1, 3 at 2, 1 at 3
    found = forest.build(parents)
    assert found.depth_histogram().tolist() == [1, 2, 3, 1]
    assert found.k_by_generation() == [2.0, 1.5, 1 / 3]


def report_url(campaign, **query):
    tail = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/reports/campaigns/{campaign.id}/referral" + (f"?{tail}" if tail else "")


def test_the_report_counts_a_small_campaign(app, client):
    campaign = make_campaign(game_params=PLAIN, risk_config=QUIET)
    a = app.test_client()
    token_a = visit(a, campaign)
    a.post(f"/api/v1/campaigns/{campaign.slug}/shares", json={})
    b, c = app.test_client(), app.test_client()
    token_b = visit(b, campaign, token_a)
    visit(c, campaign, token_a)
    d = app.test_client()
    visit(d, campaign, token_b)
    finish_one(b, campaign)
    finish_one(d, campaign)
    headers = bearer(make_marketer(campaign.brand))
    got = client.get(report_url(campaign), headers=headers)
    assert got.status_code == 200
    kpi = got.get_json()
    a_id, b_id = sharer_from_token(campaign, token_a), sharer_from_token(campaign, token_b)
    assert isinstance(kpi["viral_cycle_time_s"], float) and kpi["viral_cycle_time_s"] >= 0
    today = local_day(datetime.now(UTC), campaign.timezone).isoformat()
    assert kpi == {
        "players": 4, "visits": 4, "shares": 1, "share_opens": 3, "referred_players": 3,
        "k_factor": 0.75, "share_rate": 0.25, "viral_cycle_time_s": kpi["viral_cycle_time_s"],
        "max_depth": 2, "depth_histogram": {"0": 1, "1": 2, "2": 1},
        "k_by_generation": {"0": 2.0, "1": 0.5},
        "top_sharers": [
            {"player": {"id": a_id, "nickname": f"玩家{a_id:05d}"}, "direct": 2, "downstream": 3},
            {"player": {"id": b_id, "nickname": f"玩家{b_id:05d}"}, "direct": 1, "downstream": 1}],
        "funnel": {"visit": 4, "play": 2, "share": 1, "referred_play": 2, "coupon_claimed": 0,
                   "coupon_redeemed": 0},
        "daily": [{"date": today, "visits": 4, "shares": 1, "share_opens": 3,
                   "referred_players": 3, "referred_plays": 2}]}
    # the kept form is the same JSON: a kept report answers exactly what was computed
    kept = json.loads(redis_store.r.get(keys.referral_report(
        campaign.id, f"report:{campaign.timezone}:-:-")))
    assert kept["answer"] == kpi and _report(client, campaign, headers) == kpi
    tree_url = report_url(campaign).replace("/referral", "/referral/tree") + f"?player={a_id}"
    tree = client.get(tree_url, headers=headers).get_json()
    d_id = tree["children"][0]["children"][0]["player_id"]
    c_id = tree["children"][1]["player_id"]
    assert tree == {
        "player_id": a_id, "depth": 0, "direct": 2, "downstream": 3, "truncated": False,
        "cut_by_depth": False, "children": [
            {"player_id": b_id, "depth": 1, "direct": 1, "downstream": 1, "truncated": False,
             "cut_by_depth": False,
             "children": [{"player_id": d_id, "depth": 2, "direct": 0, "downstream": 0,
                           "truncated": False, "cut_by_depth": False, "children": []}]},
            {"player_id": c_id, "depth": 1, "direct": 0, "downstream": 0, "truncated": False,
             "cut_by_depth": False, "children": []}]}
    assert len({a_id, b_id, c_id, d_id}) == 4
    assert client.get(tree_url, headers=headers).get_json() == tree  # kept


def test_csv_has_the_totals_block_then_the_daily_series(app, client):
    campaign = make_campaign(game_params=PLAIN)
    token = visit(app.test_client(), campaign)
    visit(app.test_client(), campaign, token)
    got = client.get(report_url(campaign, format="csv"),
                     headers=bearer(make_marketer(campaign.brand)))
    assert got.status_code == 200 and got.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True))))
    totals = {r[0]: r[1] for r in rows[:rows.index([])]}
    assert totals["players"] == "2" and totals["referred_players"] == "1"
    header = rows[rows.index([]) + 1]
    assert header[0] == "date" and "referred_players" in header
    assert len(rows) > rows.index([]) + 2


def test_bad_ranges_auth_and_other_brands(app, client):
    campaign = make_campaign()
    headers = bearer(make_marketer(campaign.brand))
    bad = client.get(report_url(campaign, **{"from": "2026-11-23T00:00:00%2B08:00",
                                             "to": "2026-11-22T00:00:00%2B08:00"}),
                     headers=headers)
    assert bad.status_code == 422
    assert client.get(report_url(campaign)).status_code == 401
    secret, _ = create_api_key(campaign.brand, ["reports:read"])
    db.session.commit()
    assert client.get(report_url(campaign),
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    no_scope, _ = create_api_key(campaign.brand, ["tags:read"])
    db.session.commit()
    assert client.get(report_url(campaign),
                      headers={"Authorization": f"Bearer {no_scope}"}).status_code == 403
    other = make_campaign()
    assert client.get(report_url(other), headers=headers).status_code == 404
    tree = report_url(campaign).replace("/referral", "/referral/tree") + "?player=999999"
    assert client.get(tree, headers=headers).status_code == 404


def _report(client, campaign, headers):
    got = client.get(report_url(campaign), headers=headers)
    assert got.status_code == 200
    return got.get_json()


def test_a_report_is_served_from_redis_until_a_referral_arrives_or_it_ages(app, client):
    campaign = make_campaign(game_params=PLAIN, risk_config=QUIET)
    headers = bearer(make_marketer(campaign.brand))
    token = visit(app.test_client(), campaign)
    first = _report(client, campaign, headers)
    assert first["players"] == 1
    with counted() as log:
        assert _report(client, campaign, headers) == first
    assert not [s for s in log.statements if "FROM events" in s or "FROM referrals" in s]
    visit(app.test_client(), campaign)  # a visit alone: the kept report is still served
    assert _report(client, campaign, headers)["players"] == 1
    friend = app.test_client()
    visit(friend, campaign, token)  # a referral: the data version moves
    assert _report(client, campaign, headers)["players"] == 3
    finish_one(friend, campaign)  # a referred play moves it too
    assert _report(client, campaign, headers)["funnel"]["referred_play"] == 1
    visit(app.test_client(), campaign)
    app.config["REFERRAL_REPORT_TTL_S"] = 0  # aged: computed again
    assert _report(client, campaign, headers)["players"] == 4
    # another range is another answer
    ranged = client.get(report_url(campaign, **{"from": "2099-01-01T00:00:00%2B08:00"}),
                        headers=headers).get_json()
    assert ranged["players"] == 0


def test_a_tree_is_kept_per_player_and_follows_new_referrals(app, client):
    campaign = make_campaign(game_params=PLAIN, risk_config=QUIET)
    headers = bearer(make_marketer(campaign.brand))
    token = visit(app.test_client(), campaign)
    sharer = sharer_from_token(campaign, token)
    url = report_url(campaign).replace("/referral", "/referral/tree") + f"?player={sharer}"
    assert client.get(url, headers=headers).get_json()["downstream"] == 0
    visit(app.test_client(), campaign, token)
    assert client.get(url, headers=headers).get_json()["downstream"] == 1


def test_readers_of_a_report_being_computed_wait_for_it_instead_of_computing(app):
    campaign = make_campaign()
    computed = []
    redis_store.r.set(keys.referral_report_lock(campaign.id, "x"), "1")  # someone computes it

    def answer():
        computed.append(1)
        return {"n": 1}

    def finish_elsewhere():
        time.sleep(0.3)
        redis_store.r.set(keys.referral_report(campaign.id, "x"),
                          json.dumps({"version": 0, "at": time.time(), "answer": {"n": 2}}))

    other = threading.Thread(target=finish_elsewhere)
    other.start()
    assert report_cache._cached(campaign, "x", answer) == {"n": 2}
    other.join()
    assert computed == []


def test_local_days_worked_out_per_quarter_hour_match_each_moments_own():
    start = datetime(2026, 3, 7, tzinfo=UTC)  # New York's clocks jump on March 8
    moments = [start + timedelta(minutes=7 * i, seconds=i % 60) for i in range(3000)]
    for tz in ("Asia/Shanghai", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"):
        day_of = _local_days(tz)
        assert [day_of(m) for m in moments] == [local_day(m, tz).isoformat() for m in moments]
