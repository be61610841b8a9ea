// The JS racing rules reproduce every golden vector the Python rules wrote,
// and the canvas client records a replayable log (with a tiny fake DOM).
'use strict';
const test = require('node:test');
const { fakeDom } = require('./fake_dom.js');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Prng } = require('../../static/games/prng.js');
const R = require('../../static/games/racing/rules.js');
const golden = require(path.join(__dirname, '..', 'golden', 'racing.json'));

const PINNED = ['ticks', 'pos', 'ramp', 'lane', 'lives', 'crashes', 'pickups'];
const pick = (state) => Object.fromEntries(PINNED.map((k) => [k, state[k]]));
const byName = (name) => golden.cases.find((c) => c.name === name);

for (const c of golden.cases) {
  test(`golden ${c.name}: course rows, every checkpoint and the score`, () => {
    const track = new R.Track(new Prng(c.seed), c.params);
    assert.deepEqual(c.rows.map((_, r) => track.row(r)), c.rows);
    const play = new R.Track(new Prng(c.seed), c.params);
    const steers = new Map(c.moves.map((m) => [m.k, m.a]));
    let state = R.initialState(c.params);
    const points = [];
    while (!state.over) {
      const k = state.ticks;
      state = R.step(state, steers.get(k) || null, play, c.params);
      assert.ok(state, `tick ${k} refused`);
      if (state.ticks % c.every === 0 || state.over) points.push(pick(state));
    }
    assert.deepEqual(points, c.checkpoints);
    assert.equal(R.scoreOf(state, c.params), c.score);
    assert.equal(state.finished, c.finished);
    assert.deepEqual(R.publicState(state), c.state);
    assert.equal(R.durationMs(state, c.params), c.duration_ms);
    assert.equal(R.step(state, null, play, c.params), null);
    assert.deepEqual(R.publicState(R.run(c.seed, c.params, c.moves, Prng)), c.state);
  });
}

test('defaults match the server schema defaults', () => {
  const dflt = byName('no_input_crashes_out').params;
  assert.deepEqual(R.withDefaults({}), dflt);
  assert.deepEqual(R.withDefaults(dflt), dflt);
  const skins = byName('time_trial_finish_4_lanes').params.skins;
  assert.deepEqual(R.withDefaults({ skins }).skins, skins);
});

test('run refuses a steer off the track and a steer after the race', () => {
  const params = R.withDefaults({});
  assert.throws(() => R.run(1, params, [{ k: 0, a: 'L' }, { k: 2, a: 'L' }], Prng), /track at move 1/);
  assert.throws(() => R.run(1, params, [{ k: 5000, a: 'L' }], Prng), /after the race ended at move 0/);
});

test('paced drops steers closer than the gap or past 12 in a second', () => {
  const params = R.withDefaults({ min_input_gap_ticks: 2 });
  assert.equal(R.paced([], 0, params), true);
  assert.equal(R.paced([{ k: 10 }], 11, params), false);
  assert.equal(R.paced([{ k: 10 }], 12, params), true);
  const twelve = Array.from({ length: 12 }, (_, i) => ({ k: 2 * i }));  // ticks 0..22
  assert.equal(R.paced(twelve, 24, params), false);  // 13 inside ticks 0..29
  assert.equal(R.paced(twelve, 30, params), true);
});

// --- client, on the fake DOM of ./fake_dom.js (frames cranked by hand) ---

const client = () => require('../../static/games/racing/client.js');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const KEYS = { L: 'ArrowLeft', R: 'ArrowRight' };

/* Crank frames of half a tick until the client's race has run tick k. */
function runTick(dom, ctl, k, tickMs) {
  for (let i = 0; ctl.state().ticks <= k; i++) {
    assert.ok(i < 8 && dom.frame(tickMs / 2) === 1, `tick ${k} never ran`);
  }
}

