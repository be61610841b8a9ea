"""Nurture (养成): care for a brand's plant every day until it matures.

Server-authoritative, not replayed: every action is an API call checked by
``rules`` against cooldowns, daily limits and energy; the engine stores one
state per player and serializes changes to it.
"""

from __future__ import annotations

from typing import Any

from games.base import GameType, Moment
from games.nurture import rules
from games.nurture.schema import NurtureParamsSchema


class NurtureGame(GameType):
    """The daily-care game: stages, actions with cooldowns, streaks, referral boosts."""

    name = "nurture"
    title = "养成"
    params_schema = NurtureParamsSchema
    replayed = False
    client_scripts = ("games/kit.js", "games/nurture/client.js")
    refusal_messages = {"cooldown": "冷却中，请稍后再来",
                        "daily_limit": "今天的次数用完了，明天再来吧",
                        "no_energy": "体力不足，明天会恢复满哦",
                        "matured": "已经成熟啦，去领取奖励吧"}
    metric_names = {"stage": "highest stage the plant reached", "streak": "care streak (days)",
                    "days_active": "days with a care action", "matured": "1 when matured",
                    "growth": "growth points", "friends": "friends who helped"}

    def new_player_state(self, params: dict[str, Any], now: Moment) -> dict[str, Any]:
        """Return a fresh plant with a full energy bar."""
        return rules.new_state(self.rules_params(params), now)

    def apply_action(self, state: dict[str, Any], params: dict[str, Any], action: str,
                     now: Moment) -> tuple[dict[str, Any], int]:
        """Do ``action`` now; raise ``ActionRefused`` on cooldown, limit or no energy."""
        return rules.act(state, self.rules_params(params), action, now)

    def apply_boost(self, state: dict[str, Any], params: dict[str, Any], amount: int,
                    now: Moment, friend_id: int | None = None) -> tuple[dict[str, Any], int]:
        """Grow the plant by ``amount`` (a referral reward's boost)."""
        return rules.boost(state, self.rules_params(params), amount, now, friend_id)

    def legacy_friend_boost(self, params: dict[str, Any]) -> int:
        """Return the growth the game gave a sharer before boosts were a reward kind."""
        return int(self.rules_params(params)["friend_boost"])

    def is_complete(self, state: dict[str, Any], params: dict[str, Any]) -> bool:
        """Return whether the plant has matured."""
        return bool(state.get("matured"))

    def player_state_view(self, state: dict[str, Any], params: dict[str, Any],
                          now: Moment) -> dict[str, Any]:
        """Return the plant, its energy, streak and each action's timer at ``now``."""
        return rules.view(state, self.rules_params(params), now)

    def player_metrics(self, sessions: list[dict[str, Any]],
                       state: dict[str, Any] | None) -> dict[str, Any]:
        """Return stage, streak, days_active, matured (plus growth and friends)."""
        return rules.metrics(state)


__all__ = ["NurtureGame"]
