/* Profiling consent: the notice's one tap, withdrawal and targeting opt-out; never blocks play. */
(function () {
  'use strict';
  var data = document.getElementById('campaign-data');
  var box = document.getElementById('consent-notice') || document.getElementById('consent-settings');
  if (!box || !data) { return; }
  var slug = JSON.parse(data.textContent).slug;
  var bodies = {
    yes: {profiling: true},
    no: {profiling: false},
    withdraw: {profiling: false},
    'no-targeting': {profiling: true, targeting: false}
  };

  function send(choice) {
    var body = bodies[choice];
    body.notice_version = box.dataset.version;
    box.querySelectorAll('button').forEach(function (b) { b.disabled = true; });
    fetch('/api/v1/campaigns/' + slug + '/consent', {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      box.hidden = true;
    }).catch(function () {
      box.querySelectorAll('button').forEach(function (b) { b.disabled = false; });
    });
  }

  box.querySelectorAll('[data-consent]').forEach(function (btn) {
    btn.addEventListener('click', function () { send(btn.dataset.consent); });
  });
}());
