"""The table-driven replay agrees with the reference rules move for move, refusals included."""

import random

import pytest

from games.base import MoveRejected
from games.prng import Prng
from games.synthesis import SynthesisGame, lines, rules

GAME = SynthesisGame()


def _reference(seed, params, directions):
    """Replay with ``rules.step``: return (score, over, board) or the refusal (index, reason)."""
    prng = Prng(seed)
    state = rules.initial_state(prng, params)
    for i, d in enumerate(directions):
        after = rules.step(state, d, prng, params)
        if after is None:
            return ("refused", i, "move after game over" if state["over"]
                    else "move changes nothing")
        state = after
    return state["score"], state["over"], state["board"]


def _fast(seed, params, directions):
    moves = [{"d": d, "t": i * params["min_move_interval_ms"]} for i, d in enumerate(directions)]
    try:
        result = rules.replay(seed, params, moves)
    except MoveRejected as refused:
        return ("refused", refused.index, refused.reason)
    return result.score, result.over, result.state["board"]


def _mostly_legal(seed, params, rng, count):
    """Return directions that are legal most of the time and then, maybe, one that is not."""
    prng = Prng(seed)
    state = rules.initial_state(prng, params)
    directions = []
    while len(directions) < count and not state["over"]:
        d = rng.choice("LDRU")
        after = rules.step(state, d, prng, params)
        if after is None and rng.random() > 0.02:
            continue  # usually retry; sometimes keep the refused move
        directions.append(d)
        if after is None:
            break
        state = after
    if state["over"] and rng.random() < 0.5:
        directions.append("L")  # a move after game over
    return directions


@pytest.mark.parametrize("case", range(120))
def test_table_replay_matches_reference(case):
    rng = random.Random(case)
    levels = [{"name": f"L{i}", "points": rng.randint(1, 10**9)}
              for i in range(rng.choice((3, 4, 5, 11, 16)))]
    params = GAME.validate_params({
        "rows": rng.randint(3, 8), "cols": rng.randint(3, 8), "levels": levels,
        "spawn_high_pct": rng.choice((0, 10, 50)), "min_move_interval_ms": 0})
    seed = rng.randrange(2**32)
    directions = _mostly_legal(seed, params, rng, rng.choice((5, 60, 400)))
    assert _fast(seed, params, directions) == _reference(seed, params, directions)


def test_tables_empty_themselves_past_their_limit(monkeypatch):
    monkeypatch.setattr(lines, "TABLE_LIMIT", 3)
    start, _ = lines.tables_for(7)
    start.clear()
    for line in ((1, 1, 0), (0, 2, 2), (3, 0, 3), (1, 2, 3)):
        start[line]
    assert len(start) == 1  # cleared at the 4th new line, which is then kept
    assert start[(1, 1, 0)] == (2, 0, 0)


def test_unchanged_line_maps_to_an_equal_line():
    start, end = lines.tables_for(5)
    assert start[(1, 2, 3)] == (1, 2, 3) and end[(0, 0, 4)] == (0, 0, 4)
    assert end[(1, 1, 0, 0)] == (0, 0, 0, 2) and start[(5, 5, 0)] == (5, 5, 0)


def test_score_is_the_tiles_worth_less_the_level_two_spawns():
    values = lines.tile_values([2, 4, 8])
    assert values == [0, 0, 4, 16]
    assert lines.board_score(((3, 2), (0, 1)), values, high_spawns=1) == 16
