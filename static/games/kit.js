/* The pieces every game client shares: the module wrapper, canvas fitting,
 * rounded rectangles, swipe / tap / key input, sprites, tweens and sound.
 * Browser: window.HudongKit (load it first); node: require('../kit.js').
 *   HudongKit.define(module, 'HudongGames.x', ['x/rules.js:HudongGames.xRules'], factory)
 * Dependencies are 'path from static/games:global.name'; node requires the path,
 * the browser reads the global; the result is exported both ways. */
(function (root, factory) {
  var kit = factory(root);
  if (typeof module !== 'undefined' && module.exports) module.exports = kit;
  if (root) root.HudongKit = kit;
})(typeof window !== 'undefined' ? window : null, function (root) {
  'use strict';

  function lookup(name) {
    return name.split('.').reduce(function (o, k) { return o && o[k]; }, root);
  }

  function assign(name, value) {
    var parts = name.split('.'), o = root;
    parts.slice(0, -1).forEach(function (k) { o = o[k] = o[k] || {}; });
    o[parts[parts.length - 1]] = value;
  }

  /* Build a module from its dependencies; export it to node's module and the window. */
  function define(mod, name, deps, factory) {
    var node = !!(mod && typeof require === 'function');
    var args = deps.map(function (dep) {
      var i = dep.indexOf(':');
      return node ? require('./' + dep.slice(0, i)) : lookup(dep.slice(i + 1));
    });
    var api = factory.apply(null, args);
    if (mod) mod.exports = api;
    if (root) assign(name, api);
    return api;
  }

  function now() { return performance.now(); }

  function roundRect(ctx, x, y, w, h, r) {
    ctx.beginPath();
    ctx.moveTo(x + r, y);
    ctx.arcTo(x + w, y, x + w, y + h, r);
    ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r);
    ctx.arcTo(x, y, x + w, y, r);
    ctx.closePath();
  }

  /* Append the game canvas to container; return {canvas, ctx, fit(w, h) -> dpr, remove()}. */
  function makeCanvas(container) {
    var canvas = document.createElement('canvas');
    canvas.id = 'game-canvas';
    canvas.style.display = 'block';
    canvas.style.touchAction = 'none';
    container.appendChild(canvas);
    return {
      canvas: canvas,
      // opaque: every game paints its whole canvas, so the compositor need not blend it
      ctx: canvas.getContext('2d', { alpha: false }),
      fit: function (w, h) {
        var dpr = Math.min(3, window.devicePixelRatio || 1);
        canvas.style.width = w + 'px';
        canvas.style.height = h + 'px';
        canvas.width = Math.round(w * dpr);
        canvas.height = Math.round(h * dpr);
        return dpr;
      },
      remove: function () { if (canvas.parentNode) canvas.parentNode.removeChild(canvas); }
    };
  }

  /* Listen for swipes and taps on canvas (touch and mouse).
   * on.swipe(dir) gets 'U' 'D' 'L' 'R' once a drag passes on.min() pixels
   * (on.early: as soon as it does, else when the finger lifts); on.tap(side)
   * gets 'L' or 'R' for a touch that did not swipe. Return the unbinder. */
  function bindPointer(canvas, on) {
    var down = null, active = { passive: false };
    function dir(x, y) {
      var dx = x - down.x, dy = y - down.y, min = on.min ? on.min() : 24;
      if (Math.max(Math.abs(dx), Math.abs(dy)) < min) return null;
      if (on.horizontal && Math.abs(dx) < Math.abs(dy)) return null;
      if (Math.abs(dx) > Math.abs(dy)) return dx > 0 ? 'R' : 'L';
      return dy > 0 ? 'D' : 'U';
    }
    function side(x) {
      var rect = canvas.getBoundingClientRect();
      return x - rect.left < rect.width / 2 ? 'L' : 'R';
    }
    function begin(x, y) { down = { x: x, y: y, swiped: false }; }
    function moveTo(x, y) {
      if (!down || down.swiped || !on.early) return;
      var d = dir(x, y);
      if (d) { down.swiped = true; on.swipe(d); }
    }
    function end(x, y) {
      if (!down) return;
      var d = down.swiped ? null : dir(x, y);
      if (d) on.swipe(d);
      else if (!down.swiped && on.tap) on.tap(side(down.x));
      down = null;
    }
    function onTouchStart(e) { e.preventDefault(); var p = e.touches[0]; if (p) begin(p.clientX, p.clientY); }
    function onTouchMove(e) { e.preventDefault(); var p = e.touches[0]; if (p) moveTo(p.clientX, p.clientY); }
    function onTouchEnd(e) { e.preventDefault(); var p = e.changedTouches[0]; if (p) end(p.clientX, p.clientY); }
    function onMouseDown(e) {
      if (on.mouseTap) on.tap(side(e.clientX));  // a click steers at once
      else begin(e.clientX, e.clientY);
    }
    function onMouseUp(e) { end(e.clientX, e.clientY); }
    var touch = [['touchstart', onTouchStart], ['touchmove', onTouchMove], ['touchend', onTouchEnd]];
    touch.forEach(function (h) { canvas.addEventListener(h[0], h[1], active); });
    canvas.addEventListener('mousedown', onMouseDown);
    window.addEventListener('mouseup', onMouseUp);
    return function () {
      touch.forEach(function (h) { canvas.removeEventListener(h[0], h[1], active); });
      canvas.removeEventListener('mousedown', onMouseDown);
      window.removeEventListener('mouseup', onMouseUp);
    };
  }

  /* Call act(keys[e.key]) for mapped keys outside form fields; return the unbinder. */
  function bindKeys(keys, act) {
    function onKey(e) {
      var a = keys[e.key], el = e.target;
      if (!a || e.repeat || e.ctrlKey || e.metaKey || e.altKey) return;
      if (el && (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable)) return;
      e.preventDefault();
      act(a);
    }
    document.addEventListener('keydown', onKey);
    return function () { document.removeEventListener('keydown', onKey); };
  }

  /* Load named image URLs; call onload() as each arrives; return the name -> Image map. */
  function loadImages(urls, onload) {
    var images = {};
    Object.keys(urls || {}).forEach(function (k) {
      if (!urls[k] || typeof Image === 'undefined') return;
      var img = new Image();
      img.onload = function () { images[k] = img; if (onload) onload(k); };
      img.src = urls[k];
    });
    return images;
  }

  /* The built-in sprite sheet (static/games/sprites.svg), each <symbol> turned into
   * its own image, painted in the brand's colour (currentColor) and accent (var(--accent)).
   * sprites(['fruit-1', 'car'], onload) -> name -> Image map, filled as they load. */
  var sheet = null, waiting = [];
  function sprites(names, onload) {
    var images = {};
    var cfg = (root && root.HudongArt) || {};
    function build(text) {
      names.forEach(function (name) {
        var m = new RegExp('<symbol id="' + name + '" viewBox="([^"]+)">([\\s\\S]*?)</symbol>').exec(text);
        if (!m || typeof Image === 'undefined') return;
        var svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="' + m[1] + '" color="' +
          (cfg.brand || '#e8474c') + '">' + m[2].replace(/var\(--accent,#ffd43b\)/g, cfg.accent || '#ffd43b') + '</svg>';
        var img = new Image();
        img.onload = function () { images[name] = img; if (onload) onload(name); };
        img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
      });
    }
    if (!cfg.sheet || typeof fetch !== 'function') return images;
    if (sheet) build(sheet);
    else {
      waiting.push(build);
      if (waiting.length === 1) {
        fetch(cfg.sheet).then(function (r) { return r.text(); }).then(function (text) {
          sheet = text;
          waiting.splice(0).forEach(function (fn) { fn(text); });
        }).catch(function () { waiting = []; });
      }
    }
    return images;
  }

  /* Return img rasterised once at w x h device pixels (drawing an SVG image re-rasterises it
   * on every frame; a bitmap is a plain copy). */
  function bake(img, w, h) {
    w = Math.max(1, Math.round(w)); h = Math.max(1, Math.round(h));
    var key = w + 'x' + h, baked = img.hudongBaked || (img.hudongBaked = {});
    if (!baked[key]) {
      var c = document.createElement('canvas');
      c.width = w; c.height = h;
      c.getContext('2d').drawImage(img, 0, 0, w, h);
      baked[key] = c;
    }
    return baked[key];
  }

  /* Ease out: 0..1 -> 0..1, fast then slow. */
  function easeOut(p) { p = Math.max(0, Math.min(1, p)); return 1 - (1 - p) * (1 - p) * (1 - p); }

  /* A pop: 1 -> peak -> 1 over p in 0..1. */
  function pop(p, peak) { return 1 + (peak || 0.2) * Math.sin(Math.PI * Math.max(0, Math.min(1, p))); }

  /* A shake offset (px) that dies out over p in 0..1. */
  function shake(p, px) { return p >= 1 ? 0 : Math.sin(p * 40) * (px || 8) * (1 - p); }

  /* Short synthesised sound effects, off until the player turns them on (remembered). */
  var audio = null, KEY = 'hudong:sound';
  function soundOn() {
    try { return root && root.localStorage && root.localStorage.getItem(KEY) === 'on'; } catch (e) { return false; }
  }
  function setSound(on) {
    try { root.localStorage.setItem(KEY, on ? 'on' : 'off'); } catch (e) { /* private mode */ }
    if (on && !audio && root && (root.AudioContext || root.webkitAudioContext)) {
      audio = new (root.AudioContext || root.webkitAudioContext)();
    }
  }
  var TONES = { merge: [520, 780, 0.09], level: [660, 990, 0.22], coin: [880, 1320, 0.08],
                crash: [180, 60, 0.25], grow: [392, 587, 0.18] };
  function sound(name) {
    var t = TONES[name];
    if (!t || !soundOn() || !audio) return;
    var osc = audio.createOscillator(), gain = audio.createGain(), at = audio.currentTime;
    osc.type = name === 'crash' ? 'sawtooth' : 'triangle';
    osc.frequency.setValueAtTime(t[0], at);
    osc.frequency.exponentialRampToValueAtTime(t[1], at + t[2]);
    gain.gain.setValueAtTime(0.12, at);
    gain.gain.exponentialRampToValueAtTime(0.001, at + t[2]);
    osc.connect(gain); gain.connect(audio.destination);
    osc.start(at); osc.stop(at + t[2]);
  }

  return { define: define, now: now, roundRect: roundRect, makeCanvas: makeCanvas,
           bindPointer: bindPointer, bindKeys: bindKeys, loadImages: loadImages, sprites: sprites, bake: bake,
           easeOut: easeOut, pop: pop, shake: shake, sound: sound, soundOn: soundOn,
           setSound: setSound };
});
