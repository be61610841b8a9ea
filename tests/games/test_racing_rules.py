"""Unit tests of the racing rules, schemas and plugin: pure, no app needed."""

import json
import time
from pathlib import Path

import pytest
from marshmallow import ValidationError

from games.base import MoveRejected
from games.prng import Prng
from games.racing import RacingGame, rules
from games.racing.schema import MAX_MOVES, RacingMovesSchema, RacingParamsSchema

GAME = RacingGame()
DEFAULTS = GAME.default_params()
X, P = rules.OBSTACLE, rules.PICKUP  # a blocked cell, a pick-up


def _golden_case(name):
    doc = json.loads((Path(__file__).parents[1] / "golden" / "racing.json")
                     .read_text(encoding="utf-8"))
    return next(c for c in doc["cases"] if c["name"] == name)


class FixedTrack:
    """Stand in for a Track with hand-placed rows (empty elsewhere)."""

    def __init__(self, rows, lanes=3):
        self.rows, self.lanes = rows, lanes

    def row(self, r):
        return self.rows.get(r, [0] * self.lanes)


def _drive(state, track, params, until, steers=None):
    """Step from ``state`` until ``until(state)`` holds; return the state."""
    steers = steers or {}
    while not until(state):
        state = rules.step(state, steers.get(state["ticks"]), track, params)
    return state


def _at_row(r):
    return lambda s: s["pos"] >= r * rules.ROW_MM


def test_speed_ramps_linearly_and_caps():
    assert rules.speed_at(DEFAULTS, 0) == 20_000
    assert rules.speed_at(DEFAULTS, 30) == 21_000       # +1 m/s after a second at 30 tps
    assert rules.speed_at(DEFAULTS, 1) == 20_033        # integer division, never a float
    assert rules.speed_at(DEFAULTS, 10**6) == 50_000
    flat = {**DEFAULTS, "acceleration": 0}
    assert rules.speed_at(flat, 5000) == 20_000


def test_finish_tick_of_the_default_time_trial():
    assert rules.finish_tick(DEFAULTS) == 1171  # 39 s: 1,050 m ramping, then 450 m at 50 m/s
    assert rules.finish_tick({**DEFAULTS, "course_length": 2551}) is None
    assert rules.max_ticks(DEFAULTS) == 1800


def test_rows_keep_a_lane_open_and_start_after_a_safe_stretch():
    dense = {**DEFAULTS, "obstacle_density": 90, "lanes": 5}
    track = rules.Track(Prng(8), dense)
    rows = [track.row(r) for r in range(track.first, track.first + 500)]
    assert all(row.count(X) < 5 for row in rows)
    assert sum(row.count(X) for row in rows) > 0.7 * 5 * 500
    assert rules.first_row(DEFAULTS) == 5  # 2 s at 20 m/s = 40 m: rows 1..4 are clear
    clear = rules.Track(Prng(8), {**DEFAULTS, "obstacle_density": 0, "pickup_density": 0})
    assert all(clear.row(r) == [0, 0, 0] for r in range(200))


def test_rows_depend_on_the_seed_alone_not_on_the_order_asked():
    a, b = rules.Track(Prng(77), DEFAULTS), rules.Track(Prng(77), DEFAULTS)
    late = a.row(60)
    assert [b.row(r) for r in range(61)][60] == late
    assert [a.row(r) for r in range(61)] == [b.row(r) for r in range(61)]
    other = rules.Track(Prng(78), DEFAULTS)
    assert [other.row(r) for r in range(61)] != [b.row(r) for r in range(61)]


def test_step_steers_one_lane_and_never_off_the_track():
    state = rules.initial_state(DEFAULTS)
    assert (state["lane"], state["lives"]) == (1, 3)
    track = FixedTrack({})
    left = rules.step(state, "L", track, DEFAULTS)
    assert (left["lane"], left["ticks"], left["pos"]) == (0, 1, 666)  # 20,000 // 30 mm
    assert rules.step(left, "L", track, DEFAULTS) is None
    assert rules.step(left, "R", track, DEFAULTS)["lane"] == 1
    assert state == rules.initial_state(DEFAULTS)  # the input state is untouched


