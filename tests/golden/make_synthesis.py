"""Generate tests/golden/synthesis.json from the Python rules.

Run ``python tests/golden/make_synthesis.py`` from the repository root. Each
case plays random effective moves (chosen by its own ``random.Random``) from
a seeded start and records the board and score after every move; the PRNG
section records mulberry32's first outputs. The pytest and node suites check
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
from games.synthesis import rules  # noqa: E402
from games.synthesis.schema import SynthesisParamsSchema  # noqa: E402
from tests.golden import golden_json  # noqa: E402

OUT = Path(__file__).with_name("synthesis.json")
PRNG_SEEDS = (0, 1, 4294967295)
PRNG_COUNT = 20

GEMS = [{"name": name, "image": image, "points": points} for name, image, points in (
    ("碎钻", "", 1), ("蓝宝石", "/static/brand/sapphire.png", 3), ("红宝石", "", 9),
    ("翡翠", "https://cdn.example.com/jade.png", 27), ("皇冠", "", 81),
)]

# name, seed, raw params, move cap (a case stops at game over or at the cap)
CASES = (
    ("default_4x4_to_over", 1, {}, 2000),
    ("tiny_3x3_to_over", 7, {"rows": 3, "cols": 3}, 2000),
    ("gems_5x6_max_level_no_merge", 12345, {"rows": 5, "cols": 6, "levels": GEMS}, 2000),
    ("no_high_spawns", 0, {"spawn_high_pct": 0}, 120),
    ("half_high_spawns_3x5", 4294967295, {"rows": 3, "cols": 5, "spawn_high_pct": 50}, 2000),
    ("long_6x6", 20240601, {"rows": 6, "cols": 6, "min_move_interval_ms": 100}, 420),
    ("big_8x8_tall_seed", 2**31 + 5, {"rows": 8, "cols": 8}, 60),
    ("three_levels_4x3", 99, {"rows": 4, "cols": 3, "levels": GEMS[:3]}, 2000),
)


def play_case(name: str, seed: int, raw: dict, cap: int, case_no: int) -> dict:
    """Return one golden case: random effective moves and the state after each."""
    params = SynthesisParamsSchema().load(raw)
    chooser = random.Random(case_no)
    prng = Prng(seed)
    state = rules.initial_state(prng, params)
    start = [row[:] for row in state["board"]]
    moves, boards, scores, t = [], [], [], 0
    while not state["over"] and len(moves) < cap:
        points = rules.level_points(params)
        options = [d for d in rules.DIRECTIONS
                   if rules.apply_move(state["board"], d, points)[0] != state["board"]]
        d = chooser.choice(options)
        t += params["min_move_interval_ms"] + chooser.randrange(400)
        state = rules.step(state, d, prng, params)
        moves.append({"d": d, "t": t})
        boards.append(state["board"])
        scores.append(state["score"])
    result = rules.replay(seed, params, moves, elapsed_ms=t)
    assert (result.score, result.over) == (state["score"], state["over"])
    return {"name": name, "seed": seed, "params": params, "start": start, "moves": moves,
            "boards": boards, "scores": scores, "score": state["score"], "over": state["over"]}


def prng_vectors() -> dict[str, list[int]]:
    """Return the first outputs of the PRNG for each golden seed."""
    out = {}
    for seed in PRNG_SEEDS:
        prng = Prng(seed)
        out[str(seed)] = [prng.next_u32() for _ in range(PRNG_COUNT)]
    return out


def main() -> None:
    """Write the golden file and print a one-line summary per case."""
    cases = [play_case(*case, case_no=n) for n, case in enumerate(CASES)]
    doc = {"prng": prng_vectors(), "cases": cases}
    assert json.loads(golden_json.dumps(doc, ("moves", "boards"))) == doc
    OUT.write_text(golden_json.dumps(doc, ("moves", "boards")), encoding="utf-8")
    for case in cases:
        sys.stdout.write(f"{case['name']}: {len(case['moves'])} moves, "
                         f"score {case['score']}, over {case['over']}\n")


if __name__ == "__main__":
    main()
