"""WeChat JS-SDK: the access token, the jsapi_ticket and the ``wx.config`` signature.

Documented endpoints:

- ``POST {api_base}/cgi-bin/stable_token`` ``{"grant_type": "client_credential", "appid",
  "secret", "force_refresh": false}`` → ``{"access_token", "expires_in"}``. The *stable*
  token: asking for it does not invalidate the token the brand's other systems hold
  (``/cgi-bin/token`` would).
- ``GET {api_base}/cgi-bin/ticket/getticket?access_token&type=jsapi`` →
  ``{"errcode": 0, "errmsg": "ok", "ticket", "expires_in"}``.
- signature = sha1(``jsapi_ticket=…&noncestr=…&timestamp=…&url=…``) over the page's
  ``location.href`` up to ``#`` (WeChat's appended ``from=`` / ``isappinstalled=`` kept).

Both credentials are cached in Redis until shortly before they expire; when
they are missing, one process refreshes them under a Redis lock while the
others wait for it and read the cache, so WeChat sees one refresh, not one
per process (its daily quota is small).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from flask import current_app, request
from sqlalchemy import select

from engine import keys
from engine.access.wechat import credentials
from engine.access.wechat.oauth import WeChatError
from engine.errors import ExternalServiceError, NotFound, Unprocessable
from engine.extensions import db, redis_store
from engine.models import Campaign

log = logging.getLogger(__name__)
EARLY_S = 300  # refresh this long before WeChat says a credential expires
LOCK_TIMEOUT_S = 15
INVALID_TOKEN = {40001, 40014, 42001}


@dataclass(frozen=True)
class JsSdkConfig:
    """What ``wx.config`` needs, signed for one page URL."""

    appId: str  # noqa: N815 (WeChat's field names)
    timestamp: int
    nonceStr: str  # noqa: N815
    signature: str


def signature(ticket: str, nonce: str, timestamp: int, url: str) -> str:
    """Return WeChat's sha1 signature of the page ``url`` (cut at ``#``)."""
    page = url.split("#", 1)[0]
    raw = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={page}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


class WeChatApiClient:
    """Ask WeChat's server API for the stable access token and the jsapi_ticket."""

    def __init__(self, appid: str, secret: str, *, api_base: str, timeout: float = 5.0,
                 session: requests.Session | None = None):
        self.appid, self.secret = appid, secret
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self.http = session or requests.Session()

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self.http.close()

    def __enter__(self) -> WeChatApiClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def stable_token(self, force_refresh: bool = False) -> tuple[str, int]:
        """Return the stable access token and its lifetime in seconds."""
        data = self._call("POST", "/cgi-bin/stable_token", json_body={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
            "force_refresh": force_refresh})
        return data["access_token"], int(data.get("expires_in", 7200))

    def jsapi_ticket(self, access_token: str) -> tuple[str, int]:
        """Return the jsapi_ticket and its lifetime in seconds."""
        data = self._call("GET", "/cgi-bin/ticket/getticket",
                          params={"access_token": access_token, "type": "jsapi"})
        return data["ticket"], int(data.get("expires_in", 7200))

    def _call(self, method: str, path: str, params=None, json_body=None) -> dict:
        try:
            resp = self.http.request(method, self.api_base + path, params=params,
                                     json=json_body, timeout=self.timeout)
            resp.raise_for_status()
            data = json.loads(resp.content)  # text/plain without a charset: UTF-8 bytes
        except (requests.RequestException, ValueError) as exc:
            raise WeChatError(-2, f"wechat failed: {exc.__class__.__name__}") from exc
        errcode = int(data.get("errcode", 0) or 0)
        if errcode:
            raise WeChatError(errcode, data.get("errmsg", ""))
        return data


class TicketCache:
    """Keep one AppID's access token and jsapi_ticket in Redis, refreshed once at a time."""

    def __init__(self, client: WeChatApiClient):
        self.client = client
        self.appid = client.appid
        self.r = redis_store.r

    def ticket(self) -> str:
        """Return a valid jsapi_ticket, refreshing it (once, across processes) if needed."""
        key = keys.jsapi_credential("jsapi_ticket", self.appid)
        cached = self.r.get(key)
        if cached:
            return cached
        with self.r.lock(keys.jsapi_lock(self.appid), timeout=LOCK_TIMEOUT_S,
                         blocking_timeout=LOCK_TIMEOUT_S):
            cached = self.r.get(key)  # another process refreshed it while we waited
            if cached:
                return cached
            ticket, ttl = self._fresh_ticket()
            self.r.set(key, ticket, ex=max(ttl - EARLY_S, 60))
            log.info("refreshed the jsapi_ticket of %s", self.appid)
            return ticket

    def _fresh_ticket(self) -> tuple[str, int]:
        try:
            return self.client.jsapi_ticket(self._token())
        except WeChatError as exc:
            if exc.errcode not in INVALID_TOKEN:
                raise
            # the cached token was revoked early: one forced refresh, then one more try
            return self.client.jsapi_ticket(self._token(force=True))

    def _token(self, force: bool = False) -> str:
        key = keys.jsapi_credential("access_token", self.appid)
        cached = None if force else self.r.get(key)
        if cached:
            return cached
        token, ttl = self.client.stable_token(force_refresh=force)
        self.r.set(key, token, ex=max(ttl - EARLY_S, 60))
        return token


def config_for(client: WeChatApiClient, url: str, now: int | None = None) -> JsSdkConfig:
    """Return the signed ``wx.config`` for the page ``url``."""
    ticket = TicketCache(client).ticket()
    nonce, timestamp = secrets.token_hex(8), int(now if now is not None else time.time())
    return JsSdkConfig(appId=client.appid, timestamp=timestamp, nonceStr=nonce,
                       signature=signature(ticket, nonce, timestamp, url))


def _brand_of(url: str) -> int | None:
    # a campaign page is /c/<slug>[/...]: its brand may have its own official account
    parts = urlsplit(url).path.split("/")
    if len(parts) < 3 or parts[1] != "c" or not parts[2]:
        return None
    return db.session.scalar(select(Campaign.brand_id).where(Campaign.slug == parts[2]))


def credentials_for(url: str) -> tuple[str, str]:
    """Return (AppID, secret) signing ``url``: the brand's own once it has one, else the global."""
    found = credentials.for_brand(_brand_of(url))
    return (found.appid, found.secret) if found is not None else ("", "")


def _our_page(url: str) -> bool:
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and parts.netloc == urlsplit(base).netloc


def page_config(url: str) -> JsSdkConfig:
    """Return the ``wx.config`` of one of our pages (422 for another site's URL)."""
    if not _our_page(url):
        raise Unprocessable("只能为本站页面签名", code="foreign_url",
                            fields={"url": ["not a page of this site"]})
    appid, secret = credentials_for(url)
    if not appid or not secret:
        raise NotFound("未配置微信公众号", code="wechat_not_configured")
    cfg = current_app.config
    with WeChatApiClient(appid, secret, api_base=cfg["WECHAT_API_BASE"],
                         timeout=cfg["WECHAT_TIMEOUT_S"]) as client:
        try:
            return config_for(client, url)
        except WeChatError as exc:
            log.warning("jssdk config for %s failed: %s", appid, exc)
            raise ExternalServiceError() from exc
