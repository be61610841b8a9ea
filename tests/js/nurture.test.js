// The nurture client loads in node (UMD) and formats the server's seconds as timers.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const N = require('../../static/games/nurture/client.js');

test('exports start and clock', () => {
  assert.equal(typeof N.start, 'function');
});

test('clock formats seconds left as m:ss or h:mm:ss', () => {
  assert.equal(N.clock(0), '0:00');
  assert.equal(N.clock(59), '0:59');
  assert.equal(N.clock(600), '10:00');
  assert.equal(N.clock(14400), '4:00:00');
  assert.equal(N.clock(3661), '1:01:01');
});
