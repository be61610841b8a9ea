/* The profile form (信息收集) on the play page: asked only when the campaign's form is due,
   sent only with explicit consent; the brand is named as the personal-information handler. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('campaign-data').textContent);
  var base = '/api/v1/campaigns/' + encodeURIComponent(data.slug) + '/profile';
  var shown = false;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function input(spec) {
    var box = el('label', { 'class': 'pf-field' }, spec.label + (spec.required ? ' *' : ''));
    var field;
    if (spec.type === 'choice') {
      field = el('select', { name: spec.key });
      field.appendChild(el('option', { value: '' }, '请选择'));
      spec.options.forEach(function (o) { field.appendChild(el('option', { value: o }, o)); });
    } else {
      field = el('input', { name: spec.key, type: spec.type === 'phone' ? 'tel' : spec.type === 'date' ? 'date' : 'text',
                            maxlength: spec.type === 'phone' ? 16 : (spec.max_length || 100) });
      if (spec.type === 'phone') field.setAttribute('inputmode', 'numeric');
    }
    box.appendChild(field);
    box.appendChild(el('span', { 'class': 'pf-error', 'data-for': 'fields.' + spec.key }));
    return box;
  }

  function check(label, name) {
    var box = el('label', { 'class': 'pf-check' });
    box.appendChild(el('input', { type: 'checkbox', name: name }));
    box.appendChild(el('span', {}, label));
    box.appendChild(el('span', { 'class': 'pf-error', 'data-for': name }));
    return box;
  }

  function render(form) {
    var wrap = el('div', { 'class': 'pf-overlay', id: 'profile-form', role: 'dialog', 'aria-modal': 'true',
                           'aria-labelledby': 'pf-title' });
    var card = el('form', { 'class': 'pf-card', novalidate: 'novalidate' });
    card.appendChild(el('h2', { id: 'pf-title' }, '留下联系方式'));
    card.appendChild(el('p', { 'class': 'pf-purpose' }, form.purpose));
    form.fields.forEach(function (spec) { card.appendChild(input(spec)); });
    card.appendChild(check('我已阅读并同意《个人信息处理规则》：' + form.handler + '（个人信息处理者）收集以上信息，仅用于'
                           + form.purpose + '。我可随时要求查阅或删除。', 'consent'));
    card.appendChild(check('我已年满 14 周岁', 'age_confirmed'));
    var submit = el('button', { type: 'submit', 'class': 'btn' }, '提交');
    var later = el('button', { type: 'button', 'class': 'link' }, '暂不填写');
    card.appendChild(submit); card.appendChild(later);
    later.addEventListener('click', function () { wrap.remove(); });
    card.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = { fields: {}, consent: card.consent.checked, age_confirmed: card.age_confirmed.checked,
                   consent_version: form.consent_version };
      form.fields.forEach(function (spec) { body.fields[spec.key] = card[spec.key].value; });
      card.querySelectorAll('.pf-error').forEach(function (n) { n.textContent = ''; });
      submit.disabled = true;
      fetch(base, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
                    body: JSON.stringify(body) })
        .then(function (resp) { return resp.json().then(function (json) { return [resp.status, json]; }); })
        .then(function (res) {
          submit.disabled = false;
          if (res[0] === 201) { wrap.remove(); return; }
          var fields = (res[1].error && res[1].error.fields) || {};
          Object.keys(fields).forEach(function (k) {
            var slot = card.querySelector('[data-for="' + k + '"]');
            if (slot) slot.textContent = [].concat(fields[k]).join('；');
          });
          if (!Object.keys(fields).length) window.alert((res[1].error || {}).message || '提交失败');
        })
        .catch(function () { submit.disabled = false; window.alert('网络不稳定，请稍后再试'); });
    });
    wrap.appendChild(card);
    document.body.appendChild(wrap);
  }

  function ask() {
    if (shown) return;
    fetch(base, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (state) {
      if (state.form && state.due && !shown) { shown = true; render(state.form); }
    }).catch(function () {});
  }

  document.addEventListener('hudong:finished', ask);
  ask();
})();
