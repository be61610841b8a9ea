"""Measure player metrics and the default tag rules for a synthetic brand.

1,000,000 players and 10,000,000 events (visits, plays, game actions,
shares, referrals, coupons) built as the columns ``tags.columns.load``
returns, so the figure is the numpy work: metrics from columns, then every
default rule evaluated (goal: rules ≤ 1.5 s once metrics are loaded). Peak
memory is the process's resident high-water mark. Run alone with
``python -m bench.tag_rules``.
"""

from __future__ import annotations

import resource
import time

import numpy as np

from bench.table import Row, render
from tags.columns import Columns
from tags.defaults import DEFAULT_RULES
from tags.evaluation import RuleRow, decide
from tags.language import load_rule
from tags.metrics import DAY, compute

PLAYERS, EVENTS, SCORES = 1_000_000, 10_000_000, 2_000_000
KINDS = ["coupon_issued", "garden_action", "play_finished", "referral", "share", "visit"]
WEIGHTS = [0.02, 0.10, 0.20, 0.02, 0.06, 0.60]


def synthetic(seed: int = 7, players: int = PLAYERS, events: int = EVENTS) -> Columns:
    """Return the columns of a brand with three campaigns (one per game type)."""
    rng = np.random.default_rng(seed)
    now = 1_800_000_000
    scores = SCORES * players // PLAYERS
    ref = players // 10
    referred = rng.choice(np.arange(1, players), ref, replace=False)
    return Columns(
        now=now, player_ids=np.arange(1, players + 1, dtype=np.int64),
        player_created=now - rng.integers(0, 90 * DAY, players),
        campaign_ids=np.array([1, 2, 3]), campaign_types=["synthesis", "racing", "nurture"],
        campaign_lower_better=np.array([False, False, False]), event_kinds=KINDS,
        event_player=rng.integers(0, players, events),
        event_campaign=rng.integers(1, 4, events),
        event_kind=rng.choice(len(KINDS), events, p=WEIGHTS).astype(np.int16),
        event_at=now - rng.integers(0, 60 * DAY, events),
        share_open_sharer=rng.integers(0, players, events // 20),
        score_player=rng.integers(0, players, scores), score_campaign=rng.integers(1, 3, scores),
        score_value=rng.integers(0, 100_000, scores),
        score_duration=rng.integers(10_000, 120_000, scores),
        score_metrics=[{} for _ in range(scores)],
        best_campaign=np.repeat([1, 2], players // 2),
        best_player_id=np.tile(np.arange(1, players // 2 + 1), 2),
        best_value=rng.integers(0, 100_000, players),
        ref_campaign=np.ones(ref, np.int64), ref_player_id=referred + 1,
        ref_referrer_id=rng.integers(1, players + 1, ref),
        ref_depth=rng.integers(1, 6, ref),
        coupon_player=rng.integers(0, players, players // 5),
        coupon_source=["claim"] * (players // 5),
        coupon_redeemed=rng.random(players // 5) < 0.3)


def default_rules() -> list[RuleRow]:
    """Return the default rule set as evaluation reads it."""
    rows, rule_id = [], 0
    for group_id, ((_, exclusive), rules) in enumerate(DEFAULT_RULES.items(), 1):
        for name, rule, priority in rules:
            rule_id += 1
            rows.append(RuleRow(rule_id, name, group_id, exclusive, priority, load_rule(rule)))
    return sorted(rows, key=lambda r: (r.group_id, -r.priority, r.id))


def measure(players: int = PLAYERS, events: int = EVENTS) -> list[Row]:
    """Return the metrics and rules rows for a synthetic brand."""
    cols = synthetic(players=players, events=events)
    started = time.perf_counter()
    metrics = compute(cols)
    metrics_s = time.perf_counter() - started
    started = time.perf_counter()
    pairs = decide(metrics, default_rules(), np.ones(players, bool))
    rules_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    label = f"{players:,} players, {events:,} events"
    return [Row(f"tags: player metrics ({label})", metrics_s, "s"),
            Row(f"tags: default rules ({label}, {len(pairs):,} tags)", rules_s, "s", 1.5,
                "goal"),
            Row("tags: peak memory (metrics + rules)", peak_mb, "MB")]


if __name__ == "__main__":
    print(render(measure()))
