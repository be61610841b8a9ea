"""Racing (竞速): steer left and right to dodge obstacles on a course that speeds up.

The client sends its input log ``[{"k": tick, "a": "L"|"R"}, ...]``; the
server replays the whole race tick by tick with the same seeded rules and
the replayed score is the score. "distance" campaigns rank metres plus
pick-up points (higher is better); "time" campaigns are time trials (ms to
the finish, lower is better).
"""

from __future__ import annotations

from typing import Any

from games.base import GameType, ReplayResult
from games.racing import rules
from games.racing.schema import RacingMovesSchema, RacingParamsSchema


class RacingGame(GameType):
    """The lane runner with a brand's own car, track, obstacles and pick-ups."""

    name = "racing"
    title = "竞速"
    params_schema = RacingParamsSchema
    moves_schema = RacingMovesSchema
    replayed = True
    rules = rules
    ends_early = False  # the server simulates the race to its end
    client_scripts = ("games/kit.js", "games/prng.js",
                      "games/racing/rules.js", "games/racing/client.js")
    metric_names = {"plays": "finished races", "best_distance": "longest distance (m)",
                    "best_time_ms": "fastest finish of a time trial (ms)",
                    "crashes_total": "crashes over all races"}

    def lower_is_better(self, params: dict[str, Any]) -> bool:
        """Return True for a time trial ("time" score mode)."""
        return self.rules_params(params)["score_mode"] == "time"

    def session_metrics(self, result: ReplayResult) -> dict[str, int]:
        """Return the metrics a replayed race contributes to tags."""
        return {"distance": result.state["distance"], "crashes": result.state["crashes"],
                "pickups": result.state["pickups"], "time_ms": result.duration_ms}

    def player_metrics(self, sessions: list[dict[str, Any]],
                       state: dict[str, Any] | None) -> dict[str, Any]:
        """Return plays, best distance, fastest finish and total crashes.

        Reads each session's ``session_metrics`` (``distance``, ``crashes``,
        ``time_ms``); ``best_time_ms`` counts only sessions marked ``finished``
        (a time trial that reached the line), else it is None.
        """
        if not sessions:
            return {}
        finished = [s["time_ms"] for s in sessions if s.get("finished") and "time_ms" in s]
        return {"plays": len(sessions),
                "best_distance": max(s.get("distance", 0) for s in sessions),
                "best_time_ms": min(finished) if finished else None,
                "crashes_total": sum(s.get("crashes", 0) for s in sessions)}


__all__ = ["RacingGame"]
