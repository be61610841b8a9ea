/* The referral report page: read the KPI JSON, fill the cards, draw four charts, list the
   key sharers with links to their trees. */
(function () {
  'use strict';
  var root = document.getElementById('report');
  var t = JSON.parse(root.getAttribute('data-text'));
  var RED = '#e8474c', BLUE = '#3b7ddd', GREEN = '#2f9e60', GREY = '#8892a0';

  function text(el, value) { el.textContent = value; return el; }
  function cell(tag, value) { return text(document.createElement(tag), value); }

  function card(label, value) {
    var box = document.createElement('div');
    box.className = 'card';
    box.appendChild(cell('span', label));
    box.appendChild(cell('b', value));
    return box;
  }

  function percent(x) { return (x * 100).toFixed(1) + '%'; }

  function cycle(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    return seconds < 7200 ? Math.round(seconds) + ' ' + t.seconds
                          : (seconds / 3600).toFixed(1) + ' ' + t.hours;
  }

  function chart(id, type, labels, datasets, extra) {
    var options = Object.assign({responsive: true, maintainAspectRatio: false, animation: false,
                                 plugins: {legend: {display: datasets.length > 1}}}, extra || {});
    return new window.Chart(document.getElementById(id), {
      type: type, data: {labels: labels, datasets: datasets}, options: options});
  }

  function draw(r) {
    var cards = document.getElementById('cards');
    [[t.players, r.players], [t.visits, r.visits], [t.shares, r.shares],
     [t.share_opens, r.share_opens], [t.referred, r.referred_players],
     [t.k_factor, r.k_factor.toFixed(2)], [t.share_rate, percent(r.share_rate)],
     [t.max_depth, r.max_depth], [t.cycle, cycle(r.viral_cycle_time_s)]]
      .forEach(function (pair) { cards.appendChild(card(pair[0], pair[1])); });
    var days = r.daily.map(function (d) { return d.date; });
    var keys = ['visits', 'shares', 'share_opens', 'referred_players'];
    var colours = [GREY, BLUE, GREEN, RED];
    chart('chart-daily', 'line', days, keys.map(function (k, i) {
      return {label: t.series[i], data: r.daily.map(function (d) { return d[k]; }),
              borderColor: colours[i], backgroundColor: colours[i], tension: 0.2};
    }));
    var depths = Object.keys(r.depth_histogram);
    chart('chart-depth', 'bar', depths, [{label: t.depth, backgroundColor: RED,
      data: depths.map(function (d) { return r.depth_histogram[d]; })}]);
    var steps = ['visit', 'play', 'share', 'referred_play', 'coupon_claimed', 'coupon_redeemed'];
    chart('chart-funnel', 'bar', t.funnel_steps, [{label: t.funnel, backgroundColor: BLUE,
      data: steps.map(function (s) { return r.funnel[s]; })}], {indexAxis: 'y'});
    var gens = Object.keys(r.k_by_generation);
    chart('chart-kgen', 'bar', gens, [{label: t.k_gen, backgroundColor: GREEN,
      data: gens.map(function (g) { return r.k_by_generation[g]; })}]);
    var body = document.getElementById('top');
    if (!r.top_sharers.length) {
      var row = document.createElement('tr');
      var none = cell('td', t.none);
      none.colSpan = 3;
      row.appendChild(none);
      body.appendChild(row);
    }
    r.top_sharers.forEach(function (s) {
      var tr = document.createElement('tr');
      var name = document.createElement('td');
      var link = cell('a', s.player.nickname);  // the sharer's tree page
      link.href = root.getAttribute('data-tree-url') + '?player=' + s.player.id;
      name.appendChild(link);
      tr.appendChild(name);
      tr.appendChild(cell('td', s.direct));
      tr.appendChild(cell('td', s.downstream));
      body.appendChild(tr);
    });
    document.getElementById('status').hidden = true;
    root.setAttribute('data-ready', '1');
  }

  fetch(root.getAttribute('data-url'), {credentials: 'same-origin',
                                        headers: {'Accept': 'application/json'}})
    .then(function (resp) { if (!resp.ok) throw new Error(resp.status); return resp.json(); })
    .then(draw)
    .catch(function () { text(document.getElementById('status'), t.failed); });
})();
