"""Referral benchmarks: share-link opens attributed through HTTP, and the KPI report at 1M.

Opens: each client is a new visitor every time (a fresh cookie jar) opening a
share link with WeChat's ``from=timeline&isappinstalled=0`` appended, so each
request is a share open recorded, a first-touch attribution made and a visit
recorded. The bench campaign's burst threshold is set out of reach: every
client shares 127.0.0.1, which a real deployment's visitors do not.

Report: a synthetic forest of 1,000,000 players with chains 20+ levels deep;
numpy (pointer jumping, one bincount per level) against a per-node recursive
computation of the same depth and downstream size, in the same run.

Report cache: the whole KPI report of a campaign stored in the database
(``REPORT_PLAYERS`` players, each a visit, all but the first referred) read
as the API reads it: computed (loading events and referrals, then numpy),
then served from Redis (``engine.referral.report_cache``) while no new
referral arrives.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import requests
from sqlalchemy import insert

from bench.load import LoadResult, Sample, run_clients
from bench.table import Row
from engine import create_app
from engine.campaigns.lifecycle import create_campaign
from engine.clock import utcnow
from engine.extensions import db
from engine.models import Brand, Event, Player, Referral
from engine.referral import forest, report_cache, share_token_for

SLUG = "bench-referral"
FOREST_SIZE = 1_000_000
REPORT_PLAYERS = 200_000
REPORT_SLUG = "bench-referral-report"
CHUNK = 10_000
CACHED_READS = 20
TIMEOUT_S = 30


def seed_campaign(app_config: dict) -> str:
    """Create the live campaign and one sharer; return the share URL path WeChat passes on."""
    app = create_app(app_config)
    with app.app_context():
        brand = db.session.query(Brand).filter_by(slug="bench").one()
        now = utcnow()
        campaign = create_campaign(
            brand, slug=SLUG, title="裂变压测", game_type="synthesis", status="live",
            game_params={"min_move_interval_ms": 0}, starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
            risk_config={"burst_per_address": 10000, "sharer_burst": 10000})
        sharer = Player(brand_id=brand.id)
        db.session.add(sharer)
        db.session.commit()
        path = f"/c/{SLUG}?s={share_token_for(campaign, sharer)}&from=timeline&isappinstalled=0"
        db.session.remove()
        db.engine.dispose()
    return path


def open_once(http: requests.Session, url: str) -> list[Sample]:
    """Open the share link as a new visitor (the cookie jar is cleared first)."""
    http.cookies.clear()
    began = time.perf_counter()
    try:
        status = http.get(url, timeout=TIMEOUT_S).status_code
    except requests.RequestException:
        status = 0
    ended = time.perf_counter()
    return [Sample("open", ended, ended - began, status)]


def measure_opens(base_url: str, path: str, clients: int, warmup_s: float,
                  duration_s: float) -> LoadResult:
    """Run ``clients`` visitors opening the share link against the server."""
    return run_clients(lambda http: open_once(http, base_url + path), clients, warmup_s,
                       duration_s)


def synthetic_forest(n: int = FOREST_SIZE, levels: int = 24, seed: int = 11) -> np.ndarray:
    """Return a parents array: level sizes that shrink with depth, plus a few 40-deep chains."""
    rng = np.random.default_rng(seed)
    chains = 50 * 40
    weights = 0.8 ** np.arange(levels)
    sizes = np.maximum((weights / weights.sum() * (n - chains)).astype(np.int64), 1)
    sizes[0] += n - chains - sizes.sum()
    parents = np.empty(n, dtype=np.int64)
    start = 0
    for depth, size in enumerate(sizes):
        ids = np.arange(start, start + size)
        if depth == 0:
            parents[ids] = ids
        else:
            above = start - sizes[depth - 1]
            parents[ids] = rng.integers(above, start, size)
        start += size
    for _ in range(chains // 40):  # chains of 40 below random roots
        ids = np.arange(start, start + 40)
        parents[ids[0]] = rng.integers(0, sizes[0])
        parents[ids[1:]] = ids[:-1]
        start += 40
    return parents


def per_node(parents: list[int]) -> tuple[list[int], list[int]]:
    """Return depth and downstream size, computed node by node with recursion."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    children: list[list[int]] = [[] for _ in parents]
    for node, parent in enumerate(parents):
        if parent != node:
            children[parent].append(node)

    def depth(node: int) -> int:
        return 0 if parents[node] == node else 1 + depth(parents[node])

    def size(node: int) -> int:
        return 1 + sum(size(child) for child in children[node])

    return [depth(i) for i in range(len(parents))], [size(i) - 1 for i in range(len(parents))]


