"""The dashboard's rewards that could not be issued: who, which rule, why, and a retry.

Reading and retrying go through ``engine.rewards.failures`` (the admin API's
service); this module only puts names to the rows for the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engine.extensions import db
from engine.models import AwardFailure, Campaign, CouponBatch, Player, RewardRule
from engine.rewards import failures

SHOWN = 50  # the newest open ones; the rest wait behind them


@dataclass(frozen=True)
class FailureRow:
    """One award failure with the names the page shows."""

    failure: AwardFailure
    player: Player | None
    rule: RewardRule | None
    batch: CouponBatch | None


@dataclass(frozen=True)
class FailureList:
    """The campaign's open failures (newest first, at most ``SHOWN``) and the resolved count."""

    open: list[FailureRow]
    open_total: int
    resolved_total: int


def _by_id(model, ids: set[int]) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def failure_list(campaign: Campaign) -> FailureList:
    """Return what the dashboard lists of the campaign's award failures."""
    rows = failures.failures_of(campaign)
    opened = [r for r in rows if r.status == "open"]
    shown = opened[:SHOWN]
    players = _by_id(Player, {r.player_id for r in shown})
    rules = _by_id(RewardRule, {r.rule_id for r in shown})
    batches = _by_id(CouponBatch, {r.batch_id for r in shown})
    return FailureList(
        [FailureRow(r, players.get(r.player_id), rules.get(r.rule_id), batches.get(r.batch_id))
         for r in shown],
        len(opened), len(rows) - len(opened))
