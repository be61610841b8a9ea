// The JS synthesis rules reproduce every golden vector the Python rules wrote,
// and the canvas client records a replayable log (with a tiny fake DOM).
'use strict';
const test = require('node:test');
const { fakeDom } = require('./fake_dom.js');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Prng } = require('../../static/games/prng.js');
const R = require('../../static/games/synthesis/rules.js');
const golden = require(path.join(__dirname, '..', 'golden', 'synthesis.json'));

for (const c of golden.cases) {
  test(`golden ${c.name}: every board and score`, () => {
    const prng = new Prng(c.seed);
    let state = R.initialState(prng, c.params);
    assert.deepEqual(state.board, c.start);
    c.moves.forEach((m, i) => {
      state = R.step(state, m.d, prng, c.params);
      assert.ok(state, `move ${i} refused`);
      assert.deepEqual(state.board, c.boards[i], `board after move ${i}`);
      assert.equal(state.score, c.scores[i], `score after move ${i}`);
    });
    assert.equal(state.score, c.score);
    assert.equal(state.over, c.over);
    if (c.over) {
      for (const d of R.DIRECTIONS) assert.equal(R.step(state, d, prng, c.params), null);
    }
  });
}

test('defaults match the server schema defaults', () => {
  const dflt = golden.cases.find((c) => c.name === 'default_4x4_to_over').params;
  assert.deepEqual(R.withDefaults({}), dflt);
  assert.deepEqual(R.withDefaults(dflt), dflt);
});

test('slideLine merges once per tile, from the front, never at the max level', () => {
  const pts = [2, 4, 8, 16, 32];
  assert.deepEqual(R.slideLine([1, 1, 1, 1], pts).line, [2, 2, 0, 0]);
  assert.deepEqual(R.slideLine([1, 1, 2, 0], pts).line, [2, 2, 0, 0]);
  assert.deepEqual(R.slideLine([1, 1, 1, 0], pts).line, [2, 1, 0, 0]);
  assert.deepEqual(R.slideLine([5, 5, 0, 0], pts), { line: [5, 5, 0, 0], gained: 0, src: [[0], [1]] });
  assert.equal(R.slideLine([4, 4, 5, 5], pts).gained, 32);
});

test('applyMove traces every tile to its destination', () => {
  const res = R.applyMove([[1, 0, 1], [0, 2, 0], [0, 0, 0]], 'R', [2, 4, 8]);
  assert.deepEqual(res.board, [[0, 0, 2], [0, 0, 2], [0, 0, 0]]);
  assert.equal(res.gained, 4);
  assert.ok(res.moved);
  assert.deepEqual(res.trace.map((t) => [t.from, t.to, t.level, t.merged]), [
    [[0, 2], [0, 2], 1, true], [[0, 0], [0, 2], 1, true], [[1, 1], [1, 2], 2, false],
  ]);
  assert.equal(R.applyMove([[0, 0, 1], [0, 0, 0], [0, 0, 0]], 'R', [2, 4, 8]).moved, false);
});

// --- client, on the fake DOM of ./fake_dom.js ---

function fakeClock() {
  const realNow = performance.now;
  let now = 1000;
  performance.now = () => now;
  return { advance: (ms) => { now += ms; }, restore: () => { performance.now = realNow; } };
}

const client = () => require('../../static/games/synthesis/client.js');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const KEYS = { U: 'ArrowUp', D: 'ArrowDown', L: 'ArrowLeft', R: 'ArrowRight' };

