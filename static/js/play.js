/* The play page: open a session, run the game client, finish, show the live board. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('campaign-data').textContent);
  var slug = data.slug;
  var $ = function (id) { return document.getElementById(id); };
  var session = null, ctl = null, period = (data.boards && data.boards[0]) || 'all';
  var myId = data.player ? data.player.id : null, socket = null, finishing = false;
  var liveBoards = 0;  // live boards received: an API answer asked before one is stale
  var liveVersion = {};  // newest version seen per period: pushes from two processes may cross

  function toast(text) {
    var el = $('toast');
    el.textContent = text; el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 2600);
  }

  function api(path, body) {
    var opts = { credentials: 'same-origin', headers: { 'Content-Type': 'application/json' } };
    if (body !== undefined) { opts.method = 'POST'; opts.body = JSON.stringify(body); }
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) {
        if (!r.ok) {
          var err = new Error((json.error && json.error.message) || '网络开小差了，请重试');
          err.status = r.status; err.code = json.error && json.error.code;
          throw err;
        }
        return json;
      });
    });
  }

  // a spend (start, draw, claim) carries an Idempotency-Key and is retried with the same key
  // when the answer is lost: the server answers the retry with the first answer, spending once
  function newKey(kind) {
    return kind + '-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10);
  }

  function spend(path, kind) {
    var key = newKey(kind), tries = 0;
    function attempt() {
      var opts = { method: 'POST', credentials: 'same-origin', body: '{}',
                   headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key } };
      return fetch(path, opts).then(function (r) {
        if (r.status >= 500 && tries < 2) { tries++; return wait(tries).then(attempt); }
        return r.json().catch(function () { return {}; }).then(function (json) {
          if (!r.ok) {
            var err = new Error((json.error && json.error.message) || '网络开小差了，请重试');
            err.status = r.status; err.code = json.error && json.error.code;
            throw err;
          }
          return json;
        });
      }, function (netErr) {
        if (tries < 2) { tries++; return wait(tries).then(attempt); }
        throw netErr;
      });
    }
    return attempt();
  }

  function wait(n) { return new Promise(function (ok) { setTimeout(ok, 400 * n); }); }

  function showPlaysLeft(n) {
    var el = $('plays-left');
    if (n === null || n === undefined) { el.hidden = true; return; }
    el.textContent = '今日剩余 ' + n + ' 次'; el.hidden = false;
  }

  function start() {
    $('start').disabled = true; $('play-again').disabled = true;
    spend('/api/v1/campaigns/' + slug + '/sessions', 'start').then(function (s) {
      session = s;
      if (ctl) { ctl.destroy(); ctl = null; }
      $('intro').hidden = true; $('result').hidden = true;
      $('finish-early').hidden = data.game.ends_early === false;
      var game = window.HudongGames[s.game.type];
      ctl = game.start($('game'), { seed: s.seed, params: s.game.params }, { onGameOver: finish });
      if (data.plays_left !== null && data.plays_left !== undefined) showPlaysLeft(--data.plays_left);
    }).catch(function (err) {
      toast(err.message);
      $('start').disabled = false; $('play-again').disabled = false;
    });
  }

  function finish(result) {
    if (!session || finishing) return;
    finishing = true; $('finish-early').hidden = true;
    api('/api/v1/sessions/' + session.session_id + '/finish',
        { token: session.token, moves: result.moves, client_score: result.score })
      .then(function (res) { showResult(res); document.dispatchEvent(new CustomEvent('hudong:finished')); })
      .catch(function (err) { toast(err.message); showResult(null); })
      .then(function () { finishing = false; session = null; });
  }

  function showResult(res) {
    $('result-score').textContent = res ? res.score : '-';
    $('result-best').textContent = res && res.best !== null ? res.best : '-';
    $('result-rank').textContent = res && res.rank ? '第 ' + res.rank + ' 名' : '-';
    var list = $('result-rewards'); list.textContent = '';
    ((res && res.rewards) || []).forEach(function (r) {
      var li = document.createElement('li'); li.textContent = '🎁 ' + (r.title || r.name || '奖励');
      list.appendChild(li);
    });
    $('result').hidden = false; $('play-again').disabled = false;
    loadBoard();
  }

  function renderBoard(board) {
    if (!board || board.period !== period) return;
    var ol = $('leaderboard'); ol.textContent = '';
    board.entries.forEach(function (e) {
      var li = document.createElement('li');
      li.dataset.playerId = e.player.id;
      if (e.player.id === myId) li.className = 'mine';
      var rank = document.createElement('span'); rank.className = 'rank'; rank.textContent = e.rank;
      var img = document.createElement('img'); img.alt = ''; if (e.player.avatar) img.src = e.player.avatar;
      var name = document.createElement('span'); name.className = 'name'; name.textContent = e.player.nickname;
      var score = document.createElement('span'); score.className = 'score'; score.textContent = e.score;
      li.append(rank, img, name, score); ol.appendChild(li);
    });
    ol.dataset.version = board.version || 0;
  }

  function renderMe(me) {
    $('my-rank').textContent = me && me.rank ? '我的排名：第 ' + me.rank + ' 名 · ' + me.score + ' 分' : '还没有成绩，快来挑战吧';
  }

  function loadBoard() {
    var seen = liveBoards;
    api('/api/v1/campaigns/' + slug + '/leaderboard?limit=20&period=' + period).then(function (b) {
      if (liveBoards === seen) renderBoard(b);
      renderMe(b.me);
    }).catch(function () {});
  }

  function renderLiveBoard(board) {
    if (!board || board.period !== period || board.version < (liveVersion[period] || 0)) return;
    liveVersion[period] = board.version;
    liveBoards++;
    renderBoard(board);
    $('leaderboard').dataset.live = 'on';
  }

  function connectLive() {
    if (!window.io) return;
    socket = window.io('/live', { transports: ['polling', 'websocket'] });
    socket.on('connect', function () {
      liveVersion = {};  // a new connection starts from the server's current version
      socket.emit('join', { campaign: slug, period: period });
    });
    socket.on('leaderboard', renderLiveBoard);
    socket.on('disconnect', function () { $('leaderboard').dataset.live = 'off'; });
    socket.on('my_rank', function (m) { if (m.period === period) renderMe(m); });
  }

  document.querySelectorAll('#periods button').forEach(function (btn) {
    btn.addEventListener('click', function () {
      period = btn.dataset.period;
      document.querySelectorAll('#periods button').forEach(function (b) { b.classList.toggle('on', b === btn); });
      loadBoard();
      if (socket && socket.connected) socket.emit('join', { campaign: slug, period: period });
    });
  });
  function drawOnce() {
    var btn = $('draw'); btn.disabled = true;
    spend('/api/v1/campaigns/' + slug + '/draws', 'draw').then(function (res) {
      $('draws-left').textContent = res.draws_left;
      $('draw-result').textContent = res.prize ? '🎉 抽中：' + res.prize.name : '谢谢参与，下次好运！';
    }).catch(function (err) { toast(err.message); }).then(function () { btn.disabled = false; });
  }

  function claim(btn) {
    btn.disabled = true;
    spend('/api/v1/campaigns/' + slug + '/coupon-batches/' + btn.dataset.claim + '/claim', 'claim')
      .then(function (c) { btn.textContent = '已领取'; toast('领取成功：' + c.title); })
      .catch(function (err) { toast(err.message); btn.disabled = false; });
  }

  if ($('draw')) $('draw').addEventListener('click', drawOnce);
  document.querySelectorAll('[data-claim]').forEach(function (btn) {
    btn.addEventListener('click', function () { claim(btn); });
  });
  // a server-authoritative game (nurture) has no sessions and no board: its client drives its API
  if (data.game && data.game.replayed === false) {
    $('intro').hidden = true;
    document.querySelector('.board').hidden = true;
    ctl = window.HudongGames[data.game.type].start($('game'), { slug: slug, view: data, api: api },
                                                    { toast: toast });
    return;
  }
  $('start').addEventListener('click', start);
  $('play-again').addEventListener('click', start);
  $('finish-early').addEventListener('click', function () { if (ctl) finish(ctl.state()); });
  showPlaysLeft(data.plays_left);
  loadBoard();
  connectLive();
})();
