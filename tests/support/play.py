"""Play the synthesis game honestly from a seed, as a client would."""

from __future__ import annotations

from games.prng import Prng
from games.synthesis import SynthesisGame, rules

ORDER = ("L", "D", "R", "U")


def auto_moves(seed: int, params: dict | None = None, count: int | None = None,
               interval_ms: int = 0, start_ms: int = 0) -> tuple[list[dict], int]:
    """Return an input log of up to ``count`` effective moves and its true score."""
    params = SynthesisGame().validate_params(params or {})
    prng = Prng(seed)
    state = rules.initial_state(prng, params)
    moves: list[dict] = []
    while not state["over"] and (count is None or len(moves) < count):
        for d in ORDER:
            probe = rules.apply_move(state["board"], d, rules.level_points(params))[0]
            if probe != state["board"]:
                state = rules.step(state, d, prng, params)
                moves.append({"d": d, "t": start_ms + len(moves) * interval_ms})
                break
    return moves, state["score"]
