"""Play synthesis honestly from a seed with the pure rules, as a client would."""

from __future__ import annotations

from typing import Any

from games.prng import Prng
from games.synthesis import rules

# try the directions in this order; the first that changes the board is played
ORDER = ("L", "D", "R", "U")


def honest_log(seed: int, params: dict[str, Any],
               count: int | None = None) -> tuple[list[dict], int]:
    """Return an input log of up to ``count`` moves (t = 0, 1, 2 ms ...) and its score.

    ``params`` must be validated (defaults filled in). Without ``count`` the
    log runs until the game is over.
    """
    prng = Prng(seed)
    state = rules.initial_state(prng, params)
    points = rules.level_points(params)
    moves: list[dict] = []
    while not state["over"] and (count is None or len(moves) < count):
        for d in ORDER:
            if rules.apply_move(state["board"], d, points)[0] != state["board"]:
                state = rules.step(state, d, prng, params)
                moves.append({"d": d, "t": len(moves)})
                break
    return moves, state["score"]
