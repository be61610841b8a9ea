"""Measure how fast the server replays long synthesis logs, in-process."""

from __future__ import annotations

import time
from dataclasses import dataclass

from games import get_game_type
from tests.support.play import auto_moves

# a 6x6 board keeps an honest game going for hundreds of moves
PARAMS = {"rows": 6, "cols": 6, "min_move_interval_ms": 0}
SEEDS = tuple(range(1, 9))
# the best of many short rounds: on a shared machine most rounds lose the CPU for a while
ROUNDS = 10
MAX_MOVES = 5000  # the longest log the moves schema accepts


@dataclass(frozen=True)
class ReplaySpeed:
    """Moves replayed per second, and the logs it was measured on."""

    moves_per_s: float
    logs: int
    mean_moves: float
    min_moves: int


def measure() -> ReplaySpeed:
    """Replay one honest log per seed, ``ROUNDS`` times; return the best round's speed."""
    game = get_game_type("synthesis")
    params = game.validate_params(PARAMS)
    logs = {seed: auto_moves(seed, params, MAX_MOVES) for seed in SEEDS}
    total = sum(len(moves) for moves, _ in logs.values())
    best = float("inf")
    for _ in range(ROUNDS):
        began = time.perf_counter()
        for seed, (moves, score) in logs.items():
            result = game.replay(seed, PARAMS, moves)
            if result.score != score:
                raise AssertionError(f"replay of seed {seed} scored {result.score}, not {score}")
        best = min(best, time.perf_counter() - began)
    lengths = [len(moves) for moves, _ in logs.values()]
    return ReplaySpeed(total / best, len(logs), total / len(logs), min(lengths))
