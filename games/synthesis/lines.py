"""Replay synthesis fast: line-transition tables filled lazily, and the loop that uses them.

The classic 2048 trick: a move slides every line of the board the same way,
so the slide of a line (a tuple of levels) is looked up rather than
computed. An 8-wide board of 16 levels has ~7x10^9 possible lines, so the
tables are dicts filled as lines are seen (a game meets a few thousand) and
emptied when they grow past ``TABLE_LIMIT``. A board is a tuple of row
tuples; columns come from ``zip(*board)``, so all four moves are C-level
``map``/``zip`` over the tables.

The score is not added move by move: merging two tiles of level k into one
of level k+1 scores ``points[k]``, so with ``V(1) = 0`` and
``V(k+1) = 2 V(k) + points[k]`` the score of any board is the sum of ``V``
over its tiles, less ``V(2)`` for every level-2 tile that was spawned.

``rules.step`` stays the readable reference, move for move the same as
``static/games/synthesis/rules.js``; tests hold this loop to it.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import Any

from games.base import MoveRejected
from games.prng import Prng

# ~300 bytes an entry: a process's tables stay under ~60 MB per max level
TABLE_LIMIT = 200_000


def slide_toward_start(line: tuple[int, ...], max_level: int) -> tuple[int, ...]:
    """Return ``line`` slid toward index 0, merging equal pairs below ``max_level`` once."""
    tiles = [v for v in line if v]
    out: list[int] = []
    i = 0
    while i < len(tiles):
        level = tiles[i]
        if i + 1 < len(tiles) and tiles[i + 1] == level and level < max_level:
            out.append(level + 1)
            i += 2
        else:
            out.append(level)
            i += 1
    return tuple(out) + (0,) * (len(line) - len(out))


class _StartTable(dict):
    """Map a line to the line slid toward its start (the line itself if nothing moves)."""

    def __init__(self, max_level: int):
        super().__init__()
        self.max_level = max_level

    def __missing__(self, line: tuple[int, ...]) -> tuple[int, ...]:
        if len(self) >= TABLE_LIMIT:
            self.clear()
        slid = slide_toward_start(line, self.max_level)
        self[line] = result = line if slid == line else slid
        return result


class _EndTable(_StartTable):
    """Map a line to the line slid toward its end."""

    def __missing__(self, line: tuple[int, ...]) -> tuple[int, ...]:
        if len(self) >= TABLE_LIMIT:
            self.clear()
        slid = slide_toward_start(line[::-1], self.max_level)[::-1]
        self[line] = result = line if slid == line else slid
        return result


class _SpawnTable(dict):
    """Map a row to the rows a spawn of ``level`` makes of it, one per empty cell in order."""

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def __missing__(self, row: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
        if len(self) >= TABLE_LIMIT:
            self.clear()
        self[row] = spawned = tuple((*row[:c], self.level, *row[c + 1:])
                                    for c, v in enumerate(row) if v == 0)
        return spawned


class _CountTable(dict):
    """Map a row to the number of its empty cells."""

    def __missing__(self, row: tuple[int, ...]) -> int:
        if len(self) >= TABLE_LIMIT:
            self.clear()
        self[row] = count = row.count(0)
        return count


_TABLES: dict[int, tuple[_StartTable, _EndTable]] = {}
_SPAWNS = (_SpawnTable(1), _SpawnTable(2))
_COUNTS = _CountTable()


def tables_for(max_level: int) -> tuple[_StartTable, _EndTable]:
    """Return the (toward start, toward end) line tables for boards of ``max_level`` levels."""
    tables = _TABLES.get(max_level)
    if tables is None:
        tables = _TABLES[max_level] = (_StartTable(max_level), _EndTable(max_level))
    return tables


def tile_values(points: list[int]) -> list[int]:
    """Return ``V``: the points a tile of each level (index = level) has scored so far."""
    values = [0, 0]
    for level in range(1, len(points)):
        values.append(2 * values[level] + points[level])
    return values


def board_score(board: tuple[tuple[int, ...], ...], values: list[int], high_spawns: int) -> int:
    """Return the score of ``board`` after ``high_spawns`` level-2 spawns (see the module doc)."""
    return sum(values[v] for row in board for v in row) - high_spawns * values[2]


def can_move(board: tuple[tuple[int, ...], ...], start: _StartTable) -> bool:
    """Return whether some move changes ``board`` (a full board: some pair merges)."""
    if any(0 in row for row in board):
        return True
    columns = tuple(zip(*board, strict=True))
    return (tuple(map(start.__getitem__, board)) != board
            or tuple(map(start.__getitem__, columns)) != columns)


def spawn_draws(prng: Prng, moves: int, spawn_high_pct: int) -> tuple[list[int], list[bool]]:
    """Return what each of ``moves`` moves draws for its spawn: where (u32), and whether level 2.

    Every move draws two numbers, whatever the board, so they are drawn in
    one vectorized pass before the moves are played.
    """
    draws = prng.stream(2 * moves)
    return draws[0::2].tolist(), (draws[1::2] % 100 < spawn_high_pct).tolist()


def slide(board: tuple[tuple[int, ...], ...], d: str, max_level: int) -> tuple:
    """Return ``board`` slid toward ``d`` (no spawn): equal to ``board`` if nothing moves."""
    start, end = tables_for(max_level)
    if d in ("L", "R"):
        return tuple(map((start if d == "L" else end).__getitem__, board))
    table = start if d == "U" else end
    return tuple(zip(*map(table.__getitem__, zip(*board, strict=True)), strict=True))


def run(board: list[list[int]] | tuple, directions: list[str], wheres: list[int],
        highs: list[bool], params: dict[str, Any]) -> tuple[tuple[tuple[int, ...], ...], bool]:
    """Play ``directions`` from ``board``; return the final board and whether the game is over.

    ``wheres`` and ``highs`` are each move's spawn draws (``spawn_draws``).
    Raises MoveRejected("invalid_moves") at the first move that changes
    nothing or comes after game over.
    """
    start, end = tables_for(len(params["levels"]))
    to_start, to_end, counts_of = start.__getitem__, end.__getitem__, _COUNTS.__getitem__
    spawns = _SPAWNS
    current = tuple(map(tuple, board))
    over = not can_move(current, start)
    for i, d, where, high in zip(range(len(directions)), directions, wheres, highs, strict=True):
        if over:
            raise MoveRejected("invalid_moves", "move after game over", i)
        # slide() inlined: a call per move costs more than the spawn below
        if d == "L":
            new = tuple(map(to_start, current))
        elif d == "R":
            new = tuple(map(to_end, current))
        elif d == "U":
            new = tuple(zip(*map(to_start, zip(*current, strict=True)), strict=True))
        else:
            new = tuple(zip(*map(to_end, zip(*current, strict=True)), strict=True))
        if new == current:
            raise MoveRejected("invalid_moves", "move changes nothing", i)
        ends = list(accumulate(map(counts_of, new)))
        free = ends[-1]
        k = where % free
        r = bisect_right(ends, k)
        row = spawns[high][new[r]][k - ends[r - 1] if r else k]
        current = (*new[:r], row, *new[r + 1:])
        over = free == 1 and not can_move(current, start)
    return current, over