@dataclass
class ForestTiming:
    """The numpy and per-node seconds over one forest, and what it held."""

    players: int
    max_depth: int
    numpy_s: float
    per_node_s: float


def measure_report(n: int = FOREST_SIZE) -> ForestTiming:
    """Time the numpy forest and the per-node recursion on the same forest; check they agree."""
    parents = synthetic_forest(n)
    began = time.perf_counter()
    found = forest.build(parents)
    numpy_s = time.perf_counter() - began
    as_list = parents.tolist()
    began = time.perf_counter()
    depth, downstream = per_node(as_list)
    per_node_s = time.perf_counter() - began
    if depth != found.depth.tolist() or downstream != found.downstream.tolist():
        raise AssertionError("numpy and per-node forests disagree")
    return ForestTiming(n, found.max_depth, numpy_s, per_node_s)


@dataclass
class ReportCacheTiming:
    """The KPI report of one stored campaign: computed, and served from Redis."""

    players: int
    computed_s: float
    cached_s: float


def _store_campaign(brand: Brand, n: int):
    """Store a campaign of ``n`` players: each visited, each after the first referred."""
    now = utcnow()
    campaign = create_campaign(
        brand, slug=REPORT_SLUG, title="裂变报表压测", game_type="synthesis", status="live",
        game_params={}, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30))
    db.session.flush()
    ids: list[int] = []
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        ids += db.session.scalars(insert(Player).returning(Player.id, sort_by_parameter_order=True),
                                  [{"brand_id": brand.id, "nickname": "", "avatar": "",
                                    "device": "", "created_at": now, "last_seen_at": now}]
                                  * size).all()
    depth = [0] * n
    for start in range(0, n, CHUNK):
        rows, visits = [], []
        for i in range(start, min(start + CHUNK, n)):
            visits.append({"brand_id": brand.id, "campaign_id": campaign.id,
                           "player_id": ids[i], "kind": "visit", "props": {},
                           "created_at": now})
            if i == 0:
                continue
            parent = (i - 1) // 2
            depth[i] = depth[parent] + 1
            rows.append({"campaign_id": campaign.id, "player_id": ids[i],
                         "referrer_id": ids[parent], "root_id": ids[0], "depth": depth[i],
                         "share_token": "bench", "created_at": now})
        db.session.execute(insert(Event), visits)
        if rows:
            db.session.execute(insert(Referral), rows)
    db.session.commit()
    return campaign


def measure_report_cache(app_config: dict, n: int = REPORT_PLAYERS) -> ReportCacheTiming:
    """Time the report of a stored campaign computed, then served from the Redis cache."""
    app = create_app(app_config)
    with app.app_context():
        brand = db.session.query(Brand).filter_by(slug="bench").one()
        campaign = _store_campaign(brand, n)
        began = time.perf_counter()
        computed = report_cache.referral_report(campaign)
        computed_s = time.perf_counter() - began
        if computed.players != n or computed.referred_players != n - 1:
            raise AssertionError(f"the report counted {computed.players} players, not {n}")
        began = time.perf_counter()
        for _ in range(CACHED_READS):
            if report_cache.referral_report(campaign) != computed:
                raise AssertionError("the cached report differs from the computed one")
        cached_s = (time.perf_counter() - began) / CACHED_READS
        db.session.remove()
        db.engine.dispose()
    return ReportCacheTiming(n, computed_s, cached_s)


def rows(opens: LoadResult, timing: ForestTiming,
         cache: ReportCacheTiming | None = None) -> list[Row]:
    """Return the referral rows."""
    label = f"share-link opens attributed (HTTP, {opens.clients} new visitors at a time)"
    return [
        Row(label, opens.rate("open"), "opens/s"),
        Row(f"{label} p99", opens.percentile_ms("open", 99), "ms"),
        Row("share-link open non-2xx answers", opens.failures(), f"of {opens.total():,} calls"),
        Row(f"referral KPI forest ({timing.players:,} players, depth {timing.max_depth}), "
            "numpy", timing.numpy_s, "s", 1.0, "goal"),
        Row("referral KPI forest, per-node recursion (same forest)", timing.per_node_s, "s",
            timing.numpy_s, "numpy"),
    ] + ([] if cache is None else [
        Row(f"referral KPI report of a stored campaign ({cache.players:,} players), computed",
            cache.computed_s, "s"),
        Row("referral KPI report, same campaign, served from the Redis cache",
            cache.cached_s * 1000, "ms", cache.computed_s * 1000, "computed"),
    ])
