"""Unit tests of the synthesis rules, schemas and plugin: pure, no app needed."""

import json
import random
from pathlib import Path

import pytest
from marshmallow import ValidationError

from games import get_game_type
from games.base import MoveRejected
from games.prng import Prng
from games.synthesis import SynthesisGame, rules
from games.synthesis import schema as synthesis_schema
from games.synthesis.schema import DEFAULT_LEVELS, SynthesisMovesSchema, SynthesisParamsSchema

POINTS = [2, 4, 8, 16, 32]  # five levels: level 5 is the max
GAME = SynthesisGame()
DEFAULTS = GAME.default_params()


def _golden_case(name):
    doc = json.loads((Path(__file__).parents[1] / "golden" / "synthesis.json")
                     .read_text(encoding="utf-8"))
    return next(c for c in doc["cases"] if c["name"] == name)


@pytest.mark.parametrize(("line", "expected", "gained"), [
    ([0, 0, 0, 0], [0, 0, 0, 0], 0),
    ([0, 1, 0, 1], [2, 0, 0, 0], 4),
    ([1, 1, 1, 1], [2, 2, 0, 0], 8),
    ([1, 1, 1, 0], [2, 1, 0, 0], 4),
    ([1, 1, 2, 0], [2, 2, 0, 0], 4),      # a merged tile does not merge again
    ([2, 1, 1, 0], [2, 2, 0, 0], 4),
    ([3, 3, 3, 3], [4, 4, 0, 0], 32),
    ([5, 5, 0, 0], [5, 5, 0, 0], 0),      # max-level tiles never merge
    ([4, 4, 5, 5], [5, 5, 5, 0], 32),
    ([0, 0, 0, 3], [3, 0, 0, 0], 0),
])
def test_slide_line(line, expected, gained):
    assert rules.slide_line(line, POINTS) == (expected, gained)


def test_apply_move_in_each_direction():
    board = [[1, 0, 1], [0, 2, 0], [1, 2, 3]]
    assert rules.apply_move(board, "L", POINTS) == ([[2, 0, 0], [2, 0, 0], [1, 2, 3]], 4)
    assert rules.apply_move(board, "R", POINTS) == ([[0, 0, 2], [0, 0, 2], [1, 2, 3]], 4)
    assert rules.apply_move(board, "U", POINTS) == ([[2, 3, 1], [0, 0, 3], [0, 0, 0]], 12)
    assert rules.apply_move(board, "D", POINTS) == ([[0, 0, 0], [0, 0, 1], [2, 3, 3]], 12)


def test_apply_move_does_not_touch_its_input():
    board = [[1, 1, 0], [0, 0, 0], [0, 0, 0]]
    rules.apply_move(board, "R", POINTS)
    assert board == [[1, 1, 0], [0, 0, 0], [0, 0, 0]]


def test_spawn_picks_among_empty_cells_in_row_major_order():
    board = [[1, 0, 1], [1, 1, 0], [1, 1, 1]]
    prng, twin = Prng(5), Prng(5)
    index, high = twin.next_int(2), twin.next_int(100) < 50
    cell = [(0, 1), (1, 2)][index]
    spawned = rules.spawn(board, prng, 50)
    assert spawned[cell[0]][cell[1]] == (2 if high else 1)
    assert rules.empty_cells(spawned) == [c for c in [(0, 1), (1, 2)] if c != cell]


def test_spawn_high_pct_bounds():
    board = rules.empty_board(8, 8)
    prng = Prng(3)
    for _ in range(64):
        board = rules.spawn(board, prng, 0)
    assert {v for row in board for v in row} == {1}
    assert rules.spawn(board, prng, 0) == board  # full board: nothing to do


def test_can_move():
    assert rules.can_move([[1, 2, 1], [2, 1, 2], [1, 2, 0]], 5)
    assert rules.can_move([[1, 2, 1], [2, 1, 2], [1, 2, 2]], 5)
    assert not rules.can_move([[1, 2, 1], [2, 1, 2], [1, 2, 1]], 5)
    assert not rules.can_move([[5, 5, 1], [2, 1, 2], [1, 2, 1]], 5)


