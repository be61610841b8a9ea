/* The play page: landing, a game whose move log is kept on the phone, a finish
 * that is never lost (retried with backoff, submitted after a reload), the
 * result, the live board, draws and claims. Every message a player sees is Chinese. */
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var data = JSON.parse($('campaign-data').textContent);
  var page = JSON.parse($('page-data').textContent);
  var slug = data.slug, kit = window.HudongKit;
  var session = null, ctl = null, period = (data.boards && data.boards[0]) || 'all';
  var myId = data.player ? data.player.id : null, socket = null, finishing = false;
  var liveBoards = 0;  // live boards received: an API answer asked before one is stale
  var liveEpoch = {}, liveVersion = {};  // newest push seen per period (epoch, then version)
  var KEPT = 'hudong:game:' + slug, RETRY_MS = [1000, 2000, 4000, 8000, 15000, 30000];
  var OFFLINE = '网络连接失败，请检查网络后重试', SPEND_TRIES = 3;

  function toast(text) {
    var el = $('toast');
    el.textContent = text; el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 2600);
  }

  /* Call the API; reject with an Error whose message is Chinese (never "Failed to fetch").
   * ``key`` (optional) is sent as the Idempotency-Key header. */
  function api(path, body, key) {
    var opts = { credentials: 'same-origin', headers: { 'Content-Type': 'application/json' } };
    if (body !== undefined) { opts.method = 'POST'; opts.body = JSON.stringify(body); }
    if (key) opts.headers['Idempotency-Key'] = key;
    return fetch(path, opts).catch(function () {
      var err = new Error(OFFLINE); err.offline = true; throw err;
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) {
        if (r.ok) return json;
        var err = new Error((json.error && json.error.message) ||
                            (r.status >= 500 ? '服务器开小差了，请稍后重试' : '请求失败，请重试'));
        err.status = r.status; err.code = json.error && json.error.code;
        err.retryAfter = +(r.headers.get('Retry-After') || 0);
        throw err;
      });
    });
  }

  /* A spend (start, draw, claim) carries an Idempotency-Key and is retried with the same key,
   * with backoff, when the answer is lost or the server failed: the server answers a retry
   * with the first answer, so nothing is spent twice. */
  function newKey(kind) {
    return kind + '-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10);
  }

  function retryable(err) {
    return err.offline || err.status >= 500 || err.code === 'idempotency_in_progress';
  }

  function backoff(attempt, err) {
    return Math.max(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)], (err && err.retryAfter) * 1000 || 0);
  }

  function spend(path, kind) {
    var key = newKey(kind);
    function attempt(n) {
      return api(path, {}, key).catch(function (err) {
        if (!retryable(err) || n >= SPEND_TRIES - 1) throw err;
        return new Promise(function (ok) { setTimeout(ok, backoff(n, err)); }).then(function () {
          return attempt(n + 1);
        });
      });
    }
    return attempt(0);
  }

  // --- the game kept on the phone: a reload resumes it or submits it ---
  function keep(value) {
    try { localStorage.setItem(KEPT, JSON.stringify(value)); } catch (e) { /* private mode: memory only */ }
  }
  function kept() {
    try { return JSON.parse(localStorage.getItem(KEPT) || 'null'); } catch (e) { return null; }
  }
  function forget() { try { localStorage.removeItem(KEPT); } catch (e) { /* nothing kept */ } }

  function saving(text) {
    var el = $('saving');
    el.textContent = text || ''; el.hidden = !text;
  }

  function showPlaysLeft(n) {
    var el = $('plays-left');
    if (n === null || n === undefined) { el.hidden = true; return; }
    el.textContent = '今日剩余 ' + n + ' 次'; el.hidden = false;
    if (n <= 0 && data.live) noPlaysLeft();
  }

  /* Nurture: today's energy in the pill; the landing says when it is used up or the plant is grown. */
  function showEnergy(g) {
    var el = $('plays-left');
    el.textContent = '今日体力 ' + g.energy + '/' + g.energy_max; el.hidden = false;
    if (!data.live) return;
    if (g.matured) {
      $('start').textContent = '查看我的植物';
      $('state-text').textContent = '植物已经成熟啦';
    } else if (!g.energy) {
      $('state-text').textContent = '今天的体力用完了，明天 0 点恢复，可以先看看植物';
    } else {
      $('state-text').textContent = '';
    }
  }

  function noPlaysLeft() {
    $('start').disabled = true; $('play-again').disabled = true;
    $('start').textContent = '今日次数已用完';
    $('state-text').textContent = '今天的游戏次数用完了，明天 0 点后再来吧';
    $('play-again').textContent = '明天再来';
  }

  function show(screen) {
    $('landing').hidden = screen !== 'landing';
    $('stage').hidden = screen !== 'play';
    $('result').hidden = screen !== 'result';
    document.body.dataset.screen = screen;
  }

  /* Run the game client for session s; resume a kept log when there is one. */
  function run(s, progress) {
    session = s;
    if (ctl) { ctl.destroy(); ctl = null; }
    show('play');
    saving('');
    $('finish-early').hidden = data.game.ends_early === false;
    var game = window.HudongGames[s.game.type];
    ctl = game.start($('game'), { seed: s.seed, params: s.game.params, resume: progress }, {
      onGameOver: finish,
      onMove: function (p) { keep({ session: s, progress: p }); }
    });
    keep({ session: s, progress: progress || null });
  }

  function start() {
    $('start').disabled = true; $('play-again').disabled = true;
    spend('/api/v1/campaigns/' + slug + '/sessions', 'start').then(function (s) {
      run(s, null);
      if (data.plays_left !== null && data.plays_left !== undefined) showPlaysLeft(--data.plays_left);
    }).catch(function (err) {
      toast(err.message);
      if (err.code === 'no_plays_left') { data.plays_left = 0; showPlaysLeft(0); return; }
      $('start').disabled = false; $('play-again').disabled = false;
    });
  }

  function finish(result) {
    if (!session || finishing) return;
    finishing = true; $('finish-early').hidden = true;
    var body = { token: session.token, moves: result.moves };
    if (result.score !== null && result.score !== undefined) body.client_score = result.score;
    var entry = { session: session, body: body };
    keep(entry);
    submit(entry, 0);
  }

  /* Send a kept finish; retry after a lost connection or a server error until it lands. */
  function submit(entry, attempt) {
    clearTimeout(submit.timer);
    submit.pending = null;
    saving('成绩提交中…');
    api('/api/v1/sessions/' + entry.session.session_id + '/finish', entry.body).then(function (res) {
      forget(); finishing = false; session = null; saving('');
      showResult(res);
      document.dispatchEvent(new CustomEvent('hudong:finished'));  // the profile form listens
    }).catch(function (err) {
      var again = err.offline || err.status >= 500 || err.code === 'finish_pending';
      if (!again) {
        forget(); finishing = false; session = null; saving('');
        showResult(null, err.message);
        return;
      }
      saving(navigator.onLine === false ? '网络已断开，成绩已保存在本机，联网后自动提交'
        : '网络不稳定，成绩已保存在本机，正在重试…');
      submit.pending = entry;
      var wait = backoff(attempt, err);
      submit.timer = setTimeout(function () { submit(entry, attempt + 1); }, wait);
    });
  }
  window.addEventListener('online', function () { if (submit.pending) submit(submit.pending, 0); });

  function rewardItem(r) {
    var li = document.createElement('li');
    var title = document.createElement('b'); title.textContent = r.title || r.name || '奖励';
    var value = document.createElement('span'); value.textContent = r.value_text ? ' ' + r.value_text : '';
    li.append(title, value);
    return li;
  }

  function showResult(res, note) {
    $('result-score').textContent = res ? res.score : '-';
    $('result-best').textContent = res && res.best !== null ? res.best : '-';
    $('result-rank').textContent = res && res.rank ? '第 ' + res.rank + ' 名' : '-';
    // a score held for review has no best or rank yet: say so instead of showing "-"
    var review = !!(res && res.under_review);
    $('result-meta').hidden = review; $('result-review').hidden = !review;
    var list = $('result-rewards'), won = (res && res.rewards) || [];
    list.textContent = '';
    won.forEach(function (r) { list.appendChild(rewardItem(r)); });
    $('result-won').hidden = !won.length;
    $('result-note').textContent = note || ''; $('result-note').hidden = !note;
    show('result');
    $('play-again').disabled = data.plays_left === 0 || !data.live;
    if (data.plays_left === 0) noPlaysLeft();
    refreshDraws();
    loadBoard();
  }

  /* Ask the server for draws left (a finish may have earned one) and show them. */
  function refreshDraws() {
    if (!$('draw')) return;
    api('/api/v1/campaigns/' + slug).then(function (v) {
      data.draws_left = v.draws_left;
      showDraws(v.draws_left);
    }).catch(function () {});
  }

  function showDraws(n) {
    $('draws-left').textContent = n;
    $('draw').disabled = !data.live;  // at zero the server's refusal says when draws return
    var hint = $('result-draws');
    hint.hidden = !n; hint.querySelector('b').textContent = n;
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
      var name = document.createElement('span'); name.className = 'name'; name.textContent = e.player.nickname || '玩家';
      var score = document.createElement('span'); score.className = 'score'; score.textContent = e.score;
      li.append(rank, img, name, score); ol.appendChild(li);
    });
    ol.dataset.version = board.version || 0;
    $('board-empty').hidden = board.entries.length > 0;
  }

  function renderMe(me) {
    $('my-rank').textContent = me && me.rank ? '我的排名：第 ' + me.rank + ' 名 · ' + me.score + ' 分' : '';
  }

  function loadBoard() {
    var seen = liveBoards;
    api('/api/v1/campaigns/' + slug + '/leaderboard?limit=20&period=' + period).then(function (b) {
      if (liveBoards === seen) renderBoard(b);
      renderMe(b.me);
    }).catch(function () {});
  }

  /* Take a push unless an older one overtook it; a new epoch (Redis rebuilt) always wins. */
  function fresh(board) {
    var epoch = board.epoch || '', seen = liveEpoch[period];
    if (seen !== undefined && epoch === seen && board.version < (liveVersion[period] || 0)) return false;
    liveEpoch[period] = epoch; liveVersion[period] = board.version;
    return true;
  }

  function renderLiveBoard(board) {
    if (!board || board.period !== period || !fresh(board)) return;
    liveBoards++;
    renderBoard(board);
    $('leaderboard').dataset.live = 'on';
  }

  function connectLive() {
    if (!window.io) return;
    socket = window.io('/live', { transports: ['polling', 'websocket'] });
    socket.on('connect', function () {
      liveEpoch = {}; liveVersion = {};  // a new connection starts from the server's current version
      socket.emit('join', { campaign: slug, period: period });
    });
    socket.on('leaderboard', renderLiveBoard);
    socket.on('disconnect', function () { $('leaderboard').dataset.live = 'off'; });
    socket.on('my_rank', function (m) { if (m.period === period) renderMe(m); });
  }

  function drawOnce() {
    var btn = $('draw'); btn.disabled = true;
    $('draw-result').textContent = '';  // a refused draw must not leave the old result showing
    spend('/api/v1/campaigns/' + slug + '/draws', 'draw').then(function (res) {
      data.draws_left = res.draws_left;
      $('draw-result').textContent = res.prize ? '抽中：' + res.prize.name : '谢谢参与，下次好运！';
    }).catch(function (err) { toast(err.message); }).then(function () { showDraws(data.draws_left); });
  }

  function claim(btn) {
    btn.disabled = true;
    spend('/api/v1/campaigns/' + slug + '/coupon-batches/' + btn.dataset.claim + '/claim', 'claim')
      .then(function (c) { btn.textContent = '已领取'; toast('领取成功：' + c.title); })
      .catch(function (err) { toast(err.message); btn.disabled = false; });
  }

  function bindSound() {
    var btn = $('sound');
    function paint() { btn.setAttribute('aria-pressed', kit.soundOn() ? 'true' : 'false'); }
    btn.addEventListener('click', function () { kit.setSound(!kit.soundOn()); paint(); });
    paint();
  }

  /* After a reload: submit a kept finish, or resume the kept game if its session is still open. */
  function resumeKept() {
    var k = kept();
    if (!k || !k.session) return false;
    if (k.body) { finishing = true; session = k.session; show('play'); submit(k, 0); return true; }
    if (Date.parse(k.session.expires_at) > Date.now()) { run(k.session, k.progress); return true; }
    forget();
    return false;
  }

  function init() {
    window.HudongArt = { sheet: page.sprites, brand: page.theme.brand, accent: page.theme.accent };
    bindSound();
    if ($('draw')) $('draw').addEventListener('click', drawOnce);
    document.querySelectorAll('[data-claim]').forEach(function (btn) {
      btn.addEventListener('click', function () { claim(btn); });
    });
    document.querySelectorAll('#periods button').forEach(function (btn) {
      btn.addEventListener('click', function () {
        period = btn.dataset.period;
        document.querySelectorAll('#periods button').forEach(function (b) { b.classList.toggle('on', b === btn); });
        loadBoard();
        if (socket && socket.connected) socket.emit('join', { campaign: slug, period: period });
      });
    });
    // a server-authoritative game (nurture) has no sessions and no board: its client drives
    // its API; the garden loads behind the landing, whose pill and text follow its energy
    if (data.game && data.game.replayed === false) {
      ctl = window.HudongGames[data.game.type].start($('game'), { slug: slug, view: data, api: api },
                                                      { toast: toast, onState: showEnergy });
      $('start').addEventListener('click', function () { show('play'); });
      show('landing');
      return;
    }
    $('start').addEventListener('click', start);
    $('play-again').addEventListener('click', start);
    $('finish-early').addEventListener('click', function () { if (ctl) finish(ctl.state()); });
    showPlaysLeft(data.plays_left);
    if (!resumeKept()) show('landing');
    loadBoard();
    connectLive();
  }

  function playable() {
    if (window.performance && performance.mark) performance.mark('hudong-playable');
  }

  init();
  playable();
})();