def test_a_crash_costs_a_life_resets_the_speed_then_protects_for_a_second():
    track = FixedTrack({6: [0, X, 0], 7: [0, X, 0], 12: [0, X, 0]})
    state = _drive(rules.initial_state(DEFAULTS), track, DEFAULTS, _at_row(6))
    crash_tick = state["ticks"] - 1
    assert (state["lives"], state["crashes"], state["ramp"]) == (2, 1, 0)
    assert state["invulnerable_until"] == crash_tick + 30
    state = _drive(state, track, DEFAULTS, _at_row(7))
    assert state["ticks"] - 1 < crash_tick + 30
    assert (state["lives"], state["crashes"]) == (2, 1)  # passed through while protected
    state = _drive(state, track, DEFAULTS, _at_row(12))
    assert (state["lives"], state["crashes"]) == (1, 2)


def test_pickups_count_in_the_car_lane_only_and_obstacles_can_be_dodged():
    track = FixedTrack({6: [P, P, 0], 8: [0, X, 0], 9: [0, P, 0]})
    state = _drive(rules.initial_state(DEFAULTS), track, DEFAULTS, _at_row(6))
    assert state["pickups"] == 1
    state = rules.step(state, "R", track, DEFAULTS)
    state = _drive(state, track, DEFAULTS, _at_row(10))
    assert (state["pickups"], state["crashes"], state["lane"]) == (1, 0, 2)


def test_the_race_ends_at_the_time_limit_the_finish_or_the_last_life():
    clear = FixedTrack({})
    state = _drive(rules.initial_state(DEFAULTS), clear, DEFAULTS, lambda s: s["over"])
    assert (state["ticks"], state["finished"]) == (1800, True)
    timed = {**DEFAULTS, "score_mode": "time"}
    state = _drive(rules.initial_state(timed), clear, timed, lambda s: s["over"])
    assert (state["ticks"], state["finished"]) == (1171, True)
    assert rules.score_of(state, timed) == 1171 * 1000 // 30
    walls = FixedTrack({r: [0, X, 0] for r in range(5, 400, 5)})
    state = _drive(rules.initial_state(timed), walls, timed, lambda s: s["over"])
    assert (state["lives"], state["crashes"], state["finished"]) == (0, 3, False)
    assert rules.score_of(state, timed) == 60_000 + 1 + 1500 - rules.distance_m(state)
    assert rules.step(state, None, walls, timed) is None


def test_a_time_trial_cut_off_ranks_below_every_finisher():
    timed = {**DEFAULTS, "score_mode": "time", "course_length": 2500}
    walls = FixedTrack({8: [0, X, 0]})  # one crash: back to 20 m/s, 2,500 m is out of reach
    state = _drive(rules.initial_state(timed), walls, timed, lambda s: s["over"])
    assert (state["ticks"], state["lives"], state["finished"]) == (1800, 2, False)
    assert rules.score_of(state, timed) > 60_000 >= rules.finish_tick(timed) * 1000 // 30


def test_distance_score_is_metres_plus_pickup_points():
    state = {**rules.initial_state(DEFAULTS), "pos": 123_999, "pickups": 3}
    assert rules.score_of(state, DEFAULTS) == 123 + 3 * 50
    assert rules.public_state(state) == {"distance": 123, "lives": 3, "pickups": 3,
                                         "crashes": 0, "ticks": 0}


def test_replay_runs_on_after_the_log_ends():
    case = _golden_case("no_input_crashes_out")
    result = GAME.replay(case["seed"], {}, [])
    assert (result.score, result.over, result.moves) == (case["score"], True, 0)
    assert result.duration_ms == 374 * 1000 // 30
    steered = GAME.replay(case["seed"], {}, [{"k": 0, "a": "L"}])
    assert steered.moves == 1 and steered.over
    assert steered.state["ticks"] > 1


