/* The synthesis (合成) canvas client: mobile-first, swipe / drag / arrows + WASD.
 * It plays with the same seeded rules as the server (rules.js, prng.js) and
 * records each effective move as {d, t}; the server replays that log.
 *   var ctl = HudongGames.synthesis.start(el, {seed, params}, {onGameOver: fn});
 *   ctl.state() -> {board, score, over, moves}; ctl.move('L'); ctl.destroy();
 */
(function (root, factory) {
  var node = typeof module !== 'undefined' && module.exports;
  var api = factory(node ? require('./rules.js') : root.HudongGames.synthesisRules,
                    node ? require('../prng.js').Prng : root.HudongPrng.Prng);
  if (node) module.exports = api;
  if (root) {
    root.HudongGames = root.HudongGames || {};
    root.HudongGames.synthesis = api;
  }
})(typeof window !== 'undefined' ? window : null, function (rules, Prng) {
  'use strict';

  // one colour per default fruit, then more for longer custom chains
  var COLORS = ['#e53950', '#f0627d', '#8e4fc2', '#f7d933', '#8cc63f', '#f46b36',
                '#ffb3a0', '#f5a623', '#9c7454', '#ef5350', '#2e8b3c',
                '#26a69a', '#5c6bc0', '#ec407a', '#78909c', '#ffa000'];
  var BG = '#fbf4e4', BOARD = '#d8c4a0', EMPTY = '#eadcc1', INK = '#5b4632';
  var HEADER = 56, SLIDE_MS = 90, POP_MS = 110;
  var KEYS = { ArrowUp: 'U', ArrowDown: 'D', ArrowLeft: 'L', ArrowRight: 'R',
               w: 'U', s: 'D', a: 'L', d: 'R', W: 'U', S: 'D', A: 'L', D: 'R' };

  function now() { return performance.now(); }

  function textColor(hex) {
    var n = parseInt(hex.slice(1), 16);
    var lum = 299 * (n >> 16) + 587 * ((n >> 8) & 255) + 114 * (n & 255);
    return lum > 160000 ? INK : '#ffffff';
  }

  function roundRect(ctx, x, y, w, h, r) {
    ctx.beginPath();
    ctx.moveTo(x + r, y);
    ctx.arcTo(x + w, y, x + w, y + h, r);
    ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r);
    ctx.arcTo(x, y, x + w, y, r);
    ctx.closePath();
  }

  /* Compute the canvas size and the grid geometry for the container. */
  function layout(container, rows, cols) {
    var w = container.clientWidth || window.innerWidth || 360;
    var h = container.clientHeight || 0;
    var pad = Math.max(6, Math.round(w * 0.03));
    var gap = Math.max(4, Math.round(w * 0.015));
    var cell = (w - 2 * pad - gap * (cols - 1)) / cols;
    if (h > HEADER + 2 * pad) cell = Math.min(cell, (h - HEADER - 2 * pad - gap * (rows - 1)) / rows);
    cell = Math.max(16, Math.floor(cell));
    var gridW = cols * cell + (cols - 1) * gap, gridH = rows * cell + (rows - 1) * gap;
    // the canvas is only as tall as its content; the page lays out the rest
    return { w: w, h: HEADER + gridH + 2 * pad, cell: cell, gap: gap, x0: Math.round((w - gridW) / 2),
             y0: HEADER + pad, gridW: gridW, gridH: gridH, pad: pad };
  }

  function start(container, session, hooks) {
    var params = rules.withDefaults(session.params);
    var levels = params.levels, rows = params.rows, cols = params.cols;
    var prng = new Prng(session.seed);
    var state = rules.initialState(prng, params);
    var moves = [], startTime = now(), lastT = null;
    var destroyed = false, overTimer = null, frame = null, anim = null, down = null;
    var images = [], geo, dpr;
    hooks = hooks || {};

    var canvas = document.createElement('canvas');
    canvas.id = 'game-canvas';
    canvas.style.display = 'block';
    canvas.style.touchAction = 'none';
    container.appendChild(canvas);
    var ctx = canvas.getContext('2d');

    levels.forEach(function (lv, i) {
      if (!lv.image || typeof Image === 'undefined') return;
      var img = new Image();
      img.onload = function () { images[i] = img; draw(); };
      img.src = lv.image;
    });

    function resize() {
      dpr = Math.min(3, window.devicePixelRatio || 1);
      geo = layout(container, rows, cols);
      canvas.style.width = geo.w + 'px';
      canvas.style.height = geo.h + 'px';
      canvas.width = Math.round(geo.w * dpr);
      canvas.height = Math.round(geo.h * dpr);
      draw();
    }

    function cellXY(r, c) {
      return [geo.x0 + c * (geo.cell + geo.gap), geo.y0 + r * (geo.cell + geo.gap)];
    }

    function drawTile(level, x, y, scale) {
      var s = geo.cell * scale, off = (geo.cell - s) / 2, color = COLORS[(level - 1) % COLORS.length];
      x += off; y += off;
      roundRect(ctx, x, y, s, s, s * 0.16);
      ctx.fillStyle = color;
      ctx.fill();
      var img = images[level - 1];
      if (img) {
        ctx.drawImage(img, x + s * 0.06, y + s * 0.06, s * 0.88, s * 0.88);
        return;
      }
      var name = levels[level - 1].name, size = Math.floor(s * 0.3);
      ctx.font = 'bold ' + size + 'px sans-serif';
      while (size > 8 && ctx.measureText(name).width > s * 0.86) {
        size -= 1;
        ctx.font = 'bold ' + size + 'px sans-serif';
      }
      ctx.fillStyle = textColor(color);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(name, x + s / 2, y + s / 2);
    }

    function drawHeader() {
      var top = 0;
      state.board.forEach(function (row) { row.forEach(function (v) { top = Math.max(top, v); }); });
      ctx.fillStyle = INK;
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'left';
      ctx.font = 'bold 20px sans-serif';
      ctx.fillText('\u5f97\u5206 ' + state.score, geo.pad, HEADER / 2);  // 得分 
      ctx.textAlign = 'right';
      ctx.font = '14px sans-serif';
      var hint = top >= levels.length ? '\u5df2\u5408\u6210 ' + levels[top - 1].name + '!'  // 已合成 
        : '\u4e0b\u4e00\u4e2a: ' + levels[top].name;  // 下一个: 
      ctx.fillText(hint, geo.w - geo.pad, HEADER / 2);
    }

    function drawBoard(t) {
      roundRect(ctx, geo.x0 - geo.gap, geo.y0 - geo.gap, geo.gridW + 2 * geo.gap,
                geo.gridH + 2 * geo.gap, geo.cell * 0.12);
      ctx.fillStyle = BOARD;
      ctx.fill();
      for (var r = 0; r < rows; r++) {
        for (var c = 0; c < cols; c++) {
          var xy = cellXY(r, c);
          roundRect(ctx, xy[0], xy[1], geo.cell, geo.cell, geo.cell * 0.16);
          ctx.fillStyle = EMPTY;
          ctx.fill();
        }
      }
      if (anim && t < SLIDE_MS) return drawSlide(t / SLIDE_MS);
      var p = anim ? Math.min(1, (t - SLIDE_MS) / POP_MS) : 1;
      state.board.forEach(function (row, r) {
        row.forEach(function (v, c) {
          if (!v) return;
          var xy = cellXY(r, c), scale = 1;
          if (anim && anim.spawned && anim.spawned[0] === r && anim.spawned[1] === c) scale = 0.3 + 0.7 * p;
          else if (anim && anim.merged[r + ',' + c]) scale = 1 + 0.12 * Math.sin(Math.PI * p);
          drawTile(v, xy[0], xy[1], scale);
        });
      });
    }

    function drawSlide(p) {
      anim.trace.forEach(function (m) {
        var a = cellXY(m.from[0], m.from[1]), b = cellXY(m.to[0], m.to[1]);
        drawTile(m.level, a[0] + (b[0] - a[0]) * p, a[1] + (b[1] - a[1]) * p, 1);
      });
    }

    function drawOver() {
      ctx.fillStyle = 'rgba(251, 244, 228, 0.72)';
      ctx.fillRect(geo.x0 - geo.gap, geo.y0 - geo.gap, geo.gridW + 2 * geo.gap, geo.gridH + 2 * geo.gap);
      ctx.fillStyle = INK;
      ctx.textAlign = 'center';
      ctx.font = 'bold 28px sans-serif';
      ctx.fillText('\u6e38\u620f\u7ed3\u675f', geo.w / 2, geo.y0 + geo.gridH / 2);  // 游戏结束
    }

    function draw() {
      if (destroyed || !geo) return;
      frame = null;
      var t = anim ? now() - anim.at : Infinity;
      if (anim && t >= SLIDE_MS + POP_MS) { anim = null; }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = BG;
      ctx.fillRect(0, 0, geo.w, geo.h);
      drawHeader();
      drawBoard(t);
      if (state.over && !anim) drawOver();
      if (anim && typeof requestAnimationFrame === 'function') frame = requestAnimationFrame(draw);
      else anim = null;
    }

    /* Play direction d if it is not too soon and changes the board; return whether it did. */
    function move(d) {
      if (destroyed || state.over) return false;
      var t = Math.round(now() - startTime);
      if (lastT !== null && t - lastT < params.min_move_interval_ms) return false;
      var next = rules.step(state, d, prng, params);
      if (!next) return false;
      var merged = {};
      next.trace.forEach(function (m) { if (m.merged) merged[m.to[0] + ',' + m.to[1]] = true; });
      anim = { at: now(), trace: next.trace, spawned: next.spawned, merged: merged };
      state = { board: next.board, score: next.score, over: next.over };
      moves.push({ d: d, t: t });
      lastT = t;
      if (frame !== null && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(frame);
      draw();
      if (state.over) overTimer = setTimeout(finish, SLIDE_MS + POP_MS + 200);
      return true;
    }

    function finish() {
      overTimer = null;
      if (destroyed || !hooks.onGameOver) return;
      hooks.onGameOver({ moves: moves.slice(), score: state.score });
    }

    function swipe(x0, y0, x1, y1) {
      var dx = x1 - x0, dy = y1 - y0, min = Math.max(20, geo.cell * 0.25);
      if (Math.max(Math.abs(dx), Math.abs(dy)) < min) return;
      if (Math.abs(dx) > Math.abs(dy)) move(dx > 0 ? 'R' : 'L');
      else move(dy > 0 ? 'D' : 'U');
    }

    function onTouchStart(e) {
      e.preventDefault();
      var p = e.touches[0];
      down = p ? [p.clientX, p.clientY] : null;
    }
    function onTouchMove(e) { e.preventDefault(); }
    function onTouchEnd(e) {
      e.preventDefault();
      var p = e.changedTouches[0];
      if (down && p) swipe(down[0], down[1], p.clientX, p.clientY);
      down = null;
    }
    function onMouseDown(e) { down = [e.clientX, e.clientY]; }
    function onMouseUp(e) {
      if (down) swipe(down[0], down[1], e.clientX, e.clientY);
      down = null;
    }
    function onKey(e) {
      var d = KEYS[e.key], el = e.target;
      if (!d || e.ctrlKey || e.metaKey || e.altKey) return;
      if (el && (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable)) return;
      e.preventDefault();
      move(d);
    }

    var active = { passive: false };
    canvas.addEventListener('touchstart', onTouchStart, active);
    canvas.addEventListener('touchmove', onTouchMove, active);
    canvas.addEventListener('touchend', onTouchEnd, active);
    canvas.addEventListener('mousedown', onMouseDown);
    window.addEventListener('mouseup', onMouseUp);
    window.addEventListener('resize', resize);
    document.addEventListener('keydown', onKey);
    resize();

    function destroy() {
      if (destroyed) return;
      destroyed = true;
      if (overTimer !== null) clearTimeout(overTimer);
      if (frame !== null && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(frame);
      canvas.removeEventListener('touchstart', onTouchStart, active);
      canvas.removeEventListener('touchmove', onTouchMove, active);
      canvas.removeEventListener('touchend', onTouchEnd, active);
      canvas.removeEventListener('mousedown', onMouseDown);
      window.removeEventListener('mouseup', onMouseUp);
      window.removeEventListener('resize', resize);
      document.removeEventListener('keydown', onKey);
      if (canvas.parentNode) canvas.parentNode.removeChild(canvas);
    }

    return {
      state: function () {
        return { board: state.board.map(function (row) { return row.slice(); }),
                 score: state.score, over: state.over, moves: moves.slice() };
      },
      move: move,
      destroy: destroy
    };
  }

  return { start: start, COLORS: COLORS };
});
