/* The rules of synthesis (合成), move for move the same as games/synthesis/rules.py.
 * Pure functions, integers only, the seeded PRNG (prng.js) passed in.
 * Browser: window.HudongGames.synthesisRules; node: require('./rules.js'). */
(typeof HudongKit !== 'undefined' ? HudongKit : require('../kit.js')).define(
  typeof module !== 'undefined' ? module : null, 'HudongGames.synthesisRules', [], function () {
  'use strict';

  var DIRECTIONS = ['U', 'D', 'L', 'R'];
  // the schema's built-in fruits, escaped so the file decodes the same in any charset:
  // 樱桃 草莓 葡萄 柠檬 猕猴桃 番茄 桃子 菠萝 椰子 半个西瓜 西瓜
  var FRUITS = [
    '\u6a31\u6843', '\u8349\u8393', '\u8461\u8404', '\u67e0\u6aac',
    '\u7315\u7334\u6843', '\u756a\u8304', '\u6843\u5b50', '\u83e0\u841d',
    '\u6930\u5b50', '\u534a\u4e2a\u897f\u74dc', '\u897f\u74dc'
  ];
  var DEFAULTS = { rows: 4, cols: 4, spawn_high_pct: 10, min_move_interval_ms: 60 };

  /* Return the default levels (the schema's built-in fruits). */
  function defaultLevels() {
    return FRUITS.map(function (name, i) { return { name: name, image: '', points: 2 << i }; });
  }

  /* Return params completed with the schema's defaults (the server sends them complete). */
  function withDefaults(params) {
    var p = {};
    var src = params || {};
    Object.keys(DEFAULTS).forEach(function (k) { p[k] = src[k] === undefined ? DEFAULTS[k] : src[k]; });
    p.levels = (src.levels && src.levels.length) ? src.levels : defaultLevels();
    return p;
  }

  function emptyBoard(rows, cols) {
    var b = [];
    for (var r = 0; r < rows; r++) { b.push(new Array(cols).fill(0)); }
    return b;
  }

  /* Return the lines for move d as [r, c] lists, each starting at the side moved toward. */
  function lineCells(rows, cols, d) {
    var lines = [];
    var outer = (d === 'L' || d === 'R') ? rows : cols;
    var inner = (d === 'L' || d === 'R') ? cols : rows;
    if (DIRECTIONS.indexOf(d) < 0) throw new Error('unknown direction ' + d);
    for (var i = 0; i < outer; i++) {
      var line = [];
      for (var j = 0; j < inner; j++) {
        var k = (d === 'R' || d === 'D') ? inner - 1 - j : j;
        line.push((d === 'L' || d === 'R') ? [i, k] : [k, i]);
      }
      lines.push(line);
    }
    return lines;
  }

  /* Slide a line toward its start, merging equal pairs once (max level never merges).
   * Returns {line, gained, src}: src[k] lists the input indices that made out[k]. */
  function slideLine(line, points) {
    var idx = [];
    for (var i = 0; i < line.length; i++) { if (line[i]) idx.push(i); }
    var out = [], src = [], gained = 0, j = 0;
    while (j < idx.length) {
      var level = line[idx[j]];
      if (j + 1 < idx.length && line[idx[j + 1]] === level && level < points.length) {
        out.push(level + 1); src.push([idx[j], idx[j + 1]]);
        gained += points[level];
        j += 2;
      } else {
        out.push(level); src.push([idx[j]]);
        j += 1;
      }
    }
    while (out.length < line.length) out.push(0);
    return { line: out, gained: gained, src: src };
  }

  /* Return {board, gained, moved, trace} for sliding toward d (no spawn).
   * trace: one {from: [r, c], to: [r, c], level, merged} per tile, for animation. */
  function applyMove(board, d, points) {
    var rows = board.length, cols = board[0].length;
    var next = emptyBoard(rows, cols), gained = 0, moved = false, trace = [];
    lineCells(rows, cols, d).forEach(function (cells) {
      var res = slideLine(cells.map(function (rc) { return board[rc[0]][rc[1]]; }), points);
      gained += res.gained;
      cells.forEach(function (rc, k) {
        next[rc[0]][rc[1]] = res.line[k];
        if (res.line[k] !== board[rc[0]][rc[1]]) moved = true;
      });
      res.src.forEach(function (from, k) {
        from.forEach(function (f) {
          trace.push({ from: cells[f], to: cells[k], level: board[cells[f][0]][cells[f][1]],
                       merged: from.length > 1 });
        });
      });
    });
    return { board: next, gained: gained, moved: moved, trace: trace };
  }

  /* Return the empty cells in row-major order. */
  function emptyCells(board) {
    var cells = [];
    board.forEach(function (row, r) { row.forEach(function (v, c) { if (!v) cells.push([r, c]); }); });
    return cells;
  }

  /* Return {board, cell}: board with one new tile (level 1, or 2 by chance). */
  function spawn(board, prng, spawnHighPct) {
    var cells = emptyCells(board);
    if (!cells.length) return { board: board, cell: null };
    var rc = cells[prng.nextInt(cells.length)];
    var level = prng.nextInt(100) < spawnHighPct ? 2 : 1;
    var next = board.map(function (row) { return row.slice(); });
    next[rc[0]][rc[1]] = level;
    return { board: next, cell: rc };
  }

  /* Return whether some move would change board. */
  function canMove(board, maxLevel) {
    var rows = board.length, cols = board[0].length;
    for (var r = 0; r < rows; r++) {
      for (var c = 0; c < cols; c++) {
        var v = board[r][c];
        if (!v) return true;
        if (v < maxLevel && ((c + 1 < cols && board[r][c + 1] === v) ||
                             (r + 1 < rows && board[r + 1][c] === v))) return true;
      }
    }
    return false;
  }

  function levelPoints(params) {
    return params.levels.map(function (lv) { return lv.points; });
  }

  /* Return the starting state: two spawns on an empty board. */
  function initialState(prng, params) {
    var board = emptyBoard(params.rows, params.cols);
    for (var i = 0; i < 2; i++) board = spawn(board, prng, params.spawn_high_pct).board;
    return { board: board, score: 0, over: false };
  }

  /* Return the state after move d and its spawn, or null if d changes nothing.
   * The result also carries trace (slides) and spawned ([r, c]) for the client. */
  function step(state, d, prng, params) {
    if (state.over) return null;
    var res = applyMove(state.board, d, levelPoints(params));
    if (!res.moved) return null;
    var sp = spawn(res.board, prng, params.spawn_high_pct);
    return {
      board: sp.board, score: state.score + res.gained,
      over: !canMove(sp.board, params.levels.length),
      trace: res.trace, spawned: sp.cell
    };
  }

  return {
    DIRECTIONS: DIRECTIONS, defaultLevels: defaultLevels, withDefaults: withDefaults,
    emptyBoard: emptyBoard, lineCells: lineCells, slideLine: slideLine, applyMove: applyMove,
    emptyCells: emptyCells, spawn: spawn, canMove: canMove, initialState: initialState, step: step
  };
});
