/* The racing (竞速) canvas client: mobile-first, swipe / tap a half / arrows + A-D.
 * It runs the same seeded rules as the server (rules.js, prng.js) at the fixed
 * tick rate on requestAnimationFrame and records each steer as {k: tick, a};
 * the server replays that log to the end of the race.
 *   var ctl = HudongGames.racing.start(el, {seed, params, resume?}, {onGameOver, onMove});
 * resume: {moves, ticks} kept from before a reload; the race runs again to that tick.
 *   ctl.state() -> {ticks, lane, lives, distance, pickups, crashes, score, over,
 *                   finished, moves}; ctl.steer('L'); ctl.destroy();
 */
(typeof HudongKit !== 'undefined' ? HudongKit : require('../kit.js')).define(
  typeof module !== 'undefined' ? module : null, 'HudongGames.racing',
  ['racing/rules.js:HudongGames.racingRules', 'prng.js:HudongPrng', 'kit.js:HudongKit'],
  function (rules, prng, kit) {
  'use strict';

  var BG = '#2f3b2f', ROAD = '#4a4f57', LINE = '#f2f2f2', INK = '#ffffff';
  var CAR = '#e53950', GLASS = '#bfe3ff', BLOCK = '#f46b36', COIN = '#f7d933';
  var HEADER = 48, VIEW_ROWS = 6, MAX_STEP_MS = 100, OVER_MS = 500, SWIPE_PX = 24, CRASH_MS = 420;
  var KEYS = { ArrowLeft: 'L', ArrowRight: 'R', a: 'L', d: 'R', A: 'L', D: 'R' };

  /* Compute the canvas size and the track geometry for the container. */
  function layout(container, lanes) {
    var w = container.clientWidth || window.innerWidth || 360;
    var h = container.clientHeight || Math.round(Math.min(w * 1.6, window.innerHeight || w * 1.6));
    var pad = Math.max(8, Math.round(w * 0.04));
    var trackW = Math.min(w - 2 * pad, (h - HEADER) * 0.75);
    var laneW = trackW / lanes, rowPx = (h - HEADER - pad) / (VIEW_ROWS + 1.2);
    var carH = Math.min(laneW * 0.9, rowPx);
    var carY = h - pad - carH;  // the top of the car: the row line it crosses
    return { w: w, h: h, pad: pad, x0: Math.round((w - trackW) / 2), trackW: trackW,
             laneW: laneW, carH: carH, carY: carY, item: Math.min(laneW * 0.7, rowPx * 0.6),
             scale: rowPx / rules.ROW_MM };  // px per mm
  }

  /* Draw img (baked once at its on-screen size) in the box; return false if there is none. */
  function drawImage(ctx, img, x, y, w, h) {
    if (!img) return false;
    var dpr = ctx.getTransform ? ctx.getTransform().a : 1;
    ctx.drawImage(kit.bake(img, w * dpr, h * dpr), x, y, w, h);
    return true;
  }

  /* Draw the road, its scrolling lane markings (or the brand's track image). */
  function drawRoad(ctx, geo, lanes, pos, img, builtIn) {
    var top = HEADER, hgt = geo.h - HEADER, shift = (pos * geo.scale) % hgt;
    if (!img) {  // the image covers the whole track: no fill under it
      ctx.fillStyle = ROAD;
      ctx.fillRect(geo.x0, top, geo.trackW, hgt);
    }
    if (img) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(geo.x0, top, geo.trackW, hgt);
      ctx.clip();
      drawImage(ctx, img, geo.x0, top + shift - hgt, geo.trackW, hgt);
      drawImage(ctx, img, geo.x0, top + shift, geo.trackW, hgt);
      ctx.restore();
      if (!builtIn) return;
    }
    var dash = rules.ROW_MM * geo.scale / 2;
    ctx.strokeStyle = LINE;
    ctx.lineWidth = 3;
    ctx.setLineDash([dash * 0.6, dash * 0.4]);
    ctx.lineDashOffset = -((pos * geo.scale) % dash);
    for (var i = 1; i < lanes; i++) {
      ctx.beginPath();
      ctx.moveTo(geo.x0 + i * geo.laneW, top);
      ctx.lineTo(geo.x0 + i * geo.laneW, geo.h);
      ctx.stroke();
    }
    ctx.setLineDash([]);
  }

  function drawObstacle(ctx, x, y, s, img) {
    if (drawImage(ctx, img, x, y, s, s)) return;
    kit.roundRect(ctx, x, y + s * 0.25, s, s * 0.5, s * 0.08);
    ctx.fillStyle = BLOCK;
    ctx.fill();
    ctx.fillStyle = INK;
    for (var i = 0; i < 3; i++) ctx.fillRect(x + s * (0.12 + i * 0.3), y + s * 0.3, s * 0.14, s * 0.4);
  }

  function drawPickup(ctx, x, y, s, img) {
    if (drawImage(ctx, img, x, y, s, s)) return;
    ctx.beginPath();
    ctx.arc(x + s / 2, y + s / 2, s * 0.32, 0, 2 * Math.PI);
    ctx.fillStyle = COIN;
    ctx.fill();
    ctx.strokeStyle = '#c79a00';
    ctx.lineWidth = Math.max(2, s * 0.06);
    ctx.stroke();
  }

  function drawCar(ctx, x, y, w, h, img) {
    if (drawImage(ctx, img, x, y, w, h)) return;
    kit.roundRect(ctx, x + w * 0.15, y, w * 0.7, h, w * 0.14);
    ctx.fillStyle = CAR;
    ctx.fill();
    kit.roundRect(ctx, x + w * 0.25, y + h * 0.2, w * 0.5, h * 0.22, w * 0.06);
    ctx.fillStyle = GLASS;
    ctx.fill();
  }

  /* Draw the rows in view: obstacles, and pick-ups not collected yet. */
  function drawRows(ctx, geo, track, pos, taken, images) {
    var s = geo.item, first = Math.max(1, Math.floor(pos / rules.ROW_MM) - 1);
    for (var r = first; r <= first + VIEW_ROWS + 2; r++) {
      var y = geo.carY - (r * rules.ROW_MM - pos) * geo.scale - s / 2;
      if (y < HEADER - s || y > geo.h) continue;
      track.row(r).forEach(function (cell, lane) {
        var x = geo.x0 + lane * geo.laneW + (geo.laneW - s) / 2;
        if (cell === rules.OBSTACLE) drawObstacle(ctx, x, y, s, images.obstacle);
        else if (cell === rules.PICKUP && !taken[r + ',' + lane]) drawPickup(ctx, x, y, s, images.pickup);
      });
    }
  }

  /* Draw the score and the time left (or the clock and the metres to go) and the lives left. */
  function drawHeader(ctx, geo, state, params) {
    ctx.fillStyle = BG;
    ctx.fillRect(0, 0, geo.w, HEADER);
    ctx.fillStyle = INK;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.font = 'bold 18px sans-serif';
    var secs = rules.durationMs(state, params) / 1000, text;
    if (params.score_mode === 'time') {
      text = '\u7528\u65f6 ' + secs.toFixed(1) + 's  ' +  // 用时
        Math.max(0, params.course_length - rules.distanceM(state)) + 'm';
    } else {
      text = '\u5f97\u5206 ' + rules.scoreOf(state, params) + '  \u5269\u4f59 ' +  // 得分 剩余
        Math.max(0, Math.ceil(params.duration_s - secs)) + 's';
    }
    ctx.fillText(text, geo.pad, HEADER / 2);
    ctx.textAlign = 'right';
    ctx.fillStyle = '#ff8a98';
    ctx.fillText(new Array(state.lives + 1).join('\u2665'), geo.w - geo.pad, HEADER / 2);
  }

  /* Listen for steers: a swipe, a tap on either half, a click, arrows or A/D; return the unbinder. */
  function bindInput(canvas, steer) {
    var off = [kit.bindPointer(canvas, { swipe: steer, tap: steer, early: true, horizontal: true,
                                         mouseTap: true, min: function () { return SWIPE_PX; } }),
               kit.bindKeys(KEYS, steer)];
    return function () { off.forEach(function (fn) { fn(); }); };
  }

  /* Pick the brand's own image for a piece, else the built-in sprite. */
  function pieces(own, art) {
    return { track: own.track || art.road, car: own.car || art.car,
             obstacle: own.obstacle || art.obstacle, pickup: own.pickup || art.coin,
             builtInTrack: !own.track };
  }

  /* Create the game canvas in container; return {canvas, resize(), draw(state, alpha), crash()}.
   * taken holds the "row,lane" keys of collected pick-ups (not drawn). */
  function makeView(container, params, track, taken) {
    var surface = kit.makeCanvas(container), ctx = surface.ctx, geo = null, dpr = 1;
    var shown = null, shownLane = null, crashAt = null;
    var redraw = function () { if (shown) draw(shown, 0); };
    var own = kit.loadImages(params.skins, redraw);
    var art = kit.sprites(['road', 'car', 'obstacle', 'coin'], redraw);

    function resize() {
      geo = layout(container, params.lanes);
      dpr = surface.fit(geo.w, geo.h);
      redraw();
    }

    /* Draw state, alpha of the way to its next tick (smooth scrolling between ticks). */
    function draw(state, alpha) {
      if (!geo) return;
      shown = state;
      var img = pieces(own, art), t = kit.now();
      var pos = state.over ? state.pos
        : state.pos + rules.speedAt(params, state.ramp) * alpha / params.tick_rate;
      shownLane = shownLane === null ? state.lane : shownLane + (state.lane - shownLane) * 0.35;
      var dx = crashAt === null ? 0 : kit.shake((t - crashAt) / CRASH_MS, 9);
      ctx.setTransform(dpr, 0, 0, dpr, dx * dpr, 0);
      ctx.fillStyle = BG;  // the verges only: the road and the header cover the rest
      ctx.fillRect(-10, HEADER, geo.x0 + 10, geo.h - HEADER);
      ctx.fillRect(geo.x0 + geo.trackW, HEADER, geo.w - geo.x0 - geo.trackW + 10, geo.h - HEADER);
      drawRoad(ctx, geo, params.lanes, pos, img.track, img.builtInTrack);
      drawRows(ctx, geo, track, pos, taken, img);
      var blink = state.ticks < state.invulnerable_until && Math.floor(state.ticks / 3) % 2;
      if (!blink) drawCar(ctx, geo.x0 + shownLane * geo.laneW, geo.carY, geo.laneW, geo.carH, img.car);
      if (crashAt !== null && t - crashAt < CRASH_MS) {
        ctx.fillStyle = 'rgba(255, 60, 60, ' + (0.35 * (1 - (t - crashAt) / CRASH_MS)) + ')';
        ctx.fillRect(0, HEADER, geo.w, geo.h - HEADER);
      }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawHeader(ctx, geo, state, params);
      if (state.over) {
        ctx.fillStyle = 'rgba(0, 0, 0, 0.35)';
        ctx.fillRect(0, HEADER, geo.w, geo.h - HEADER);
      }
    }

    return { canvas: surface.canvas, resize: resize, draw: draw, remove: surface.remove,
             crash: function () { crashAt = kit.now(); } };
  }

  /* Run the race again to tick ``upTo`` with the kept steers (a reload); return the state. */
  function fastForward(state, kept, upTo, track, params, taken) {
    var at = {};
    kept.forEach(function (m) { at[m.k] = m.a; });
    while (state.ticks < upTo && !state.over) {
      var next = (at[state.ticks] && rules.step(state, at[state.ticks], track, params)) ||
        rules.step(state, null, track, params);
      next.events.forEach(function (e) { if (e.kind === 'pickup') taken[e.row + ',' + e.lane] = true; });
      state = next;
    }
    return state;
  }

  function start(container, session, hooks) {
    hooks = hooks || {};
    var params = rules.withDefaults(session.params);
    var track = new rules.Track(new prng.Prng(session.seed), params);
    var state = rules.initialState(params), moves = [], taken = {}, pending = null;
    var kept = session.resume;
    if (kept && kept.moves) {
      moves = kept.moves.filter(function (m) { return m.k < kept.ticks; });
      state = fastForward(state, moves, kept.ticks, track, params, taken);
    }
    var tickMs = 1000 / params.tick_rate, acc = 0, last = null, savedAt = state.ticks;
    var destroyed = false, frame = null, overTimer = null;
    var view = makeView(container, params, track, taken), canvas = view.canvas;

    /* Run one tick of the rules with the pending steer, recording it when it counts. */
    function tick() {
      var k = state.ticks, action = pending;
      pending = null;
      var next = action && rules.step(state, action, track, params);
      if (next) moves.push({ k: k, a: action });
      else next = rules.step(state, null, track, params);
      next.events.forEach(function (e) {
        if (e.kind === 'pickup') { taken[e.row + ',' + e.lane] = true; kit.sound('coin'); }
        if (e.kind === 'crash') { view.crash(); kit.sound('crash'); }
      });
      state = next;
      if (hooks.onMove && (next.over || state.ticks - savedAt >= params.tick_rate || action)) {
        savedAt = state.ticks;
        hooks.onMove({ moves: moves, ticks: state.ticks, score: rules.scoreOf(state, params) });
      }
    }

    function loop() {
      frame = null;
      if (destroyed) return;
      var t = kit.now();
      acc += last === null ? 0 : Math.min(MAX_STEP_MS, t - last);  // a hidden tab pauses
      last = t;
      while (acc >= tickMs && !state.over) {
        tick();
        acc -= tickMs;
      }
      view.draw(state, Math.min(1, acc / tickMs));
      if (state.over) overTimer = setTimeout(finish, OVER_MS);
      else frame = requestAnimationFrame(loop);
    }

    function finish() {
      overTimer = null;
      if (destroyed || !hooks.onGameOver) return;
      hooks.onGameOver({ moves: moves.slice(), score: rules.scoreOf(state, params) });
    }

    /* Queue steer a for the next tick unless it is too soon, doubled or off the track. */
    function steer(a) {
      if (destroyed || state.over || pending || (a !== 'L' && a !== 'R')) return false;
      var lane = state.lane + (a === 'L' ? -1 : 1);
      if (lane < 0 || lane >= params.lanes || !rules.paced(moves, state.ticks, params)) return false;
      pending = a;
      return true;
    }

    var unbind = bindInput(canvas, steer);
    window.addEventListener('resize', view.resize);
    view.resize();
    view.draw(state, 0);
    frame = requestAnimationFrame(loop);

    function destroy() {
      if (destroyed) return;
      destroyed = true;
      if (overTimer !== null) clearTimeout(overTimer);
      if (frame !== null) cancelAnimationFrame(frame);
      unbind();
      window.removeEventListener('resize', view.resize);
      view.remove();
    }

    return {
      state: function () {
        var pub = rules.publicState(state);
        pub.lane = state.lane;
        pub.score = rules.scoreOf(state, params);
        pub.over = state.over;
        pub.finished = state.finished;
        pub.moves = moves.slice();
        return pub;
      },
      steer: steer,
      destroy: destroy
    };
  }

  return { start: start };
});
