/* The rules of racing (竞速), tick for tick the same as games/racing/rules.py.
 * Pure functions, integers only (every value stays far below 2^53, and
 * Math.floor of a quotient of such non-negative integers is exact), the
 * seeded PRNG (prng.js) passed in through a Track.
 * Browser: window.HudongGames.racingRules; node: require('./rules.js'). */
(typeof HudongKit !== 'undefined' ? HudongKit : require('../kit.js')).define(
  typeof module !== 'undefined' ? module : null, 'HudongGames.racingRules', [], function () {
  'use strict';

  var ACTIONS = ['L', 'R'];
  var EMPTY = 0, OBSTACLE = 1, PICKUP = 2;
  var MM_PER_M = 1000, ROW_M = 10, ROW_MM = ROW_M * MM_PER_M;
  var SAFE_S = 2, INVULNERABLE_MS = 1000, MAX_INPUTS_PER_S = 12;
  var STEER = { L: -1, R: 1 };
  var DEFAULTS = {
    lanes: 3, tick_rate: 30, duration_s: 60, course_length: 1500, start_speed: 20,
    max_speed: 50, acceleration: 1, obstacle_density: 20, pickup_density: 10,
    pickup_points: 50, lives: 3, min_input_gap_ticks: 2, score_mode: 'distance'
  };
  var SKINS = ['car', 'track', 'obstacle', 'pickup'];

  /* Return params completed with the schema's defaults (the server sends them complete). */
  function withDefaults(params) {
    var p = {}, src = params || {}, skins = src.skins || {};
    Object.keys(DEFAULTS).forEach(function (k) { p[k] = src[k] === undefined ? DEFAULTS[k] : src[k]; });
    p.skins = {};
    SKINS.forEach(function (k) { p.skins[k] = skins[k] || ''; });
    return p;
  }

  /* Return the speed in mm/s after ramp ticks of speeding up, capped at max_speed. */
  function speedAt(params, ramp) {
    var start = params.start_speed * MM_PER_M;
    var gained = Math.floor(params.acceleration * MM_PER_M * ramp / params.tick_rate);
    return Math.min(params.max_speed * MM_PER_M, start + gained);
  }

  function maxTicks(params) { return params.duration_s * params.tick_rate; }

  /* Return the index of the first row that may hold obstacles or pick-ups. */
  function firstRow(params) { return Math.floor(params.start_speed * SAFE_S / ROW_M) + 1; }

  /* Return one row's cells drawn from prng; at least one lane is always open. */
  function makeRow(prng, params) {
    var cells = [], blocked = 0;
    for (var i = 0; i < params.lanes; i++) {
      var hit = prng.nextInt(100) < params.obstacle_density;
      var bonus = prng.nextInt(100) < params.pickup_density;
      cells.push(hit ? OBSTACLE : bonus ? PICKUP : EMPTY);
      if (hit) blocked += 1;
    }
    if (blocked === params.lanes) cells[prng.nextInt(params.lanes)] = EMPTY;
    return cells;
  }

  /* The course's rows, drawn lazily and in order from the seeded PRNG. */
  function Track(prng, params) {
    this.prng = prng;
    this.params = params;
    this.first = firstRow(params);
    this.rows = [];
  }

  /* Return the cells of row r (one per lane). */
  Track.prototype.row = function (r) {
    if (r < this.first) return new Array(this.params.lanes).fill(EMPTY);
    while (this.rows.length <= r - this.first) this.rows.push(makeRow(this.prng, this.params));
    return this.rows[r - this.first];
  };

  /* Return the state before tick 0: middle lane, full lives, nothing covered. */
  function initialState(params) {
    return { ticks: 0, scaled: 0, pos: 0, ramp: 0, lane: Math.floor(params.lanes / 2),
             lives: params.lives, crashes: 0, pickups: 0, invulnerable_until: 0,
             over: false, finished: false };
  }

  function copy(state) {
    var out = {};
    Object.keys(state).forEach(function (k) { out[k] = state[k]; });
    return out;
  }

  /* Apply crossing cell on tick k to the fresh state in place; return what happened. */
  function cross(state, cell, k, params) {
    if (cell === OBSTACLE && k >= state.invulnerable_until) {
      state.lives -= 1;
      state.crashes += 1;
      state.ramp = 0;
      state.invulnerable_until = k + Math.floor(params.tick_rate * INVULNERABLE_MS / 1000);
      return 'crash';
    }
    if (cell === PICKUP) {
      state.pickups += 1;
      return 'pickup';
    }
    return null;
  }

  /* Return the state one tick later, steering action ('L', 'R' or null) first, or null
   * when the race is over or the steer would leave the track. The result also carries
   * events: [{row, lane, kind: 'crash'|'pickup'}] for the client. */
  function step(state, action, track, params) {
    var lane = state.lane + (action ? STEER[action] : 0);
    if (state.over || !(lane >= 0 && lane < params.lanes)) return null;
    var k = state.ticks, speed = speedAt(params, state.ramp);
    var next = copy(state), events = [];
    next.ticks = k + 1;
    next.scaled = state.scaled + speed;
    next.lane = lane;
    next.pos = Math.floor(next.scaled / params.tick_rate);
    next.ramp = state.ramp + (speed < params.max_speed * MM_PER_M ? 1 : 0);
    for (var r = Math.floor(state.pos / ROW_MM) + 1; r <= Math.floor(next.pos / ROW_MM); r++) {
      var kind = cross(next, track.row(r)[lane], k, params);
      if (kind) events.push({ row: r, lane: lane, kind: kind });
    }
    var atFinish = params.score_mode === 'distance' ? next.ticks >= maxTicks(params)
      : next.pos >= params.course_length * MM_PER_M;
    next.finished = next.lives > 0 && atFinish;
    next.over = next.lives === 0 || atFinish || next.ticks >= maxTicks(params);
    next.events = events;
    return next;
  }

  function distanceM(state) { return Math.floor(state.pos / MM_PER_M); }

  function durationMs(state, params) { return Math.floor(state.ticks * 1000 / params.tick_rate); }

  /* Return the score by the score mode: metres + pick-up points, or ms to the finish
   * (a race that does not finish: duration_s * 1000 + 1 + metres short of the finish). */
  function scoreOf(state, params) {
    if (params.score_mode === 'distance') {
      return distanceM(state) + state.pickups * params.pickup_points;
    }
    if (state.finished) return durationMs(state, params);
    return params.duration_s * 1000 + 1 + Math.max(0, params.course_length - distanceM(state));
  }

  /* Return what a result reports: distance (m), lives, pick-ups, crashes, ticks. */
  function publicState(state) {
    return { distance: distanceM(state), lives: state.lives, pickups: state.pickups,
             crashes: state.crashes, ticks: state.ticks };
  }

  /* Return whether a steer at tick k after the logged moves keeps a human pace. */
  function paced(moves, k, params) {
    var n = MAX_INPUTS_PER_S, len = moves.length;
    if (len && k - moves[len - 1].k < params.min_input_gap_ticks) return false;
    return len < n || k - moves[len - n].k >= params.tick_rate;
  }

  /* Simulate the whole race with the ordered log moves ([{k, a}]); return the final state.
   * Throws when a steer leaves the track or comes after the race ended. */
  function run(seed, params, moves, Prng) {
    var track = new Track(new Prng(seed), params), state = initialState(params), i = 0;
    while (!state.over) {
      var action = i < moves.length && moves[i].k === state.ticks ? moves[i].a : null;
      var next = step(state, action, track, params);
      if (!next) throw new Error('steer leaves the track at move ' + i);
      if (action) i += 1;
      state = next;
    }
    if (i < moves.length) throw new Error('move after the race ended at move ' + i);
    return state;
  }

  return {
    ACTIONS: ACTIONS, EMPTY: EMPTY, OBSTACLE: OBSTACLE, PICKUP: PICKUP, MM_PER_M: MM_PER_M,
    ROW_MM: ROW_MM, MAX_INPUTS_PER_S: MAX_INPUTS_PER_S, withDefaults: withDefaults,
    speedAt: speedAt, maxTicks: maxTicks, firstRow: firstRow, makeRow: makeRow, Track: Track,
    initialState: initialState, step: step, distanceM: distanceM, durationMs: durationMs,
    scoreOf: scoreOf, publicState: publicState, paced: paced, run: run
  };
});
