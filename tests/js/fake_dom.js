// Just enough fake DOM to run a game client's start() under node: a canvas, a
// container, document/window listeners, and animation frames driven by hand.
'use strict';

function fakeDom() {
  const listeners = {};
  const on = (target) => (type, fn) => { (listeners[target + type] = listeners[target + type] || []).push(fn); };
  const off = (target) => (type, fn) => {
    listeners[target + type] = (listeners[target + type] || []).filter((f) => f !== fn);
  };
  const ctx = new Proxy({ measureText: (s) => ({ width: s.length * 10 }) }, {
    get: (o, k) => (k in o ? o[k] : () => {}), set: (o, k, v) => { o[k] = v; return true; },
  });
  const canvas = {
    style: {}, getContext: () => ctx, addEventListener: on('canvas'), removeEventListener: off('canvas'),
    getBoundingClientRect: () => ({ left: 0, top: 0, width: 360, height: 480 }), parentNode: null,
  };
  const container = {
    clientWidth: 360, clientHeight: 480, children: [],
    appendChild(el) { this.children.push(el); el.parentNode = this; },
    removeChild(el) { this.children = this.children.filter((c) => c !== el); el.parentNode = null; },
  };
  let frames = new Map();
  let nextId = 1;
  global.document = { createElement: () => canvas, addEventListener: on('doc'), removeEventListener: off('doc') };
  global.window = { devicePixelRatio: 2, addEventListener: on('win'), removeEventListener: off('win') };
  global.Image = function () {};
  global.requestAnimationFrame = (fn) => { frames.set(nextId, fn); return nextId++; };
  global.cancelAnimationFrame = (id) => { frames.delete(id); };
  const realNow = performance.now;
  let now = 1000;
  performance.now = () => now;
  const frame = (ms) => {
    now += ms;
    const due = [...frames.values()];
    frames = new Map();
    due.forEach((fn) => fn(now));
    return due.length;
  };
  const fire = (key, ev) => (listeners[key] || []).slice().forEach((fn) => fn(ev));
  const cleanup = () => {
    performance.now = realNow;
    for (const k of ['document', 'window', 'Image', 'requestAnimationFrame', 'cancelAnimationFrame']) delete global[k];
  };
  return { canvas, container, fire, frame, listeners, cleanup, pending: () => frames.size };
}

module.exports = { fakeDom };
