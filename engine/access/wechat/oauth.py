"""A small client for WeChat's web-page OAuth (网页授权).

Documented endpoints:

- ``GET {oauth_base}/connect/oauth2/authorize?appid&redirect_uri&response_type=code``
  ``&scope&state#wechat_redirect``
- ``GET {api_base}/sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code``
  → ``{access_token, expires_in, refresh_token, openid, scope, is_snapshotuser?, unionid?}``
- ``GET {api_base}/sns/userinfo?access_token&openid&lang=zh_CN``
  → ``{openid, nickname, headimgurl, unionid?, ...}``

Errors come back as HTTP 200 with ``{"errcode": n, "errmsg": "..."}``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import requests

log = logging.getLogger(__name__)

SCOPE_BASE = "snsapi_base"
SCOPE_USERINFO = "snsapi_userinfo"
# codes worth another try: system busy
_RETRYABLE = {-1}


class WeChatError(Exception):
    """WeChat answered with an ``errcode`` or could not be reached."""

    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass(frozen=True)
class OAuthGrant:
    """What exchanging an OAuth code tells about the visitor."""

    openid: str
    access_token: str
    scope: str
    unionid: str | None = None
    # snapshot mode (快照页): WeChat hands out a virtual openid; never a player
    is_snapshot: bool = False


@dataclass(frozen=True)
class UserInfo:
    """The visitor's public profile (snsapi_userinfo only)."""

    openid: str
    nickname: str
    avatar: str
    unionid: str | None = None


class WeChatOAuthClient:
    """Talk to WeChat's OAuth endpoints with timeouts and a retry when busy."""

    def __init__(self, appid: str, secret: str, *, oauth_base: str, api_base: str,
                 timeout: float = 5.0, retries: int = 1, session: requests.Session | None = None):
        self.appid = appid
        self.secret = secret
        self.oauth_base = oauth_base.rstrip("/")
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.http = session or requests.Session()

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self.http.close()

    def __enter__(self) -> WeChatOAuthClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def authorize_url(self, redirect_uri: str, scope: str, state: str) -> str:
        """Return the URL that sends the visitor to WeChat's consent step."""
        query = urlencode({"appid": self.appid, "redirect_uri": redirect_uri,
                           "response_type": "code", "scope": scope, "state": state})
        return f"{self.oauth_base}/connect/oauth2/authorize?{query}#wechat_redirect"

    def exchange_code(self, code: str) -> OAuthGrant:
        """Trade an OAuth ``code`` for the visitor's openid and access token."""
        data = self._get("/sns/oauth2/access_token", {
            "appid": self.appid, "secret": self.secret, "code": code,
            "grant_type": "authorization_code"})
        return OAuthGrant(openid=data["openid"], access_token=data["access_token"],
                          scope=data.get("scope", ""), unionid=data.get("unionid") or None,
                          is_snapshot=str(data.get("is_snapshotuser", 0)) == "1")

    def userinfo(self, access_token: str, openid: str) -> UserInfo:
        """Return the visitor's nickname and avatar (needs snsapi_userinfo)."""
        data = self._get("/sns/userinfo", {"access_token": access_token, "openid": openid,
                                           "lang": "zh_CN"})
        return UserInfo(openid=data["openid"], nickname=data.get("nickname", ""),
                        avatar=data.get("headimgurl", ""), unionid=data.get("unionid") or None)

    def _get(self, path: str, params: dict) -> dict:
        last: WeChatError | None = None
        for attempt in range(self.retries + 1):
            try:
                resp = self.http.get(self.api_base + path, params=params, timeout=self.timeout)
                resp.raise_for_status()
                # WeChat labels JSON text/plain without a charset; the bytes are UTF-8
                data = json.loads(resp.content)
            except requests.ConnectionError as exc:
                # the request never reached WeChat: safe to send again
                last = WeChatError(-2, f"wechat unreachable: {exc.__class__.__name__}")
                log.warning("wechat %s attempt %s failed: %s", path, attempt + 1, exc)
                continue
            except (requests.RequestException, ValueError) as exc:
                # a code is single-use: after a timeout it may be spent, so no retry
                raise WeChatError(-2, f"wechat failed: {exc.__class__.__name__}") from exc
            errcode = int(data.get("errcode", 0) or 0)
            if errcode == 0:
                return data
            last = WeChatError(errcode, data.get("errmsg", ""))
            if errcode not in _RETRYABLE:
                break
        assert last is not None
        raise last
