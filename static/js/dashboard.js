/* The campaign dashboard's charts (Chart.js, vendored): daily activity and score spread. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  var accent = '#d9363e', blue = '#3b7ddd', grey = '#c3c8cf';
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#4b5159';
  var daily = document.getElementById('daily-chart');
  if (daily) {
    window.dailyChart = new Chart(daily, {
      type: 'bar',
      data: { labels: data.days, datasets: [
        { label: data.labels.players, data: data.daily.players, backgroundColor: accent, borderRadius: 3 },
        { label: data.labels.plays, data: data.daily.plays, backgroundColor: blue, borderRadius: 3 },
        { label: data.labels.visits, data: data.daily.visits, backgroundColor: grey, borderRadius: 3 }
      ] },
      options: { maintainAspectRatio: false, animation: false, interaction: { mode: 'index', intersect: false },
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
                 plugins: { legend: { position: 'bottom' } } }
    });
    daily.setAttribute('data-ready', '1');
  }
  var scores = document.getElementById('score-chart');
  if (scores) {
    window.scoreChart = new Chart(scores, {
      type: 'bar',
      data: { labels: data.bins, datasets: [{ label: data.labels.scores, data: data.counts, backgroundColor: accent }] },
      options: { maintainAspectRatio: false, animation: false,
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
                 plugins: { legend: { display: false } } }
    });
  }
})();
