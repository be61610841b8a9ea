// The JS PRNG reproduces the golden outputs the Python PRNG wrote (games/prng.py).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Prng } = require('../../static/games/prng.js');
const golden = require(path.join(__dirname, '..', 'golden', 'synthesis.json'));

for (const seed of ['0', '1', '4294967295']) {
  test(`mulberry32 first 20 outputs for seed ${seed}`, () => {
    const prng = new Prng(Number(seed));
    const expected = golden.prng[seed];
    assert.equal(expected.length, 20);
    assert.deepEqual(expected.map(() => prng.nextU32()), expected);
  });
}

test('nextInt is nextU32 modulo n', () => {
  const a = new Prng(77), b = new Prng(77);
  for (let i = 0; i < 100; i++) assert.equal(a.nextInt(7 + i), b.nextU32() % (7 + i));
});

test('outputs stay 32-bit unsigned integers over a long run', () => {
  const prng = new Prng(2 ** 32 - 1);
  for (let i = 0; i < 100000; i++) {
    const v = prng.nextU32();
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xFFFFFFFF);
  }
  assert.ok(Number.isInteger(prng.state) && prng.state <= 0xFFFFFFFF);
});

test('seeds are taken modulo 2^32 like the server', () => {
  assert.equal(new Prng(2 ** 32 + 5).nextU32(), new Prng(5).nextU32());
  assert.throws(() => new Prng(1).nextInt(0), RangeError);
});
