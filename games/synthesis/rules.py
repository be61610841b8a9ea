"""The rules of synthesis (合成): a 2048-style merge game on a grid of levels.

Pure functions: state in, state out, the seeded PRNG passed in, integers only.
A board is a list of rows; a cell is 0 (empty) or a level ``1..L`` where
``L = len(params["levels"])``. ``static/games/synthesis/rules.js`` is the same
rules move for move; golden vectors in ``tests/golden/synthesis.json`` prove it.
"""

from __future__ import annotations

from operator import itemgetter, sub
from typing import Any

from games.base import TIMING_SLACK_MS, MoveRejected, ReplayResult
from games.prng import Prng
from games.synthesis import lines

DIRECTIONS = ("U", "D", "L", "R")
_DIRECTION_SET = frozenset(DIRECTIONS)

Board = list[list[int]]


def empty_board(rows: int, cols: int) -> Board:
    """Return a ``rows`` x ``cols`` board of empty cells."""
    return [[0] * cols for _ in range(rows)]


def line_cells(rows: int, cols: int, d: str) -> list[list[tuple[int, int]]]:
    """Return the board's lines for move ``d``, each starting at the side moved toward."""
    if d == "L":
        return [[(r, c) for c in range(cols)] for r in range(rows)]
    if d == "R":
        return [[(r, c) for c in reversed(range(cols))] for r in range(rows)]
    if d == "U":
        return [[(r, c) for r in range(rows)] for c in range(cols)]
    if d == "D":
        return [[(r, c) for r in reversed(range(rows))] for c in range(cols)]
    raise ValueError(f"unknown direction {d!r}")


def slide_line(line: list[int], points: list[int]) -> tuple[list[int], int]:
    """Slide ``line`` toward its start, merging equal pairs once; return it and the gain.

    ``points[k]`` is what making level ``k + 1`` scores; tiles at the max level
    (``len(points)``) never merge.
    """
    tiles = [v for v in line if v]
    out: list[int] = []
    gained = 0
    i = 0
    while i < len(tiles):
        level = tiles[i]
        if i + 1 < len(tiles) and tiles[i + 1] == level and level < len(points):
            out.append(level + 1)
            gained += points[level]
            i += 2
        else:
            out.append(level)
            i += 1
    return out + [0] * (len(line) - len(out)), gained


def apply_move(board: Board, d: str, points: list[int]) -> tuple[Board, int]:
    """Return the board after sliding it toward ``d`` (no spawn) and the points gained."""
    rows, cols = len(board), len(board[0])
    new = empty_board(rows, cols)
    gained = 0
    for cells in line_cells(rows, cols, d):
        values, gain = slide_line([board[r][c] for r, c in cells], points)
        gained += gain
        for (r, c), v in zip(cells, values, strict=True):
            new[r][c] = v
    return new, gained


def empty_cells(board: Board) -> list[tuple[int, int]]:
    """Return the empty cells in row-major order."""
    return [(r, c) for r, row in enumerate(board) for c, v in enumerate(row) if v == 0]


def spawn(board: Board, prng: Prng, spawn_high_pct: int) -> Board:
    """Return ``board`` with one new tile (level 1, or 2 by chance) on a random empty cell."""
    cells = empty_cells(board)
    if not cells:
        return board
    r, c = cells[prng.next_int(len(cells))]
    level = 2 if prng.next_int(100) < spawn_high_pct else 1
    new = [row[:] for row in board]
    new[r][c] = level
    return new


def can_move(board: Board, max_level: int) -> bool:
    """Return whether some move would change ``board``."""
    rows, cols = len(board), len(board[0])
    for r in range(rows):
        for c in range(cols):
            v = board[r][c]
            if v == 0:
                return True
            if v < max_level and ((c + 1 < cols and board[r][c + 1] == v)
                                  or (r + 1 < rows and board[r + 1][c] == v)):
                return True
    return False


def level_points(params: dict[str, Any]) -> list[int]:
    """Return the points for making each level, indexed by level - 1."""
    return [level["points"] for level in params["levels"]]


def initial_state(prng: Prng, params: dict[str, Any]) -> dict[str, Any]:
    """Return the starting state: two spawns on an empty board."""
    board = empty_board(params["rows"], params["cols"])
    for _ in range(2):
        board = spawn(board, prng, params["spawn_high_pct"])
    return {"board": board, "score": 0, "over": False}


