"""Synthesis (合成大西瓜): swipe to merge equal tiles into the next level.

The client sends its input log ``[{"d": "U"|"D"|"L"|"R", "t": ms}, ...]``;
the server replays it with the same seeded rules and the replayed score is
the score.
"""

from __future__ import annotations

from typing import Any

from games.base import GameType, ReplayResult
from games.synthesis import rules
from games.synthesis.schema import SynthesisMovesSchema, SynthesisParamsSchema


class SynthesisGame(GameType):
    """The 2048-style merge game with a brand's own chain of levels."""

    name = "synthesis"
    title = "合成大西瓜"
    params_schema = SynthesisParamsSchema
    moves_schema = SynthesisMovesSchema
    replayed = True
    rules = rules
    client_scripts = ("games/kit.js", "games/prng.js",
                      "games/synthesis/rules.js", "games/synthesis/client.js")
    metric_names = {"plays": "finished synthesis plays", "best_score": "best synthesis score",
                    "max_level": "highest tile level reached"}

    def session_metrics(self, result: ReplayResult) -> dict[str, int]:
        """Return the metrics a replayed game contributes to tags: the top level reached."""
        return {"max_level": max((max(row) for row in result.state["board"]), default=0)}

    def player_metrics(self, sessions: list[dict[str, Any]],
                       state: dict[str, Any] | None) -> dict[str, Any]:
        """Return plays, best score and the highest level reached (from ``max_level``)."""
        if not sessions:
            return {}
        return {"plays": len(sessions), "best_score": max(s["score"] for s in sessions),
                "max_level": max(s.get("max_level", 0) for s in sessions)}


__all__ = ["SynthesisGame"]
