"""Replay synthesis fast: lines packed into ints, line tables filled lazily, and the loop.

The classic 2048 trick: a move slides every line of the board the same way,
so the slide of a line is looked up rather than computed. An 8-wide board of
16 levels has ~7x10^9 possible lines, so the tables are dicts filled as lines
are seen (a game meets a few thousand) and emptied when they grow past
``TABLE_LIMIT``.

A row is one int (``encode_line``): cell ``i`` in bits ``5i..5i+4`` (levels
0..16 need five bits; index 0 is the left of the row) and its number of
empty cells from bit ``COUNT_SHIFT`` up. Ints hash for free where tuples hash
every cell on every lookup, and the count rides in the row: the sum of a
board's rows carries, in its high bits, how many empty cells the board has,
and a walk over the rows' counts finds the spawn's row. A board is a
list (in the loop) or tuple of row ints. Left and right moves are one
``map`` over the int tables; up and down go through the rows' levels
(``_DECODE``), ``zip`` them into columns, slide those through tables keyed by
levels, and ``zip`` and encode them back: all four moves are C-level passes.

The score is not added move by move: merging two tiles of level k into one
of level k+1 scores ``points[k]``, so with ``V(1) = 0`` and
``V(k+1) = 2 V(k) + points[k]`` the score of any board is the sum of ``V``
over its tiles, less ``V(2)`` for every level-2 tile that was spawned.

``rules.step`` stays the readable reference, move for move the same as
``static/games/synthesis/rules.js``; tests hold this loop to it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from games.base import MoveRejected
from games.prng import Prng

# ~150 bytes an entry: a process's tables stay under ~30 MB per max level
TABLE_LIMIT = 200_000
CELL_BITS = 5  # levels 0..16 (the schema allows at most 16)
CELL_MASK = (1 << CELL_BITS) - 1
# above the cells of an 8-wide line (40 bits), with room for the sum of 8 lines' cells
COUNT_SHIFT = 44

Board = tuple[int, ...]


def encode_line(cells: tuple[int, ...] | list[int]) -> int:
    """Return the int of a line of levels (see the module doc)."""
    packed = 0
    for i, v in enumerate(cells):
        packed |= v << (CELL_BITS * i)
    return packed | (sum(1 for v in cells if v == 0) << COUNT_SHIFT)


def decode_line(line: int) -> tuple[int, ...]:
    """Return the levels of a line int: its length is its empty cells plus its tiles."""
    tiles = [(line >> (CELL_BITS * i)) & CELL_MASK for i in range(8)]
    length = (line >> COUNT_SHIFT) + sum(1 for v in tiles if v)
    return tuple(tiles[:length])


def encode_board(board) -> Board:
    """Return a board given as rows of levels as a tuple of row ints."""
    return tuple(encode_line(row) for row in board)


def decode_board(board: Board) -> tuple[tuple[int, ...], ...]:
    """Return a board of row ints as a tuple of rows of levels."""
    return tuple(decode_line(row) for row in board)


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


class _LineTable(dict):
    """A dict filled on demand by ``_make``, emptied when it grows past ``TABLE_LIMIT``."""

    def __missing__(self, key):
        if len(self) >= TABLE_LIMIT:
            self.clear()
        self[key] = made = self._make(key)
        return made

    def _make(self, key):
        raise NotImplementedError


class _StartTable(_LineTable):
    """Map a line int to the line slid toward its start."""

    def __init__(self, max_level: int):
        super().__init__()
        self.max_level = max_level

    def _make(self, line: int) -> int:
        return encode_line(slide_toward_start(decode_line(line), self.max_level))


class _EndTable(_StartTable):
    """Map a line int to the line slid toward its end."""

    def _make(self, line: int) -> int:
        return encode_line(slide_toward_start(decode_line(line)[::-1], self.max_level)[::-1])


class _CellsStartTable(_StartTable):
    """Map a line of levels (a column, as ``zip`` makes it) to it slid toward its start."""

    def _make(self, line: tuple[int, ...]) -> tuple[int, ...]:
        slid = slide_toward_start(line, self.max_level)
        return line if slid == line else slid


class _CellsEndTable(_StartTable):
    """Map a line of levels to it slid toward its end."""

    def _make(self, line: tuple[int, ...]) -> tuple[int, ...]:
        slid = slide_toward_start(line[::-1], self.max_level)[::-1]
        return line if slid == line else slid


class _SpawnTable(_LineTable):
    """Map a line to the lines a spawn of ``level`` makes of it, one per empty cell in order."""

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def _make(self, line: int) -> tuple[int, ...]:
        cells = decode_line(line)
        return tuple(encode_line((*cells[:c], self.level, *cells[c + 1:]))
                     for c, v in enumerate(cells) if v == 0)


class _DecodeTable(_LineTable):
    """Map a line int to its levels."""

    _make = staticmethod(decode_line)


class _EncodeTable(_LineTable):
    """Map a line of levels to its int."""

    _make = staticmethod(encode_line)


class Tables(NamedTuple):
    """The tables of one max level: rows slide as ints, columns as levels (``zip``'s tuples)."""

    start: _StartTable
    end: _EndTable
    cells_start: _CellsStartTable
    cells_end: _CellsEndTable


_TABLES: dict[int, Tables] = {}
_SPAWNS = (_SpawnTable(1), _SpawnTable(2))
_DECODE, _ENCODE = _DecodeTable(), _EncodeTable()


def tables_for(max_level: int) -> Tables:
    """Return the line tables for boards of ``max_level`` levels."""
    tables = _TABLES.get(max_level)
    if tables is None:
        tables = _TABLES[max_level] = Tables(_StartTable(max_level), _EndTable(max_level),
                                             _CellsStartTable(max_level),
                                             _CellsEndTable(max_level))
    return tables


def slide_columns(board: Board, table: _CellsStartTable) -> Board:
    """Return ``board`` with every column slid through ``table`` (a U or D move)."""
    columns = zip(*map(_DECODE.__getitem__, board), strict=True)
    return tuple(map(_ENCODE.__getitem__, zip(*map(table.__getitem__, columns), strict=True)))


def tile_values(points: list[int]) -> list[int]:
    """Return ``V``: the points a tile of each level (index = level) has scored so far."""
    values = [0, 0]
    for level in range(1, len(points)):
        values.append(2 * values[level] + points[level])
    return values


def board_score(board, values: list[int], high_spawns: int) -> int:
    """Return the score of ``board`` (rows of levels) after ``high_spawns`` level-2 spawns."""
    return sum(values[v] for row in board for v in row) - high_spawns * values[2]


def can_move(board: Board, max_level: int) -> bool:
    """Return whether some move changes ``board`` (a full board: some pair merges)."""
    if sum(board) >> COUNT_SHIFT:
        return True
    tables = tables_for(max_level)
    return (tuple(map(tables.start.__getitem__, board)) != board
            or slide_columns(board, tables.cells_start) != board)


def spawn_draws(prng: Prng, moves: int, spawn_high_pct: int) -> tuple[list[int], list[bool]]:
    """Return what each of ``moves`` moves draws for its spawn: where (u32), and whether level 2.

    Every move draws two numbers, whatever the board, so they are drawn in
    one vectorized pass before the moves are played.
    """
    draws = prng.stream(2 * moves)
    return draws[0::2].tolist(), (draws[1::2] % 100 < spawn_high_pct).tolist()


def slide(board: Board, d: str, max_level: int) -> Board:
    """Return ``board`` slid toward ``d`` (no spawn): equal to ``board`` if nothing moves."""
    tables = tables_for(max_level)
    if d in ("L", "R"):
        return tuple(map((tables.start if d == "L" else tables.end).__getitem__, board))
    return slide_columns(board, tables.cells_start if d == "U" else tables.cells_end)


def run_lines(board: Board, directions: list[str], wheres: list[int], highs: list[bool],
              max_level: int) -> tuple[Board, bool]:
    """Play ``directions`` from ``board`` (row ints); return the final board and whether over.

    ``wheres`` and ``highs`` are each move's spawn draws (``spawn_draws``).
    Raises MoveRejected("invalid_moves") at the first move that changes
    nothing or comes after game over.
    """
    tables = tables_for(max_level)
    to_start, to_end = tables.start.__getitem__, tables.end.__getitem__
    up, down = tables.cells_start.__getitem__, tables.cells_end.__getitem__
    decode, encode, spawns = _DECODE.__getitem__, _ENCODE.__getitem__, _SPAWNS
    # a list, so the spawn is one store into the freshly slid board
    current = list(board)
    over = not can_move(board, max_level)
    for i, d, where, high in zip(range(len(directions)), directions, wheres, highs, strict=True):
        if over:
            raise MoveRejected("invalid_moves", "move after game over", i)
        # slide() inlined: a call per move costs more than the spawn below
        if d == "L":
            new = list(map(to_start, current))
        elif d == "R":
            new = list(map(to_end, current))
        else:  # columns as levels, slid, and back to row ints
            columns = zip(*map(decode, current), strict=True)
            new = list(map(encode, zip(*map(up if d == "U" else down, columns), strict=True)))
        if new == current:
            raise MoveRejected("invalid_moves", "move changes nothing", i)
        # the high bits of the rows' sum count the board's empty cells
        free = sum(new) >> COUNT_SHIFT
        k = where % free
        r = 0
        for row in new:  # the row of the k-th empty cell (fewer steps than a bisect's setup)
            empty = row >> COUNT_SHIFT
            if k < empty:
                break
            k -= empty
            r += 1
        new[r] = spawns[high][row][k]
        current = new
        over = free == 1 and not can_move(tuple(current), max_level)
    return tuple(current), over


def run(board, directions: list[str], wheres: list[int], highs: list[bool],
        params: dict[str, Any]) -> tuple[tuple[tuple[int, ...], ...], bool]:
    """Play ``directions`` from ``board`` (rows of levels); return the final rows and whether over.

    See ``run_lines``, which this wraps.
    """
    final, over = run_lines(encode_board(board), directions, wheres, highs, len(params["levels"]))
    return decode_board(final), over
