"""Generate tests/golden/racing.json from the Python rules.

Run ``python tests/golden/make_racing.py`` from the repository root. Each
case races a simple driver (its own ``random.Random``: it dodges what it sees
in the next rows, goes for pick-ups, and sometimes looks away) on a seeded
course and records the state every ``EVERY`` ticks, the first rows of the
course, and the final score and state. The pytest and node suites check
that the Python and JavaScript rules reproduce every vector.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from games.prng import Prng  # noqa: E402
from games.racing import rules  # noqa: E402
from games.racing.schema import RacingParamsSchema  # noqa: E402
from tests.golden import golden_json  # noqa: E402

OUT = Path(__file__).with_name("racing.json")
EVERY = 50
ROWS = 40
SKINS = {"car": "/static/brand/car.png", "track": "", "obstacle": "",
         "pickup": "https://cdn.example.com/coin.png"}

# name, seed, raw params, driver: (per mille of ticks it starts looking away for a second,
# percent of ticks it chases pick-ups)
CASES = (
    ("long_distance_dodger", 20240601, {"duration_s": 200}, (0, 50)),
    ("no_input_crashes_out", 1, {}, None),
    ("time_trial_finish_4_lanes", 7, {"score_mode": "time", "lanes": 4, "tick_rate": 60,
                                      "skins": SKINS}, (0, 80)),
    ("time_trial_dnf_one_life", 99, {"score_mode": "time", "lives": 1, "course_length": 3000,
                                     "duration_s": 90, "obstacle_density": 40}, (2, 30)),
    ("time_trial_misses_cutoff", 5, {"score_mode": "time", "lives": 5, "course_length": 2500},
     (15, 0)),
    ("pickup_hunter_5_lanes", 12345, {"lanes": 5, "tick_rate": 20, "pickup_density": 40,
                                      "pickup_points": 100, "duration_s": 90}, (2, 100)),
    ("fast_dense_tall_seed", 4294967295, {"obstacle_density": 60, "start_speed": 40,
                                          "max_speed": 120, "acceleration": 5, "tick_rate": 45,
                                          "lives": 5, "min_input_gap_ticks": 3}, (3, 20)),
    ("slow_steady_time_limit", 2**31 + 6, {"obstacle_density": 30, "pickup_density": 0,
                                           "start_speed": 5, "max_speed": 5,
                                           "acceleration": 0, "duration_s": 10}, (0, 0)),
)


def lane_cost(track: rules.Track, r: int, lane: int, chase: bool) -> int:
    """Return how little the driver likes ``lane`` for the next two rows from ``r``."""
    near, far = track.row(r)[lane], track.row(r + 1)[lane]
    cost = 100 * (near == rules.OBSTACLE) + 40 * (far == rules.OBSTACLE)
    if chase:
        cost -= 10 * (near == rules.PICKUP) + 5 * (far == rules.PICKUP)
    return cost


def choose(state: dict, track: rules.Track, params: dict, chooser: random.Random,
           chase_pct: int) -> str | None:
    """Return the driver's steer for the coming tick, or None."""
    r = state["pos"] // rules.ROW_MM + 1
    chase = chooser.randrange(100) < chase_pct
    lanes = range(params["lanes"])
    best = min(lanes, key=lambda ln: (lane_cost(track, r, ln, chase), abs(ln - state["lane"])))
    if best == state["lane"]:
        return None
    return "L" if best < state["lane"] else "R"


def paced(moves: list[dict], k: int, params: dict) -> bool:
    """Return whether a steer at tick ``k`` keeps the log's pace human."""
    if moves and k - moves[-1]["k"] < params["min_input_gap_ticks"]:
        return False
    n = rules.MAX_INPUTS_PER_S
    return len(moves) < n or k - moves[-n]["k"] >= params["tick_rate"]


def checkpoint(state: dict) -> dict:
    """Return the part of ``state`` a golden checkpoint pins."""
    keys = ("ticks", "pos", "ramp", "lane", "lives", "crashes", "pickups")
    return {key: state[key] for key in keys}


def race(seed: int, params: dict, driver: tuple[int, int] | None, case_no: int) -> tuple:
    """Return the driver's log, the checkpoints and the final state of one race."""
    chooser = random.Random(case_no)
    track, view = rules.Track(Prng(seed), params), rules.Track(Prng(seed), params)
    state = rules.initial_state(params)
    moves, points, blind = [], [], 0
    while not state["over"]:
        k = state["ticks"]
        if driver and not blind and chooser.randrange(1000) < driver[0]:
            blind = params["tick_rate"]  # looks away for a second
        blind = max(0, blind - 1)
        action = choose(state, view, params, chooser, driver[1]) if driver and not blind else None
        if action is not None and not paced(moves, k, params):
            action = None
        state = rules.step(state, action, track, params)
        if action is not None:
            moves.append({"k": k, "a": action})
        if state["ticks"] % EVERY == 0 or state["over"]:
            points.append(checkpoint(state))
    return moves, points, state, track


def play_case(name: str, seed: int, raw: dict, driver, case_no: int) -> dict:
    """Return one golden case, checked against a full replay."""
    params = RacingParamsSchema().load(raw)
    moves, points, state, track = race(seed, params, driver, case_no)
    result = rules.replay(seed, params, moves, elapsed_ms=rules.duration_ms(state, params))
    score = rules.score_of(state, params)
    assert (result.score, result.state) == (score, rules.public_state(state))
    return {"name": name, "seed": seed, "params": params, "every": EVERY,
            "rows": [track.row(r) for r in range(ROWS)], "moves": moves,
            "checkpoints": points, "score": score, "finished": state["finished"],
            "duration_ms": result.duration_ms, "state": result.state}


def main() -> None:
    """Write the golden file and print a one-line summary per case."""
    cases = [play_case(*case, case_no=n) for n, case in enumerate(CASES)]
    doc = {"cases": cases}
    assert json.loads(golden_json.dumps(doc, ("moves", "rows", "checkpoints"))) == doc
    OUT.write_text(golden_json.dumps(doc, ("moves", "rows", "checkpoints")), encoding="utf-8")
    for case in cases:
        sys.stdout.write(f"{case['name']}: {len(case['moves'])} moves, "
                         f"{case['state']['ticks']} ticks, score {case['score']}, "
                         f"finished {case['finished']}, state {case['state']}\n")


if __name__ == "__main__":
    main()
