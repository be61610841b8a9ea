"""Measure how fast the server replays long races (ticks per second), in-process.

A simple driver steers away from the obstacle ahead, so races run for many
thousands of ticks; each log is first checked to replay to the driver's score.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from games import get_game_type
from games.prng import Prng
from games.racing import rules

# ten minutes at 30 ticks/s: 18,000 ticks when the driver keeps its lives
PARAMS = {"duration_s": 600, "lives": 5, "obstacle_density": 15}
SEEDS = (11, 22, 33, 44)
ROUNDS = 3


@dataclass(frozen=True)
class RaceSpeed:
    """Ticks replayed per second, and the races it was measured on."""

    ticks_per_s: float
    races: int
    mean_ticks: float


def _steer(state: dict, track: rules.Track, params: dict, last_k: int | None) -> str | None:
    """Return a steer away from an obstacle in the next row, if one is allowed now."""
    gap = params["min_input_gap_ticks"] + params["tick_rate"] // 10
    if last_k is not None and state["ticks"] - last_k < gap:
        return None  # a hand's pace (and far under the per-second limit)
    ahead = track.row(state["pos"] // rules.ROW_MM + 1)
    if ahead[state["lane"]] != rules.OBSTACLE:
        return None
    for action, lane in (("L", state["lane"] - 1), ("R", state["lane"] + 1)):
        if 0 <= lane < params["lanes"] and ahead[lane] != rules.OBSTACLE:
            return action
    return None


def drive(seed: int, params: dict) -> tuple[list[dict], dict]:
    """Return a driver's input log for ``seed`` and the race's final state."""
    view, track = rules.Track(Prng(seed), params), rules.Track(Prng(seed), params)
    state, moves = rules.initial_state(params), []
    while not state["over"]:
        action = _steer(state, view, params, moves[-1]["k"] if moves else None)
        if action is not None:
            moves.append({"k": state["ticks"], "a": action})
        state = rules.step(state, action, track, params)
    return moves, state


def measure() -> RaceSpeed:
    """Replay one driven race per seed, ``ROUNDS`` times; return the best round's speed."""
    game = get_game_type("racing")
    params = game.validate_params(PARAMS)
    races = {seed: drive(seed, params) for seed in SEEDS}
    for seed, (moves, state) in races.items():
        if game.replay(seed, params, moves).score != rules.score_of(state, params):
            raise AssertionError(f"race {seed} does not replay to the driver's score")
    ticks = sum(state["ticks"] for _, state in races.values())
    best = float("inf")
    for _ in range(ROUNDS):
        began = time.perf_counter()
        for seed, (moves, _) in races.items():
            game.replay(seed, params, moves)
        best = min(best, time.perf_counter() - began)
    return RaceSpeed(ticks / best, len(races), ticks / len(races))
