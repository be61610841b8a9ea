/* The console's preview frame: run the game's own client, score test rounds on the server
 * (replayed, never stored), or drive a server-authoritative game's preview state. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('preview-data').textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var base = '/admin/campaigns/' + data.campaign_id + '/preview';
  var $ = function (id) { return document.getElementById(id); };
  var ctl = null, seed = 0, busy = false, state = null;
  var root = document.documentElement.style;
  root.setProperty('--brand', data.branding.primary_color);
  root.setProperty('--bg', data.branding.background);
  document.body.style.color = data.branding.text_color;

  function toast(text) {
    var el = $('toast');
    el.textContent = text; el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 2600);
  }

  function call(path, body) {
    var opts = { credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
    if (body !== undefined) {
      opts.method = 'POST'; opts.body = JSON.stringify(body);
      opts.headers['Content-Type'] = 'application/json'; opts.headers['X-CSRF-Token'] = csrf;
    }
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) {
        if (!r.ok) {
          var err = new Error((json.error && json.error.message) || '网络开小差了，请重试');
          err.code = json.error && json.error.code;
          throw err;
        }
        return json;
      });
    });
  }

  function start() {
    if (ctl) { ctl.destroy(); ctl = null; }
    seed = Math.floor(Math.random() * 2147483647);
    $('intro').hidden = true; $('result').hidden = true;
    if ($('finish-early')) $('finish-early').hidden = false;
    ctl = window.HudongGames[data.type].start($('game'), { seed: seed, params: data.params },
                                              { onGameOver: finish });
  }

  function finish(result) {
    if (busy) return;
    busy = true;
    if ($('finish-early')) $('finish-early').hidden = true;
    call(base + '/replay', { seed: seed, moves: result.moves }).then(function (res) {
      $('result-score').textContent = res.score;
      document.body.dataset.previewScore = res.score;
    }).catch(function (err) {
      $('result-score').textContent = '-'; toast(err.message);
    }).then(function () { $('result').hidden = false; busy = false; });
  }

  // the nurture client calls its API through this function: here, the preview's own endpoints
  function stateApi(path, body) {
    if (body === undefined) {
      return call(base + '/garden').then(function (res) { state = res.state; return res; });
    }
    return call(base + '/garden', { state: state, action: body.action }).then(function (res) {
      state = res.state; return res;
    });
  }

  if (!data.replayed) {
    var view = { live: true };  // a preview is always playable
    ctl = window.HudongGames[data.type].start($('game'), { slug: data.slug, view: view, api: stateApi },
                                              { toast: toast });
    return;
  }
  $('start').addEventListener('click', start);
  $('play-again').addEventListener('click', start);
  if ($('finish-early')) {
    $('finish-early').addEventListener('click', function () { if (ctl) finish(ctl.state()); });
  }
})();