test('client races a golden log by keys, drops extra inputs, reports once', async (t) => {
  const dom = fakeDom();
  t.after(dom.cleanup);
  const c = byName('pickup_hunter_5_lanes');
  const tickMs = 1000 / c.params.tick_rate;
  const results = [];
  const ctl = client().start(dom.container, { seed: c.seed, params: c.params },
    { onGameOver: (r) => results.push(r) });
  assert.equal(dom.canvas.id, 'game-canvas');
  assert.equal(dom.canvas.width, 720);  // 360 CSS px at devicePixelRatio 2
  assert.equal(dom.canvas.style.width, '360px');
  const key = (k) => dom.fire('dockeydown', { key: k, preventDefault() {} });
  const steers = new Map(c.moves.map((m) => [m.k, m.a]));
  dom.frame(0);
  for (let k = 0; k < c.state.ticks; k++) {
    if (steers.has(k)) {
      key(KEYS[steers.get(k)]);
      key(KEYS[steers.get(k)]);  // a second input before the tick: dropped
    } else if (steers.has(k - 1)) {
      key('a');  // right after a steer: closer than the gap, dropped
    }
    runTick(dom, ctl, k, tickMs);
  }
  const st = ctl.state();
  assert.deepEqual(st.moves, c.moves);
  assert.equal(st.score, c.score);
  assert.equal(st.over, true);
  assert.equal(st.finished, c.finished);
  assert.deepEqual({ distance: st.distance, lives: st.lives, pickups: st.pickups,
                     crashes: st.crashes, ticks: st.ticks }, c.state);
  assert.equal(dom.pending(), 0);  // the loop stops at the end of the race
  key('d');
  assert.equal(ctl.steer('L'), false);
  assert.equal(results.length, 0);  // reported after a short pause
  await sleep(600);
  assert.deepEqual(results, [{ moves: c.moves, score: c.score }]);
  ctl.destroy();
  assert.equal(dom.container.children.length, 0);
  assert.equal((dom.listeners.dockeydown || []).length, 0);
  assert.equal((dom.listeners.winresize || []).length, 0);
});

test('client steers by swipe, tap halves and mouse; never off the track', (t) => {
  const dom = fakeDom();
  t.after(dom.cleanup);
  const params = { obstacle_density: 0, pickup_density: 0 };
  const ctl = client().start(dom.container, { seed: 3, params }, {});
  const tickMs = 1000 / 30;
  let k = 0;
  const next = () => { runTick(dom, ctl, k, tickMs); k += 1; runTick(dom, ctl, k, tickMs); k += 1; };
  const touch = (x0, moves, x1) => {
    dom.fire('canvastouchstart', { touches: [{ clientX: x0, clientY: 200 }], preventDefault() {} });
    moves.forEach((x) => dom.fire('canvastouchmove', { touches: [{ clientX: x, clientY: 205 }], preventDefault() {} }));
    dom.fire('canvastouchend', { changedTouches: [{ clientX: x1, clientY: 205 }], preventDefault() {} });
    next();
  };
  dom.frame(0);
  touch(200, [210, 260, 320], 340);  // swipe right, steered once while moving
  touch(300, [], 300);  // tap on the right half: already in the right lane, dropped
  touch(100, [], 104);  // tap on the left half
  touch(200, [], 120);  // a swipe left seen only at the end
  dom.fire('canvasmousedown', { clientX: 20, clientY: 100 });  // left lane already: dropped
  next();
  dom.fire('canvasmousedown', { clientX: 340, clientY: 100 });
  next();
  assert.deepEqual(ctl.state().moves, [{ k: 0, a: 'R' }, { k: 4, a: 'L' }, { k: 6, a: 'L' },
                                       { k: 10, a: 'R' }]);
  assert.equal(ctl.state().lane, 1);
  ctl.destroy();
  ctl.destroy();
  assert.equal(ctl.steer('L'), false);
  assert.equal((dom.listeners.canvastouchstart || []).length, 0);
});

test('client ignores key repeats and form typing; a hidden tab pauses the race', (t) => {
  const dom = fakeDom();
  t.after(dom.cleanup);
  const ctl = client().start(dom.container, { seed: 3, params: {} }, {});
  dom.frame(0);
  dom.fire('dockeydown', { key: 'ArrowLeft', repeat: true, preventDefault() {} });
  dom.fire('dockeydown', { key: 'a', target: { tagName: 'INPUT' }, preventDefault() {} });
  dom.frame(60000);  // a minute away: at most 100 ms of race
  assert.equal(ctl.state().moves.length, 0);
  assert.ok([2, 3].includes(ctl.state().ticks));
  ctl.destroy();
});