test('client plays, skips too fast moves, and reports game over once', async (t) => {
  const dom = fakeDom();
  const clock = fakeClock();
  t.after(() => { clock.restore(); dom.cleanup(); });
  const c = golden.cases.find((x) => x.name === 'tiny_3x3_to_over');
  const results = [];
  const ctl = client().start(dom.container, { seed: c.seed, params: c.params },
    { onGameOver: (r) => results.push(r) });
  assert.equal(dom.canvas.id, 'game-canvas');
  assert.equal(dom.canvas.width, 720);  // 360 CSS px at devicePixelRatio 2
  assert.equal(dom.canvas.style.width, '360px');
  assert.deepEqual(ctl.state().board, c.start);
  const key = (k) => dom.fire('dockeydown', { key: k, preventDefault() {} });
  c.moves.forEach((m, i) => {
    clock.advance(10);
    if (i > 0) key(KEYS[m.d]);  // too soon after the previous move: ignored
    assert.equal(ctl.state().moves.length, i);
    clock.advance(c.params.min_move_interval_ms);
    key(KEYS[m.d]);
    assert.deepEqual(ctl.state().board, c.boards[i]);
  });
  const st = ctl.state();
  assert.equal(st.score, c.score);
  assert.equal(st.over, true);
  assert.deepEqual(st.moves.map((m) => m.d), c.moves.map((m) => m.d));
  st.moves.slice(1).forEach((m, i) => {
    assert.ok(m.t - st.moves[i].t >= c.params.min_move_interval_ms);
  });
  assert.equal(results.length, 0);  // reported after the last animation
  await sleep(500);
  clock.advance(1000);
  key('w');
  assert.equal(ctl.move('L'), false);
  assert.deepEqual(results, [{ moves: st.moves, score: c.score }]);
  ctl.destroy();
  assert.equal(dom.container.children.length, 0);
  assert.equal((dom.listeners.dockeydown || []).length, 0);
  assert.equal((dom.listeners.winmouseup || []).length, 0);
});

test('client swipes: short ones are ignored, no-ops are not recorded', (t) => {
  const dom = fakeDom();
  const clock = fakeClock();
  t.after(() => { clock.restore(); dom.cleanup(); });
  const ctl = client().start(dom.container, { seed: 1, params: {} }, {});
  const touch = (x0, y0, x1, y1) => {
    dom.fire('canvastouchstart', { touches: [{ clientX: x0, clientY: y0 }], preventDefault() {} });
    dom.fire('canvastouchend', { changedTouches: [{ clientX: x1, clientY: y1 }], preventDefault() {} });
    clock.advance(100);
  };
  clock.advance(100);
  touch(100, 100, 105, 95);   // too short
  touch(100, 300, 110, 100);  // up: seed 1 starts on the top row, nothing moves
  assert.equal(ctl.state().moves.length, 0);
  touch(300, 100, 100, 110);  // left
  assert.deepEqual(ctl.state().moves, [{ d: 'L', t: 300 }]);
  dom.fire('canvasmousedown', { clientX: 100, clientY: 100 });
  dom.fire('winmouseup', { clientX: 100, clientY: 300 });  // drag down
  assert.deepEqual(ctl.state().moves.map((m) => m.d), ['L', 'D']);
  ctl.destroy();
  ctl.destroy();
});

test('client plays a long game by WASD; form typing and destroy stop input', (t) => {
  const dom = fakeDom();
  const clock = fakeClock();
  t.after(() => { clock.restore(); dom.cleanup(); });
  const c = golden.cases.find((x) => x.name === 'gems_5x6_max_level_no_merge');
  const ctl = client().start(dom.container, { seed: c.seed, params: c.params }, {});
  const wasd = { U: 'w', D: 's', L: 'a', R: 'd' };
  c.moves.forEach((m) => {
    clock.advance(61);
    dom.fire('dockeydown', { key: wasd[m.d], target: { tagName: 'CANVAS' }, preventDefault() {} });
  });
  assert.equal(ctl.state().score, c.score);
  assert.equal(ctl.state().over, c.over);
  clock.advance(100);
  dom.fire('dockeydown', { key: 'a', target: { tagName: 'INPUT' }, preventDefault() {} });
  assert.equal(ctl.state().moves.length, c.moves.length);  // typing in a form is not a move
  ctl.destroy();
  assert.equal(ctl.move('L'), false);
});