def test_replay_rejects_a_move_after_the_race_ended():
    case = _golden_case("no_input_crashes_out")
    last = case["state"]["ticks"]
    with pytest.raises(MoveRejected) as err:
        GAME.replay(case["seed"], {}, [{"k": 3, "a": "L"}, {"k": last + 2, "a": "R"}])
    assert (err.value.code, err.value.index) == ("invalid_moves", 1)
    assert "ended" in err.value.reason


@pytest.mark.parametrize(("moves", "index", "reason"), [
    ([{"k": 10, "a": "L"}, {"k": 5, "a": "R"}], 1, "backwards"),
    ([{"k": 10, "a": "L"}, {"k": 10, "a": "R"}], 1, "one tick"),
    ([{"k": 10, "a": "L"}, {"k": 20, "a": "L"}], 1, "track"),
    ([{"k": 0, "a": "R"}, {"k": 9, "a": "R"}], 1, "track"),
])
def test_replay_rejects_invalid_moves(moves, index, reason):
    with pytest.raises(MoveRejected) as err:
        GAME.replay(1, {}, moves)
    assert (err.value.code, err.value.index) == ("invalid_moves", index)
    assert reason in err.value.reason


@pytest.mark.parametrize("move", [{"k": 0, "a": "U"}, {"a": "L"}, {"k": "5", "a": "L"},
                                  {"k": True, "a": "L"}, {"k": -1, "a": "L"}, ["L", 0], None])
def test_replay_rejects_malformed_moves(move):
    with pytest.raises(MoveRejected) as err:
        GAME.replay(1, {}, [move])
    assert (err.value.code, err.value.index) == ("invalid_moves", 0)


def _zigzag(ticks):
    return [{"k": k, "a": "LR"[i % 2]} for i, k in enumerate(ticks)]


@pytest.mark.parametrize(("params", "ticks", "index"), [
    ({}, [10, 11], 1),                                     # 1 tick < the default gap of 2
    ({"min_input_gap_ticks": 5}, [10, 15, 19], 2),
    ({"min_input_gap_ticks": 1}, list(range(13)), 12),      # 13 inputs in 13 ticks
    ({"min_input_gap_ticks": 1}, [*range(12), 29], 12),     # 13 within ticks 0..29 = 1 s
    ({"min_input_gap_ticks": 2, "tick_rate": 60}, list(range(0, 26, 2)), 12),
])
def test_replay_rejects_inputs_faster_than_a_hand(params, ticks, index):
    with pytest.raises(MoveRejected) as err:
        GAME.replay(1, params, _zigzag(ticks))
    assert (err.value.code, err.value.index) == ("inhuman_timing", index)


def test_replay_accepts_the_edges_of_a_human_pace():
    fast = {"min_input_gap_ticks": 1, "obstacle_density": 0}
    assert GAME.replay(1, fast, _zigzag([*range(12), 30])).moves == 13
    assert GAME.replay(1, {"obstacle_density": 0}, _zigzag([10, 12, 14])).moves == 3


def test_replay_rejects_a_race_longer_than_the_session():
    case = _golden_case("no_input_crashes_out")
    ms = case["duration_ms"]
    assert GAME.replay(case["seed"], {}, [], elapsed_ms=ms - 2000).score == case["score"]
    with pytest.raises(MoveRejected) as err:
        GAME.replay(case["seed"], {}, [], elapsed_ms=ms - 2001)
    assert (err.value.code, err.value.index) == ("inhuman_timing", None)


def test_the_longest_race_is_bounded_and_quick():
    longest = {"duration_s": 600, "tick_rate": 60, "obstacle_density": 0, "max_speed": 150}
    started = time.perf_counter()
    result = GAME.replay(5, longest, [])
    assert result.state["ticks"] == 36_000 and result.duration_ms == 600_000
    assert time.perf_counter() - started < 5


