"""Evaluate a brand's tag rules: metrics in, tag state and outbox rows out.

A full pass evaluates every player of the brand; an incremental pass only
some players, with the same metrics code (distributions that rank players
against each other are always read whole), so both give the same answer.
Only players who consented to profiling are tagged; everyone else holds no
tag (and loses any they held).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select

from engine.clock import to_ms, utcnow
from engine.extensions import db
from engine.models import PlayerTag, TagGroup, TagRule
from tags import columns, defaults, metrics, state
from tags.language import Evaluator
from tags.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleRow:
    """What evaluation needs of one rule."""

    id: int
    name: str
    group_id: int
    exclusive: bool
    priority: int
    rule: dict


@dataclass(frozen=True)
class DryRun:
    """What a rule would do now: the brand's players, whom it matches, whom it may tag."""

    players: int
    matched: int
    would_tag: int


@dataclass(frozen=True)
class TagCount:
    """A tag (its rule and group) with how many players hold it now."""

    rule: TagRule
    group: TagGroup
    players: int


@dataclass(frozen=True)
class Outcome:
    """What one evaluation did."""

    players: int
    changes: int
    seconds: float


def now_s() -> int:
    """Return the current Unix second."""
    return to_ms(utcnow()) // 1000


def rules_of(brand_id: int) -> list[RuleRow]:
    """Return the brand's rules with their groups, by group, priority (highest first), id."""
    rows = db.session.execute(
        select(TagRule.id, TagRule.name, TagRule.group_id, TagGroup.exclusive, TagRule.priority,
               TagRule.rule).join(TagGroup, TagGroup.id == TagRule.group_id)
        .where(TagRule.brand_id == brand_id)
        .order_by(TagRule.group_id, TagRule.priority.desc(), TagRule.id)).all()
    return [RuleRow(*row) for row in rows]


def load_metrics(brand_id: int, players: np.ndarray | None = None,
                 now: int | None = None) -> Metrics:
    """Return the metrics of the brand's players (or of ``players`` only)."""
    cols = columns.load(brand_id, now_s() if now is None else now, players)
    return metrics.compute(cols)


def consented(brand_id: int, player_ids: np.ndarray) -> np.ndarray:
    """Return which of ``player_ids`` consented to profiling by the brand."""
    return np.isin(player_ids, state.consented_players(brand_id))


def decide(m: Metrics, rules: list[RuleRow], allowed: np.ndarray) -> np.ndarray:
    """Return the packed (player, rule) pairs that should hold.

    In an exclusive group the rules are taken highest priority first and a
    player matched by one is not matched by the ones after it.
    """
    evaluator = Evaluator(m)
    taken: dict[int, np.ndarray] = {}
    keys = []
    for rule in rules:
        found = evaluator.matches(rule.rule) & allowed
        if rule.exclusive:
            before = taken.get(rule.group_id, np.zeros(len(m), bool))
            found &= ~before
            taken[rule.group_id] = before | found
        keys.append(state.pack(m.player_ids[found], np.full(int(found.sum()), rule.id)))
    return np.concatenate(keys) if keys else np.zeros(0, np.int64)


def evaluate_brand(brand_id: int, players: np.ndarray | None = None, now: int | None = None,
                   progress: Callable[[str], None] | None = None) -> Outcome:
    """Evaluate the brand's rules for all its players (or ``players``); write the differences."""
    started = time.perf_counter()
    step = progress or (lambda _label: None)
    if defaults.install_defaults(brand_id):
        db.session.commit()
    scope = None if players is None else np.unique(np.asarray(players, np.int64))
    step("metrics")
    m = load_metrics(brand_id, scope, now)
    step("rules")
    desired = decide(m, rules_of(brand_id), consented(brand_id, m.player_ids))
    step("write")
    written = state.apply(brand_id, desired, scope)
    outcome = Outcome(len(m), written, time.perf_counter() - started)
    log.info("tags: brand %s, %s players, %s changes in %.2fs", brand_id, outcome.players,
             outcome.changes, outcome.seconds)
    return outcome


def dry_run(brand_id: int, rule: dict) -> DryRun:
    """Return how many players ``rule`` would match now, and how many of them may be tagged."""
    m = load_metrics(brand_id)
    found = Evaluator(m).matches(rule)
    allowed = consented(brand_id, m.player_ids)
    return DryRun(len(m), int(found.sum()), int((found & allowed).sum()))


def tag_counts(brand_id: int) -> list[TagCount]:
    """Return each tag of the brand with its group and how many players hold it now."""
    held = dict(db.session.execute(
        select(PlayerTag.rule_id, func.count()).where(PlayerTag.brand_id == brand_id)
        .group_by(PlayerTag.rule_id)).all())
    rows = db.session.execute(
        select(TagRule, TagGroup).join(TagGroup, TagGroup.id == TagRule.group_id)
        .where(TagRule.brand_id == brand_id)
        .order_by(TagGroup.id, TagRule.priority.desc(), TagRule.id)).all()
    return [TagCount(rule, group, held.get(rule.id, 0)) for rule, group in rows]