def new_state(seed: int, params: dict[str, Any]) -> dict[str, Any]:
    """Return the starting state of a session with ``seed`` and validated ``params``."""
    return initial_state(Prng(seed), params)


def step(state: dict[str, Any], d: str, prng: Prng,
         params: dict[str, Any]) -> dict[str, Any] | None:
    """Return the state after move ``d`` and its spawn, or None if ``d`` changes nothing."""
    if state["over"]:
        return None
    board, gained = apply_move(state["board"], d, level_points(params))
    if board == state["board"]:
        return None
    board = spawn(board, prng, params["spawn_high_pct"])
    over = not can_move(board, len(params["levels"]))
    return {"board": board, "score": state["score"] + gained, "over": over}


def parse_moves(moves: list[Any]) -> list[tuple[str, int]]:
    """Return the log as ``(direction, t)`` pairs; raise MoveRejected on a malformed move."""
    parsed = []
    for i, move in enumerate(moves):
        d = move.get("d") if isinstance(move, dict) else None
        t = move.get("t") if isinstance(move, dict) else None
        if d not in DIRECTIONS or not isinstance(t, int) or isinstance(t, bool):
            raise MoveRejected("invalid_moves", "malformed move", i)
        parsed.append((d, t))
    return parsed


def check_timing(times: list[int], min_interval_ms: int, elapsed_ms: int | None) -> None:
    """Raise MoveRejected("inhuman_timing") unless ``times`` could come from a hand."""
    prev = None
    for i, t in enumerate(times):
        if t < 0:
            raise MoveRejected("inhuman_timing", "negative time", i)
        if prev is not None and t < prev:
            raise MoveRejected("inhuman_timing", "time goes backwards", i)
        if prev is not None and t - prev < min_interval_ms:
            raise MoveRejected("inhuman_timing", "moves come too fast", i)
        prev = t
    if elapsed_ms is not None and times and times[-1] > elapsed_ms + TIMING_SLACK_MS:
        raise MoveRejected("inhuman_timing", "log is longer than the session", len(times) - 1)


def _fast_log(moves: list[Any], min_interval_ms: int) -> list[str] | None:
    """Return the directions of a well-formed, human-paced log, or None to check it slowly.

    C-level passes over the whole log; anything unusual (a malformed move, a
    time out of order or too fast) goes to ``parse_moves``/``check_timing``,
    which name the offending move.
    """
    try:
        directions = list(map(itemgetter("d"), moves))
        times = list(map(itemgetter("t"), moves))
    except (TypeError, KeyError, IndexError, AttributeError):
        return None
    if not set(directions) <= _DIRECTION_SET or not set(map(type, times)) <= {int}:
        return None
    if times and (times[0] < 0 or min(map(sub, times[1:], times), default=min_interval_ms)
                  < max(min_interval_ms, 0)):
        return None
    return directions


def replay(seed: int, params: dict[str, Any], moves: list[Any],
           elapsed_ms: int | None = None) -> ReplayResult:
    """Replay ``moves`` from the seeded start and return the outcome.

    Raises MoveRejected: ``invalid_moves`` for a malformed move, a move that
    changes nothing or a move after game over; ``inhuman_timing`` for a log
    whose times are not a human's. The moves are played through the line
    tables of ``games.synthesis.lines``, which ``step`` specifies.
    """
    directions = _fast_log(moves, params["min_move_interval_ms"])
    if directions is None:
        parsed = parse_moves(moves)
        check_timing([t for _, t in parsed], params["min_move_interval_ms"], elapsed_ms)
        directions = [d for d, _ in parsed]
    last_t = moves[-1]["t"] if moves else 0
    if elapsed_ms is not None and moves and last_t > elapsed_ms + TIMING_SLACK_MS:
        raise MoveRejected("inhuman_timing", "log is longer than the session", len(moves) - 1)
    prng = Prng(seed)
    start = initial_state(prng, params)
    wheres, highs = lines.spawn_draws(prng, len(directions), params["spawn_high_pct"])
    board, over = lines.run(start["board"], directions, wheres, highs, params)
    values = lines.tile_values(level_points(params))
    # the opening spawns score nothing: count from the opening board
    score = (lines.board_score(board, values, sum(highs))
             - lines.board_score(start["board"], values, 0))
    final = [list(row) for row in board]
    return ReplayResult(score=score, moves=len(directions), over=over, duration_ms=last_t,
                        state={"board": final, "score": score})