def test_params_defaults():
    assert DEFAULTS == {
        "lanes": 3, "tick_rate": 30, "duration_s": 60, "course_length": 1500,
        "start_speed": 20, "max_speed": 50, "acceleration": 1, "obstacle_density": 20,
        "pickup_density": 10, "pickup_points": 50, "lives": 3, "min_input_gap_ticks": 2,
        "score_mode": "distance",
        "skins": {"car": "", "track": "", "obstacle": "", "pickup": ""},
    }
    DEFAULTS["skins"]["car"] = "changed"
    assert RacingParamsSchema().load({})["skins"]["car"] == ""
    DEFAULTS["skins"]["car"] = ""


@pytest.mark.parametrize("params", [
    {"lanes": 2}, {"lanes": 6}, {"lanes": "3"}, {"lanes": 3.0}, {"tick_rate": 19},
    {"tick_rate": 61}, {"duration_s": 9}, {"duration_s": 601}, {"lives": 0}, {"lives": 6},
    {"min_input_gap_ticks": 0}, {"obstacle_density": 91}, {"pickup_density": -1},
    {"score_mode": "speed"}, {"speed": 3}, {"start_speed": 60},
    {"score_mode": "time", "course_length": 2551},
    {"skins": {"car": "", "wheel": ""}},
    {"skins": {"car": "javascript:alert(1)"}},
    {"skins": {"pickup": "/coin.png\" onload=\"x"}},
    {"skins": "red"},
])
def test_params_rejects(params):
    with pytest.raises(ValidationError):
        GAME.validate_params(params)


def test_params_accepts_brand_skins_and_a_reachable_time_trial():
    skins = {"car": "https://cdn.example.com/car.png", "pickup": "/static/brand/coin.png"}
    params = GAME.validate_params({"skins": skins, "score_mode": "time", "course_length": 2500})
    assert params["skins"] == {**skins, "track": "", "obstacle": ""}
    assert GAME.lower_is_better(params) and not GAME.lower_is_better({})


def test_moves_schema():
    schema = RacingMovesSchema()
    assert schema.load({"moves": [{"k": 0, "a": "L"}]}) == {"moves": [{"k": 0, "a": "L"}]}
    assert len(schema.load({"moves": [{"k": 1, "a": "R"}] * MAX_MOVES})["moves"]) == 7200
    for bad in ({"moves": [{"k": 1, "a": "R"}] * (MAX_MOVES + 1)}, {"moves": [{"k": 1, "a": "l"}]},
                {"moves": [{"k": -1, "a": "L"}]}, {"moves": [{"k": 36_001, "a": "L"}]},
                {"moves": [{"k": "1", "a": "L"}]}, {"moves": [{"k": 1, "a": "L", "t": 5}]},
                {"moves": [{"k": True, "a": "L"}]}, {"moves": [["L", 1]]}, {"moves": [None]},
                {"moves": "LR"}, {}):
        with pytest.raises(ValidationError):
            schema.load(bad)


def test_plugin():
    assert (GAME.name, GAME.title, GAME.replayed) == ("racing", "竞速", True)
    assert GAME.load_moves([{"k": 5, "a": "R"}]) == [{"k": 5, "a": "R"}]
    state = GAME.new_state(1, {})
    assert {k: state[k] for k in ("distance", "lives", "lane", "ticks", "over")} == {
        "distance": 0, "lives": 3, "lane": 1, "ticks": 0, "over": False}
    track = rules.Track(Prng(1), DEFAULTS)
    assert state["rows"] == [track.row(r) for r in range(len(state["rows"]))]
    assert GAME.client_scripts == ("games/kit.js", "games/prng.js", "games/racing/rules.js",
                                   "games/racing/client.js")
    static = Path(__file__).parents[2] / "static"
    assert all((static / path).is_file() for path in GAME.client_scripts)


def test_session_metrics():
    case = _golden_case("pickup_hunter_5_lanes")
    result = GAME.replay(case["seed"], case["params"], case["moves"])
    assert GAME.session_metrics(result) == {
        "distance": case["state"]["distance"], "crashes": case["state"]["crashes"],
        "pickups": case["state"]["pickups"], "time_ms": case["duration_ms"]}
