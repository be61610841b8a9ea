/* The seeded PRNG shared by every replayed game and the server (games/prng.py).
 * mulberry32 on 32-bit unsigned integers; golden vectors prove both sides agree.
 * Browser: window.HudongPrng.Prng; node: require('./prng.js').Prng. */
(typeof HudongKit !== 'undefined' ? HudongKit : require('./kit.js')).define(
  typeof module !== 'undefined' ? module : null, 'HudongPrng', [], function () {
  'use strict';

  function Prng(seed) {
    this.state = seed >>> 0;
  }

  /* Advance the generator and return an integer in [0, 2^32). */
  Prng.prototype.nextU32 = function () {
    this.state = (this.state + 0x6D2B79F5) >>> 0;
    var t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };

  /* Return an integer in [0, n) (nextU32() % n). */
  Prng.prototype.nextInt = function (n) {
    if (!(n > 0)) throw new RangeError('n must be positive');
    return this.nextU32() % n;
  };

  return { Prng: Prng };
});