def test_new_state_has_two_tiles_and_is_deterministic():
    state = GAME.new_state(42, {})
    tiles = [v for row in state["board"] for v in row if v]
    assert len(tiles) == 2 and set(tiles) <= {1, 2}
    assert state["score"] == 0 and state["over"] is False
    assert GAME.new_state(42, {}) == state
    assert len(GAME.new_state(42, {"rows": 3, "cols": 7})["board"][0]) == 7


def test_step_refuses_a_move_that_changes_nothing():
    state = {"board": [[1, 2, 0], [0, 0, 0], [0, 0, 0]], "score": 0, "over": False}
    assert rules.step(state, "U", Prng(1), DEFAULTS) is None
    assert rules.step(state, "L", Prng(1), DEFAULTS) is None
    assert rules.step(state, "R", Prng(1), DEFAULTS) is not None


def test_replay_scores_and_reports():
    case = _golden_case("tiny_3x3_to_over")
    result = GAME.replay(case["seed"], case["params"], case["moves"])
    assert (result.score, result.over, result.moves) == (case["score"], True, len(case["moves"]))
    assert result.duration_ms == case["moves"][-1]["t"]
    assert GAME.replay(9, {}, []).duration_ms == 0


def test_replay_rejects_a_move_that_changes_nothing():
    start = GAME.new_state(1, {})["board"]
    assert start[0] == [0, 0, 1, 1]  # everything sits on the top row: U changes nothing
    with pytest.raises(MoveRejected) as err:
        GAME.replay(1, {}, [{"d": "U", "t": 300}])
    assert (err.value.code, err.value.index) == ("invalid_moves", 0)


def test_replay_rejects_a_move_after_game_over():
    case = _golden_case("tiny_3x3_to_over")
    last = case["moves"][-1]["t"]
    moves = case["moves"] + [{"d": d, "t": last + 100 * (i + 1)} for i, d in enumerate("UDLR")]
    with pytest.raises(MoveRejected) as err:
        GAME.replay(case["seed"], case["params"], moves)
    assert (err.value.code, err.value.index) == ("invalid_moves", len(case["moves"]))
    assert "over" in err.value.reason


@pytest.mark.parametrize("move", [{"d": "X", "t": 0}, {"d": "L"}, {"d": "L", "t": "5"},
                                  {"d": "L", "t": True}, ["L", 0], None])
def test_replay_rejects_malformed_moves(move):
    with pytest.raises(MoveRejected) as err:
        GAME.replay(1, {}, [move])
    assert err.value.code == "invalid_moves"


@pytest.mark.parametrize(("times", "elapsed", "index"), [
    ([-1], None, 0),
    ([100, 50], None, 1),
    ([100, 159], None, 1),             # 59 ms < the default 60 ms
    ([100, 2300], 200, 1),             # 2.1 s longer than the server saw
    ([5000], 2999, 0),                 # 2 s slack is not enough
])
def test_replay_rejects_inhuman_timing(times, elapsed, index):
    case = _golden_case("default_4x4_to_over")
    moves = [{"d": m["d"], "t": t} for m, t in zip(case["moves"], times, strict=False)]
    with pytest.raises(MoveRejected) as err:
        GAME.replay(case["seed"], case["params"], moves, elapsed_ms=elapsed)
    assert (err.value.code, err.value.index) == ("inhuman_timing", index)


def test_replay_accepts_the_edges_of_human_timing():
    case = _golden_case("default_4x4_to_over")
    moves = [{"d": m["d"], "t": 2000 + 60 * i} for i, m in enumerate(case["moves"][:10])]
    assert GAME.replay(case["seed"], case["params"], moves, elapsed_ms=540).moves == 10
    fast = {**case["params"], "min_move_interval_ms": 0}
    same = [{"d": m["d"], "t": 7} for m in case["moves"][:10]]
    assert GAME.replay(case["seed"], fast, same).moves == 10


def test_params_defaults():
    params = SynthesisParamsSchema().load({})
    assert (params["rows"], params["cols"]) == (4, 4)
    assert (params["spawn_high_pct"], params["min_move_interval_ms"]) == (10, 60)
    assert [lv["name"] for lv in params["levels"]][0] == "樱桃"
    assert [lv["name"] for lv in params["levels"]][-1] == "西瓜"
    assert [lv["points"] for lv in params["levels"]] == [2 ** k for k in range(1, 12)]
    params["levels"][0]["name"] = "changed"
    assert DEFAULT_LEVELS[0]["name"] == "樱桃"
    assert SynthesisParamsSchema().load({})["levels"][0]["name"] == "樱桃"


