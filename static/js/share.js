/* Sharing on the play page: WeChat's share card inside WeChat, a share sheet elsewhere.
 *
 * Inside WeChat the vendored JS-SDK is configured with a signature for exactly this page's
 * URL (up to #) and the card's title, description, image and link (with my share token) are
 * set for both friends and Moments. WeChat's callbacks only mean "content set", so a share
 * is counted when the player taps 分享 (POST .../shares), never from a callback. Outside
 * WeChat the system share sheet is used, else the link is copied. No copy here mentions a
 * reward for sharing (WeChat forbids inducing shares).
 */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('campaign-data').textContent);
  var btn = document.getElementById('share-btn');
  var sheet = document.getElementById('share-sheet');
  var inWeChat = /MicroMessenger/i.test(navigator.userAgent);
  var branding = data.branding || {};
  // content-hashed URLs of the JS-SDK and the fallback card image, given by the template
  var assets = (document.currentScript || document.getElementById('share-js')).dataset;

  function card(link) {
    return {
      title: branding.share_title || data.title,
      desc: branding.share_desc || (data.game && data.game.title) || data.title,
      link: link,
      imgUrl: branding.share_image || branding.logo || new URL(assets.shareImage, location.href).href
    };
  }

  function myLink() {
    var url = location.origin + '/c/' + encodeURIComponent(data.slug);
    return data.share_token ? url + '?s=' + encodeURIComponent(data.share_token) : url;
  }

  function configureWeChat() {
    var script = document.createElement('script');
    script.src = assets.wxSdk;
    script.onload = function () {
      var page = location.href.split('#')[0];
      fetch('/api/v1/wechat/jssdk-config?url=' + encodeURIComponent(page),
            { credentials: 'same-origin' })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (cfg) {
          window.wx.config({ debug: false, appId: cfg.appId, timestamp: cfg.timestamp,
                             nonceStr: cfg.nonceStr, signature: cfg.signature,
                             jsApiList: ['updateAppMessageShareData', 'updateTimelineShareData'] });
          window.wx.ready(function () {
            var shared = card(myLink());
            window.wx.updateAppMessageShareData(shared);
            window.wx.updateTimelineShareData(shared);
            document.documentElement.setAttribute('data-wx-share', 'set');
          });
        })
        .catch(function () { document.documentElement.setAttribute('data-wx-share', 'off'); });
    };
    document.head.appendChild(script);
  }

  function showSheet(link) {
    if (!sheet) return;
    sheet.querySelector('[data-share-url]').value = link.url;
    sheet.querySelector('[data-share-poster]').href = link.poster_url;
    sheet.querySelector('[data-share-hint]').hidden = !inWeChat;
    sheet.hidden = false;
  }

  function copy(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text);
    }
    var field = sheet.querySelector('[data-share-url]');
    field.select();
    return document.execCommand('copy') ? Promise.resolve() : Promise.reject();
  }

  function share() {
    btn.disabled = true;
    var key = 'share-' + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    fetch('/api/v1/campaigns/' + encodeURIComponent(data.slug) + '/shares', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify({ channel: inWeChat ? 'friend' : 'link' })
    }).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (link) {
        if (!inWeChat && navigator.share) {
          var c = card(link.url);
          return navigator.share({ title: c.title, text: c.desc, url: link.url })
            .catch(function () { showSheet(link); });
        }
        showSheet(link);
      })
      .catch(function () { showSheet({ url: myLink(), poster_url: '#' }); })
      .then(function () { btn.disabled = false; });
  }

  if (inWeChat) configureWeChat();
  if (btn && !data.share_token) btn.hidden = true;
  if (btn) btn.addEventListener('click', share);
  if (sheet) {
    sheet.querySelector('[data-share-copy]').addEventListener('click', function () {
      var note = sheet.querySelector('[data-share-copied]');
      copy(sheet.querySelector('[data-share-url]').value)
        .then(function () { note.hidden = false; }, function () { note.hidden = true; });
    });
    sheet.querySelector('[data-share-close]').addEventListener('click', function () {
      sheet.hidden = true;
    });
  }
})();
