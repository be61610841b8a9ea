"""The Python rules reproduce every golden vector of tests/golden/synthesis.json."""

import json
from pathlib import Path

import pytest

from games.prng import Prng
from games.synthesis import SynthesisGame, rules

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "synthesis.json")
                    .read_text(encoding="utf-8"))
CASES = GOLDEN["cases"]


@pytest.mark.parametrize("seed", sorted(GOLDEN["prng"]))
def test_prng_first_outputs(seed):
    prng = Prng(int(seed))
    assert [prng.next_u32() for _ in GOLDEN["prng"][seed]] == GOLDEN["prng"][seed]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_board_and_score(case):
    params = case["params"]
    prng = Prng(case["seed"])
    state = rules.initial_state(prng, params)
    assert state["board"] == case["start"]
    for i, move in enumerate(case["moves"]):
        state = rules.step(state, move["d"], prng, params)
        assert state is not None, f"move {i} refused"
        assert state["board"] == case["boards"][i], f"board after move {i}"
        assert state["score"] == case["scores"][i], f"score after move {i}"
    assert (state["score"], state["over"]) == (case["score"], case["over"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_replay_matches_golden(case):
    game = SynthesisGame()
    result = game.replay(case["seed"], case["params"], case["moves"],
                         elapsed_ms=case["moves"][-1]["t"])
    assert result.score == case["score"]
    assert result.over == case["over"]
    assert result.moves == len(case["moves"])
    assert result.duration_ms == case["moves"][-1]["t"]
    assert result.state == {"board": case["boards"][-1], "score": case["score"]}
    assert game.new_state(case["seed"], case["params"])["board"] == case["start"]


def test_golden_covers_what_matters():
    """The vectors include a game over, a 300+ move game and blocked max-level pairs."""
    assert any(c["over"] for c in CASES)
    assert any(len(c["moves"]) >= 300 for c in CASES)
    assert {c["params"]["spawn_high_pct"] for c in CASES} >= {0, 10, 50}
    assert any(_adjacent_max_pair(c) for c in CASES if len(c["params"]["levels"]) < 11)


def _adjacent_max_pair(case):
    top = len(case["params"]["levels"])
    for board in case["boards"]:
        for r, row in enumerate(board):
            for c, v in enumerate(row):
                right = c + 1 < len(row) and row[c + 1] == v
                down = r + 1 < len(board) and board[r + 1][c] == v
                if v == top and (right or down):
                    return True
    return False
