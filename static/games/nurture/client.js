/* The nurture (养成) client: the plant, its energy, streak and care buttons.
 * The server is the authority: every tap is one call to the garden API with an
 * idempotency key (a retried tap is answered again, never applied twice), and
 * every timer counts down from the seconds the server sent.
 *   var ctl = HudongGames.nurture.start(el, {slug, view, api}, {toast: fn, onState: fn(garden)});
 *   ctl.state() -> the last garden view; ctl.refresh(); ctl.destroy();
 */
(typeof HudongKit !== 'undefined' ? HudongKit : require('../kit.js')).define(
  typeof module !== 'undefined' ? module : null, 'HudongGames.nurture', [], function () {
  'use strict';

    var CSS = [
    '.stage.stage-nurture{aspect-ratio:auto;overflow:visible}',
    '.stage-nurture .game{position:static;touch-action:auto}',
    '.nt{padding:12px 14px 14px;text-align:center}',
    '.nt-head{display:flex;justify-content:space-between;align-items:center;font-size:.94rem}',
    '.nt-theme{font-weight:600}',
    '.nt-streak{color:#b5400d}',
    '.nt-plant{height:190px;display:flex;align-items:flex-end;justify-content:center}',
    '.nt-art{position:relative;width:180px;height:180px;transform-origin:50% 95%}',
    '.nt-art img{position:absolute;inset:0;width:100%;height:100%}',
    '.nt-plant>img{height:180px;max-width:100%;transform-origin:50% 95%}',
    '.nt-plant.grow .nt-art,.nt-plant.grow>img{animation:nt-grow .9s ease-out}',
    '@keyframes nt-grow{0%{transform:scale(.7)}55%{transform:scale(1.12)}100%{transform:scale(1)}}',
    '.nt-stage{margin:6px 0 2px;font-size:1rem}',
    '.nt-bar{height:8px;border-radius:4px;background:#eee;overflow:hidden;margin:4px 0}',
    '.nt-bar i{display:block;height:100%;background:var(--brand,#d14044);transition:width .4s}',
    '.nt-bar.energy i{background:#2f9e44}',
    '.nt-next,.nt-small{font-size:.875rem;color:#555;margin:2px 0}',
    '.nt-energy{display:flex;align-items:center;gap:8px;font-size:.875rem;margin-top:8px}',
    '.nt-energy .nt-bar{flex:1}',
    '.nt-actions{display:grid;grid-template-columns:repeat(3,1fr);gap:8px;margin-top:10px}',
    '.nt-actions button{border:0;border-radius:12px;padding:8px 4px;min-height:44px;background:var(--brand,#d14044);',
    'color:#fff;font-size:1rem;display:flex;flex-direction:column;align-items:center;gap:2px}',
    '.nt-actions button:disabled{background:#737373}',
    '.nt-meta,.nt-timer{font-size:.875rem}',
    '.nt-gain{color:#1e7b34;font-weight:700;min-height:1.4em;margin:0}',
    '.nt-reward{margin-top:10px;background:#fff4e6;border-radius:10px;padding:8px;font-size:.875rem}',
    '.nt-reward b{color:#222}',
    '.nt-share{margin-top:8px;font-size:.875rem;color:#555}',
    '.nt-share button{border:1px solid var(--link,#c03b3f);color:var(--link,#c03b3f);',
    'background:#fff;border-radius:14px;padding:3px 12px;margin-left:6px}'
  ].join('');

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function injectStyle() {
    if (document.getElementById('nurture-style')) return;
    var style = el('style');
    style.id = 'nurture-style';
    style.textContent = CSS;
    document.head.appendChild(style);
  }

  /* Draw the plant of stage i of n from the sprite sheet: the pot, then one of six plant stages. */
  function drawPlant(i, n) {
    var k = n > 1 ? Math.round(5 * i / (n - 1)) : 5, names = ['pot', 'plant-' + k];
    var box = el('div', 'nt-art');
    var layers = names.map(function (name) { var img = el('img'); img.alt = ''; box.appendChild(img); return img; });
    var art = HudongKit.sprites(names, function (name) { layers[names.indexOf(name)].src = art[name].src; });
    names.forEach(function (name, j) { if (art[name]) layers[j].src = art[name].src; });
    box.setAttribute('role', 'img');
    return box;
  }

  function clock(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), sec = seconds % 60;
    var two = function (v) { return (v < 10 ? '0' : '') + v; };
    return (h ? h + ':' + two(m) : m) + ':' + two(sec);
  }

  function newKey() {
    return 'k' + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  function start(container, opts, hooks) {
    hooks = hooks || {};
    var toast = hooks.toast || function () {};
    var slug = opts.slug, call = opts.api, view = opts.view || {};
    var base = '/api/v1/campaigns/' + slug + '/garden';
    var garden = null, prizes = [], received = 0, busy = false, timer = null, destroyed = false;
    injectStyle();
    if (container.parentNode && container.parentNode.classList) {
      container.parentNode.classList.add('stage-nurture');
    }

    var box = el('div', 'nt');
    box.id = 'garden';
    var head = el('div', 'nt-head'), theme = el('span', 'nt-theme'), streak = el('span', 'nt-streak');
    streak.id = 'nt-streak';
    head.append(theme, streak);
    var plant = el('div', 'nt-plant');
    var stageLine = el('p', 'nt-stage'), stageName = el('b'), growth = el('span');
    stageName.id = 'nt-stage-name'; growth.id = 'nt-growth';
    var goal = el('span');
    stageLine.append(stageName, ' · 成长值 ', growth, ' / ', goal);
    var bar = el('div', 'nt-bar'), fill = el('i');
    bar.appendChild(fill);
    var next = el('p', 'nt-next'), gain = el('p', 'nt-gain');
    next.id = 'nt-next'; gain.id = 'nt-gain';
    var energy = el('div', 'nt-energy'), energyText = el('span'), ebar = el('div', 'nt-bar energy');
    var efill = el('i');
    energyText.id = 'nt-energy';
    ebar.appendChild(efill);
    energy.append(energyText, ebar);
    var refill = el('p', 'nt-small', '体力每天 0 点恢复满');
    var actions = el('div', 'nt-actions'), reward = el('div', 'nt-reward');
    reward.id = 'nt-reward';
    var share = el('div', 'nt-share');
    box.append(head, plant, stageLine, bar, next, gain, energy, refill, actions, reward, share);
    container.appendChild(box);

    function renderPlant() {
      var stage = garden.stages[garden.stage] || {};
      plant.dataset.stage = garden.stage;
      if (plant.dataset.drawn === String(garden.stage)) return;
      var grew = plant.dataset.drawn !== undefined;
      plant.dataset.drawn = garden.stage;
      plant.textContent = '';
      if (stage.image) {
        var img = el('img');
        img.alt = stage.name; img.src = stage.image;
        plant.appendChild(img);
      } else {
        plant.appendChild(drawPlant(garden.stage, garden.stages.length));
      }
      if (grew) {
        plant.classList.add('grow');
        setTimeout(function () { plant.classList.remove('grow'); }, 900);
        HudongKit.sound('grow');
        toast('长大啦：' + stage.name);
      }
    }

    function renderActions() {
      actions.textContent = '';
      garden.actions.forEach(function (a) {
        var btn = el('button');
        btn.type = 'button';
        btn.dataset.action = a.key;
        var t = el('span', 'nt-timer');
        btn.append(el('span', 'nt-name', a.name), el('span', 'nt-meta', '+' + a.growth + ' 成长'));
        if (a.energy) btn.appendChild(el('span', 'nt-meta', '耗体力 ' + a.energy));
        btn.appendChild(t);
        btn.addEventListener('click', function () { perform(a.key); });
        actions.appendChild(btn);
      });
      tick();
    }

    /* Update every button's timer from the seconds the server sent and the time since. */
    function tick() {
      if (!garden) return;
      var gone = Math.floor((Date.now() - received) / 1000);
      garden.actions.forEach(function (a, i) {
        var btn = actions.children[i];
        if (!btn) return;
        var left = Math.max(0, a.ready_in - gone), t = btn.querySelector('.nt-timer');
        var blocked = garden.matured ? 'matured' : (left > 0 ? a.blocked : null);
        btn.disabled = busy || !!blocked || !view.live;
        btn.dataset.blocked = blocked || '';
        t.textContent = blocked === 'cooldown' ? clock(left) + ' 后可用'
          : blocked === 'daily_limit' ? '今日已达上限'
          : blocked === 'no_energy' ? '体力不足'
          : blocked === 'matured' ? '已成熟'
          : '今日 ' + a.used_today + '/' + a.daily_limit;
      });
    }

    function renderReward() {
      reward.textContent = '';
      if (!prizes.length) { reward.hidden = true; return; }
      reward.hidden = false;
      prizes.forEach(function (p) {
        var line = el('p', 'nt-small');
        if (p.won) {
          line.append('已获得 ', el('b', '', p.title + ' ' + (p.value_text || '')),
                      ' · 券码 ' + p.won.code);
        } else {
          line.append('' + garden.stages[garden.stages.length - 1].name + '后可得 ',
                      el('b', '', p.title + ' ' + (p.value_text || '')));
        }
        reward.appendChild(line);
      });
    }

    function renderShare() {
      // no copy here ties growth to friends: a sharer reward is never advertised (WeChat's
      // rules on inducing shares); the page's own share button (static/js/share.js) shares
      share.textContent = '';
    }

    function render(g) {
      garden = g; received = Date.now();
      theme.textContent = g.theme;
      streak.textContent = g.streak ? '连续打卡 ' + g.streak + ' 天' : '今天还没打卡';
      stageName.textContent = g.stage_name;
      growth.textContent = g.growth;
      goal.textContent = g.goal;
      var from = g.stages[g.stage].threshold, to = g.next_stage ? g.next_stage.threshold : g.goal;
      fill.style.width = (to > from ? Math.min(100, 100 * (g.growth - from) / (to - from)) : 100) + '%';
      next.textContent = g.matured ? '已经成熟啦！'
        : '再长 ' + g.next_stage.needed + ' 成长值进入「' + g.next_stage.name + '」' +
          (g.streak_bonus ? ' · 连续打卡每天额外 +' + g.streak_bonus : '');
      energyText.textContent = '体力 ' + g.energy + '/' + g.energy_max;
      efill.style.width = (100 * g.energy / g.energy_max) + '%';
      renderPlant();
      if (actions.children.length !== g.actions.length) renderActions(); else tick();
      renderReward();
      renderShare();
      if (hooks.onState) hooks.onState(g);
    }

    function load() {
      return call(base).then(function (res) {
        prizes = res.maturity_rewards || [];
        render(res.garden);
      }).catch(function (err) { toast(err.message); });
    }

    function send(key, body, retried) {
      return call(base + '/actions', body).catch(function (err) {
        if (err.status || retried) throw err;  // no answer at all: the same key, once more
        return send(key, body, true);
      });
    }

    function perform(action) {
      if (busy || destroyed) return;
      busy = true; tick();
      var key = newKey();
      send(key, { action: action, idempotency_key: key }).then(function (res) {
        gain.textContent = res.gained ? '+' + res.gained + ' 成长值' : '';
        if (res.matured) {
          toast('成熟啦！' + (res.rewards.length ? '奖励已发放' : ''));
          return load().then(function () { busy = false; tick(); });
        }
        busy = false;
        render(res.garden);
      }).catch(function (err) {
        busy = false;
        toast(err.message);
        return load();
      });
    }

    load();
    timer = setInterval(tick, 1000);

    return {
      state: function () { return garden; },
      refresh: load,
      destroy: function () {
        destroyed = true;
        clearInterval(timer);
        if (box.parentNode) box.parentNode.removeChild(box);
      }
    };
  }

  return { start: start, clock: clock };
});
