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
    start = lines.tables_for(7).start
    start.clear()
    for line in ((1, 1, 0), (0, 2, 2), (3, 0, 3), (1, 2, 3)):
        start[lines.encode_line(line)]
    assert len(start) == 1  # cleared at the 4th new line, which is then kept
    assert start[lines.encode_line((1, 1, 0))] == lines.encode_line((2, 0, 0))


def test_unchanged_line_maps_to_an_equal_line():
    tables = lines.tables_for(5)
    enc = lines.encode_line
    assert tables.start[enc((1, 2, 3))] == enc((1, 2, 3))
    assert tables.end[enc((0, 0, 4))] == enc((0, 0, 4))
    assert tables.end[enc((1, 1, 0, 0))] == enc((0, 0, 0, 2))
    assert tables.start[enc((5, 5, 0))] == enc((5, 5, 0))
    assert tables.cells_end[(1, 1, 0, 0)] == (0, 0, 0, 2)
    assert tables.cells_start[(0, 3, 0)] == (3, 0, 0)


@pytest.mark.parametrize("line", [(0, 0, 0), (16, 0, 16), (0, 0, 0, 0, 0, 0, 0, 1),
                                  (16,) * 8, (1, 0, 2, 0, 3, 0, 4, 0), (5, 5, 5)])
def test_a_line_int_keeps_its_levels_length_and_empty_cells(line):
    packed = lines.encode_line(line)
    assert lines.decode_line(packed) == line
    assert packed >> lines.COUNT_SHIFT == line.count(0)


def test_lines_of_different_lengths_never_share_an_int():
    shorter, longer = lines.encode_line((1, 2, 0)), lines.encode_line((1, 2, 0, 0))
    assert shorter != longer
    assert lines.decode_line(shorter) == (1, 2, 0) and lines.decode_line(longer) == (1, 2, 0, 0)


def test_the_sum_of_eight_full_rows_keeps_the_count_apart():
    board = lines.encode_board([(16,) * 8] * 7 + [(16,) * 7 + (0,)])
    assert sum(board) >> lines.COUNT_SHIFT == 1


def test_slide_moves_rows_and_columns():
    board = lines.encode_board([(0, 1, 1), (2, 0, 0), (2, 0, 1)])
    assert lines.decode_board(lines.slide(board, "L", 5)) == ((2, 0, 0), (2, 0, 0), (2, 1, 0))
    assert lines.decode_board(lines.slide(board, "U", 5)) == ((3, 1, 2), (0, 0, 0), (0, 0, 0))
    assert lines.decode_board(lines.slide(board, "D", 5)) == ((0, 0, 0), (0, 0, 0), (3, 1, 2))
    assert lines.can_move(lines.encode_board([(1, 2), (3, 4)]), 5) is False
    assert lines.can_move(lines.encode_board([(1, 2), (1, 4)]), 5) is True


def test_score_is_the_tiles_worth_less_the_level_two_spawns():
    values = lines.tile_values([2, 4, 8])
    assert values == [0, 0, 4, 16]
    assert lines.board_score(((3, 2), (0, 1)), values, high_spawns=1) == 16