@pytest.mark.parametrize("params", [
    {"rows": 2}, {"cols": 9}, {"rows": "4"}, {"spawn_high_pct": 51}, {"spawn_high_pct": -1},
    {"min_move_interval_ms": -1}, {"speed": 3},
    {"levels": [{"name": "a", "points": 1}] * 2},
    {"levels": [{"name": "a", "points": 1}] * 17},
    {"levels": [{"name": "", "points": 1}] * 3},
    {"levels": [{"name": "一二三四五六七八九十一二三", "points": 1}] * 3},
    {"levels": [{"name": "a", "points": 0}] * 3},
    {"levels": [{"name": "a"}] * 3},
    {"levels": [{"name": "a", "points": 1, "colour": "red"}] * 3},
    {"levels": [{"name": "a", "points": 1, "image": "javascript:alert(1)"}] * 3},
    {"levels": [{"name": "a", "points": 1, "image": "/x.png\" onload=\"x"}] * 3},
])
def test_params_rejects(params):
    with pytest.raises(ValidationError):
        GAME.validate_params(params)


def test_params_accepts_custom_levels():
    levels = [{"name": "一", "points": 1, "image": "https://cdn.example.com/a.png"},
              {"name": "二", "points": 2, "image": "/static/brand/b.png"},
              {"name": "三", "points": 3}]
    params = GAME.validate_params({"rows": 8, "cols": 3, "levels": levels})
    assert params["levels"][2] == {"name": "三", "image": "", "points": 3}


def test_moves_schema():
    schema = SynthesisMovesSchema()
    assert schema.load({"moves": [{"d": "L", "t": 0}]}) == {"moves": [{"d": "L", "t": 0}]}
    assert schema.load({"moves": [{"d": "U", "t": 1}] * 5000})["moves"][4999]["d"] == "U"
    for bad in ({"moves": [{"d": "U", "t": 1}] * 5001}, {"moves": [{"d": "u", "t": 1}]},
                {"moves": [{"d": "U", "t": -1}]}, {"moves": [{"d": "U", "t": 1, "x": 1}]},
                {"moves": "LRUD"}, {}):
        with pytest.raises(ValidationError):
            schema.load(bad)


def test_registered_plugin():
    game = get_game_type("synthesis")
    assert isinstance(game, SynthesisGame)
    assert game.replayed and not game.lower_is_better(DEFAULTS)
    assert game.load_moves([{"d": "R", "t": 5}]) == [{"d": "R", "t": 5}]
    with pytest.raises(ValidationError):
        game.load_moves([{"d": "R", "t": 5}] * 5001)
    assert game.client_scripts == ("games/kit.js", "games/prng.js", "games/synthesis/rules.js",
                                   "games/synthesis/client.js")
    static = Path(__file__).parents[2] / "static"
    assert all((static / path).is_file() for path in game.client_scripts)


@pytest.mark.parametrize("case", range(200))
def test_the_whole_log_check_agrees_with_the_check_of_each_move(case):
    rng = random.Random(case)
    odd = [{"d": "X", "t": 1}, {"d": "L"}, {"d": "L", "t": 1, "x": 0}, {"d": "L", "t": True},
           {"d": "L", "t": -1}, {"d": "L", "t": synthesis_schema.MAX_T_MS + 1},
           {"d": ["L"], "t": 1},
           {"t": 1, "x": "L"}, ["L", 1], "L", None, {"d": "R", "t": 1.0}, {"d": "U", "t": "1"}]
    moves = [{"d": rng.choice("UDLR"), "t": rng.randint(0, synthesis_schema.MAX_T_MS)}
             for _ in range(rng.randint(0, 50))]
    if moves and rng.random() < 0.7:
        moves[rng.randrange(len(moves))] = rng.choice(odd)
    expected = bool(moves) and all(map(synthesis_schema._valid_move, moves))
    assert synthesis_schema._all_valid(moves) == expected
