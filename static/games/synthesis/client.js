/* The synthesis (合成) canvas client: mobile-first, swipe / drag / arrows + WASD.
 * It plays with the same seeded rules as the server (rules.js, prng.js) and
 * records each effective move as {d, t}; the server replays that log.
 *   var ctl = HudongGames.synthesis.start(el, {seed, params, resume?}, {onGameOver, onMove});
 *   ctl.state() -> {board, score, over, moves}; ctl.move('L'); ctl.destroy();
 * resume: a move log kept from before a reload; it is played again first.
 */
(typeof HudongKit !== 'undefined' ? HudongKit : require('../kit.js')).define(
  typeof module !== 'undefined' ? module : null, 'HudongGames.synthesis',
  ['synthesis/rules.js:HudongGames.synthesisRules', 'prng.js:HudongPrng', 'kit.js:HudongKit'],
  function (rules, prng, kit) {
  'use strict';

  // a tile colour per level when no sprite is loaded (and behind each sprite)
  var COLORS = ['#e53950', '#f0627d', '#8e4fc2', '#f7d933', '#8cc63f', '#f46b36',
                '#ffb3a0', '#f5a623', '#9c7454', '#ef5350', '#2e8b3c',
                '#26a69a', '#5c6bc0', '#ec407a', '#78909c', '#ffa000'];
  var BG = '#fbf4e4', BOARD = '#d8c4a0', EMPTY = '#eadcc1', INK = '#5b4632';
  var HEADER = 56, SLIDE_MS = 90, POP_MS = 180, FLASH_MS = 1100, SPRITES = 11;
  var KEYS = { ArrowUp: 'U', ArrowDown: 'D', ArrowLeft: 'L', ArrowRight: 'R',
               w: 'U', s: 'D', a: 'L', d: 'R', W: 'U', S: 'D', A: 'L', D: 'R' };

  function spriteName(level) { return 'fruit-' + ((level - 1) % SPRITES + 1); }

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

  /* The drawing of a board: tiles (the brand's image, else the built-in fruit), header, effects. */
  function makeView(container, params) {
    var levels = params.levels, rows = params.rows, cols = params.cols;
    var surface = kit.makeCanvas(container), ctx = surface.ctx, geo = null, dpr = 1;
    var redraw = function () {};
    var own = {}, names = [];
    levels.forEach(function (lv, i) { if (lv.image) own[i + 1] = lv.image; else names.push(spriteName(i + 1)); });
    var images = kit.loadImages(own, function () { redraw(); });
    var art = kit.sprites(names, function () { redraw(); });

    function cellXY(r, c) { return [geo.x0 + c * (geo.cell + geo.gap), geo.y0 + r * (geo.cell + geo.gap)]; }

    function drawTile(level, x, y, scale) {
      var s = geo.cell * scale, off = (geo.cell - s) / 2, color = COLORS[(level - 1) % COLORS.length];
      x += off; y += off;
      var img = images[level] || art[spriteName(level)];
      kit.roundRect(ctx, x, y, s, s, s * 0.18);
      ctx.fillStyle = img ? '#fffaf0' : color;
      ctx.fill();
      if (img) {  // baked at the tile's full size; pops and spawns scale the bitmap
        var px = geo.cell * 0.86 * dpr;
        ctx.drawImage(kit.bake(img, px, px), x + s * 0.07, y + s * 0.07, s * 0.86, s * 0.86);
        return;
      }
      var name = levels[level - 1].name, size = Math.floor(s * 0.3);
      ctx.font = 'bold ' + size + 'px sans-serif';
      while (size > 8 && ctx.measureText(name).width > s * 0.86) {
        size -= 1;
        ctx.font = 'bold ' + size + 'px sans-serif';
      }
      ctx.fillStyle = '#ffffff';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(name, x + s / 2, y + s / 2);
    }

    function drawHeader(state) {
      var top = 0;
      state.board.forEach(function (row) { row.forEach(function (v) { top = Math.max(top, v); }); });
      ctx.fillStyle = INK;
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'left';
      ctx.font = 'bold 20px sans-serif';
      ctx.fillText('\u5f97\u5206 ' + state.score, geo.pad, HEADER / 2);  // 得分
      ctx.textAlign = 'right';
      ctx.font = '15px sans-serif';
      var hint = top >= levels.length ? '\u5df2\u5408\u6210 ' + levels[top - 1].name + '!'  // 已合成
        : '\u4e0b\u4e00\u4e2a: ' + levels[Math.max(top, 0)].name;  // 下一个:
      ctx.fillText(hint, geo.w - geo.pad, HEADER / 2);
    }

    function drawGrid() {
      kit.roundRect(ctx, geo.x0 - geo.gap, geo.y0 - geo.gap, geo.gridW + 2 * geo.gap,
                    geo.gridH + 2 * geo.gap, geo.cell * 0.12);
      ctx.fillStyle = BOARD;
      ctx.fill();
      for (var r = 0; r < rows; r++) {
        for (var c = 0; c < cols; c++) {
          var xy = cellXY(r, c);
          kit.roundRect(ctx, xy[0], xy[1], geo.cell, geo.cell, geo.cell * 0.16);
          ctx.fillStyle = EMPTY;
          ctx.fill();
        }
      }
    }

    function drawTiles(state, anim, t) {
      if (anim && t < SLIDE_MS) {
        var p = kit.easeOut(t / SLIDE_MS);
        anim.trace.forEach(function (m) {
          var a = cellXY(m.from[0], m.from[1]), b = cellXY(m.to[0], m.to[1]);
          drawTile(m.level, a[0] + (b[0] - a[0]) * p, a[1] + (b[1] - a[1]) * p, 1);
        });
        return;
      }
      var q = anim ? Math.min(1, (t - SLIDE_MS) / POP_MS) : 1;
      state.board.forEach(function (row, r) {
        row.forEach(function (v, c) {
          if (!v) return;
          var xy = cellXY(r, c), scale = 1;
          if (anim && anim.spawned && anim.spawned[0] === r && anim.spawned[1] === c) scale = 0.2 + 0.8 * kit.easeOut(q);
          else if (anim && anim.merged[r + ',' + c]) scale = kit.pop(q, 0.25);
          drawTile(v, xy[0], xy[1], scale);
        });
      });
    }

    /* A new level reached: its name over the board, rising and fading. */
    function drawFlash(flash, t) {
      var p = t / FLASH_MS;
      if (p >= 1) return;
      ctx.save();
      ctx.globalAlpha = p < 0.7 ? 1 : (1 - p) / 0.3;
      var y = geo.y0 + geo.gridH / 2 - 30 * kit.easeOut(p), w = Math.min(geo.w * 0.8, 260);
      kit.roundRect(ctx, (geo.w - w) / 2, y - 30, w, 60, 30);
      ctx.fillStyle = 'rgba(60, 40, 20, 0.82)';
      ctx.fill();
      ctx.fillStyle = '#ffffff';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.font = 'bold 24px sans-serif';
      ctx.fillText('\u5408\u6210 ' + flash.name + '!', geo.w / 2, y);  // 合成 …!
      ctx.restore();
    }

    /* The background and the empty grid never move: draw them once per size, off screen. */
    var layer = null;
    function staticLayer() {
      if (layer && layer.width === surface.canvas.width && layer.height === surface.canvas.height) return layer;
      layer = document.createElement('canvas');
      layer.width = surface.canvas.width; layer.height = surface.canvas.height;
      var onScreen = ctx;
      ctx = layer.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = BG;
      ctx.fillRect(0, 0, geo.w, geo.h);
      drawGrid();
      ctx = onScreen;
      return layer;
    }

    function draw(state, anim, flash, t) {
      if (!geo) return;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(staticLayer(), 0, 0);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawHeader(state);
      drawTiles(state, anim, anim ? t - anim.at : Infinity);
      if (flash) drawFlash(flash, t - flash.at);
      if (state.over && !anim) {
        ctx.fillStyle = 'rgba(251, 244, 228, 0.5)';
        ctx.fillRect(geo.x0 - geo.gap, geo.y0 - geo.gap, geo.gridW + 2 * geo.gap, geo.gridH + 2 * geo.gap);
      }
    }

    return {
      canvas: surface.canvas,
      cellPx: function () { return geo ? geo.cell : 60; },
      resize: function () {
        geo = layout(container, rows, cols); dpr = surface.fit(geo.w, geo.h); layer = null; redraw();
      },
      draw: draw,
      onLoad: function (fn) { redraw = fn; },
      remove: surface.remove
    };
  }

  /* Play the kept log again (a reload): return the state it reaches, or null if it does not replay. */
  function replay(state, log, random, params) {
    for (var i = 0; i < log.length; i++) {
      var next = rules.step(state, log[i].d, random, params);
      if (!next) return null;
      state = { board: next.board, score: next.score, over: next.over };
    }
    return state;
  }

  function topLevel(board) {
    var top = 0;
    board.forEach(function (row) { row.forEach(function (v) { top = Math.max(top, v); }); });
    return top;
  }

  function start(container, session, hooks) {
    hooks = hooks || {};
    var params = rules.withDefaults(session.params);
    var random = new prng.Prng(session.seed);
    var state = rules.initialState(random, params);
    var log = (session.resume && session.resume.moves) || [], moves = [], lastT = null;
    var startTime = kit.now();
    var kept = log.length ? replay(state, log, random, params) : null;
    if (kept) {
      state = kept; moves = log.slice(); lastT = log[log.length - 1].t;
      startTime = kit.now() - lastT - params.min_move_interval_ms;
    }
    var best = topLevel(state.board), destroyed = false, overTimer = null, frame = null;
    var anim = null, flash = null, view = makeView(container, params);

    function draw() {
      frame = null;
      if (destroyed) return;
      var t = kit.now();
      if (anim && t - anim.at >= SLIDE_MS + POP_MS) anim = null;
      if (flash && t - flash.at >= FLASH_MS) flash = null;
      view.draw(state, anim, flash, t);
      if ((anim || flash) && typeof requestAnimationFrame === 'function') frame = requestAnimationFrame(draw);
      else anim = null;
    }
    view.onLoad(function () { if (frame === null) draw(); });

    function celebrate(next) {
      var merged = {}, top = best;
      next.trace.forEach(function (m) {
        if (!m.merged) return;
        merged[m.to[0] + ',' + m.to[1]] = true;
        top = Math.max(top, m.level + 1);
      });
      if (top > best && params.levels[top - 1]) {
        flash = { at: kit.now(), name: params.levels[top - 1].name };
        kit.sound('level');
      } else if (Object.keys(merged).length) kit.sound('merge');
      best = top;
      return merged;
    }

    /* Play direction d if it is not too soon and changes the board; return whether it did. */
    function move(d) {
      if (destroyed || state.over) return false;
      var t = Math.round(kit.now() - startTime);
      if (lastT !== null && t - lastT < params.min_move_interval_ms) return false;
      var next = rules.step(state, d, random, params);
      if (!next) return false;
      anim = { at: kit.now(), trace: next.trace, spawned: next.spawned, merged: celebrate(next) };
      state = { board: next.board, score: next.score, over: next.over };
      moves.push({ d: d, t: t });
      lastT = t;
      if (frame !== null && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(frame);
      draw();
      if (hooks.onMove) hooks.onMove({ moves: moves, score: state.score });
      if (state.over) overTimer = setTimeout(finish, SLIDE_MS + POP_MS + 200);
      return true;
    }

    function finish() {
      overTimer = null;
      if (destroyed || !hooks.onGameOver) return;
      hooks.onGameOver({ moves: moves.slice(), score: state.score });
    }

    var unbind = [
      kit.bindPointer(view.canvas, { swipe: move, min: function () { return Math.max(20, view.cellPx() * 0.25); } }),
      kit.bindKeys(KEYS, move)
    ];
    window.addEventListener('resize', view.resize);
    view.resize();
    draw();
    if (state.over) overTimer = setTimeout(finish, 0);  // a kept log that had ended: submit it

    function destroy() {
      if (destroyed) return;
      destroyed = true;
      if (overTimer !== null) clearTimeout(overTimer);
      if (frame !== null && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(frame);
      unbind.forEach(function (fn) { fn(); });
      window.removeEventListener('resize', view.resize);
      view.remove();
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
