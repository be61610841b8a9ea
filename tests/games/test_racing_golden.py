"""The Python rules reproduce every golden vector of tests/golden/racing.json."""

import json
from pathlib import Path

import pytest

from games.prng import Prng
from games.racing import RacingGame, rules

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "racing.json")
                    .read_text(encoding="utf-8"))
CASES = GOLDEN["cases"]
PINNED = ("ticks", "pos", "ramp", "lane", "lives", "crashes", "pickups")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_course_rows(case):
    track = rules.Track(Prng(case["seed"]), case["params"])
    assert [track.row(r) for r in range(len(case["rows"]))] == case["rows"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_checkpoint_and_score(case):
    params = case["params"]
    track = rules.Track(Prng(case["seed"]), params)
    state = rules.initial_state(params)
    steers = {m["k"]: m["a"] for m in case["moves"]}
    points = iter(case["checkpoints"])
    while not state["over"]:
        k = state["ticks"]
        state = rules.step(state, steers.get(k), track, params)
        assert state is not None, f"tick {k} refused"
        if state["ticks"] % case["every"] == 0 or state["over"]:
            assert {key: state[key] for key in PINNED} == next(points)
    assert next(points, None) is None
    assert rules.score_of(state, params) == case["score"]
    assert state["finished"] == case["finished"]
    assert rules.public_state(state) == case["state"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_replay_matches_golden(case):
    game = RacingGame()
    result = game.replay(case["seed"], case["params"], case["moves"],
                         elapsed_ms=case["duration_ms"])
    assert (result.score, result.over, result.moves) == (case["score"], True, len(case["moves"]))
    assert result.duration_ms == case["duration_ms"]
    assert result.state == case["state"]


def test_golden_covers_what_matters():
    """The vectors hold a 5,000+ tick race, both modes, lives running out and pick-ups."""
    assert any(c["state"]["ticks"] >= 5000 and len(c["moves"]) >= 300 for c in CASES)
    modes = {(c["params"]["score_mode"], c["finished"]) for c in CASES}
    assert modes >= {("distance", True), ("distance", False), ("time", True), ("time", False)}
    assert any(c["state"]["lives"] == 0 for c in CASES)
    assert any(c["params"]["score_mode"] == "time" and not c["finished"] and c["state"]["lives"]
               for c in CASES)  # a time trial cut off by the time limit
    assert any(c["state"]["pickups"] >= 50 for c in CASES)
    assert {c["params"]["lanes"] for c in CASES} == {3, 4, 5}
    assert {c["params"]["tick_rate"] for c in CASES} >= {20, 30, 45, 60}
    assert any(c["moves"] == [] for c in CASES)
