"""A local stand-in for WeChat's web OAuth (网页授权), speaking its documented API.

Endpoints, as WeChat documents them:

- ``GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state``:
  the consent page. The fake consents at once for the next configured user and
  answers 302 to ``redirect_uri`` with ``code`` and ``state`` appended.
- ``GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code``
- ``GET /sns/userinfo?access_token&openid&lang``
- ``POST /cgi-bin/stable_token`` ``{"grant_type": "client_credential", "appid", "secret",
  "force_refresh"}`` → ``{"access_token", "expires_in"}`` (the JS-SDK's server token)
- ``GET /cgi-bin/ticket/getticket?access_token&type=jsapi`` →
  ``{"errcode": 0, "errmsg": "ok", "ticket", "expires_in"}``

API errors come back as HTTP 200 with ``{"errcode", "errmsg"}``; like the real
servers, JSON is sent as ``text/plain`` without a charset (UTF-8 bytes).
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from tests.support.local_http import Answer, LocalHttpServer, Request

SCOPES = ("snsapi_base", "snsapi_userinfo")
ERRORS = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40125: "invalid appsecret",
    40163: "code been used",
    48001: "api unauthorized",
}
_seq = itertools.count(1)
_NOT_FOUND = Answer(404, b"not found", {"Content-Type": "text/plain"})


@dataclass
class WeChatUser:
    """A WeChat account as the fake knows it; ``snapshot`` means snapshot mode (快照页)."""

    openid: str = field(default_factory=lambda: f"o-fake-{next(_seq):06d}")
    unionid: str | None = None
    nickname: str = "微信用户"
    headimgurl: str = "https://thirdwx.qlogo.cn/mmopen/fake/132"
    sex: int = 0
    province: str = "广东"
    city: str = "深圳"
    country: str = "中国"
    snapshot: bool = False


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    params: dict[str, str]


@dataclass
class _Grant:
    user: WeChatUser
    scope: str
    used: bool = False


class FakeWeChat(LocalHttpServer):
    """Serve WeChat's web-OAuth endpoints on 127.0.0.1 from a daemon thread."""

    name = "fake-wechat"

    def __init__(self, appid: str = "wx123", secret: str = "s3cret",
                 content_type: str = "text/plain"):
        super().__init__()
        self.appid = appid
        self.secret = secret
        self.content_type = content_type
        self.default_user = WeChatUser()
        self.requests: list[Recorded] = []
        self.busy = 0  # answer this many API calls with errcode -1 (system busy) first
        self.delay_s = 0.0  # answer the JS-SDK endpoints this much later (a slow WeChat)
        self.server_tokens: dict[str, int] = {}  # stable access token -> expires_in
        self.tickets: dict[str, str] = {}  # jsapi_ticket -> the token it was issued for
        self._queue: list[WeChatUser] = []
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    # -- the HTTP side -------------------------------------------------------

    def respond(self, request: Request) -> Answer:
        """Route a request to its endpoint; API answers are JSON in ``content_type``."""
        if request.method == "POST":
            body = request.json()
            self._record("POST", request.path, {k: str(v) for k, v in body.items()})
            if request.path != "/cgi-bin/stable_token":
                return _NOT_FOUND
            return Answer.json(self.stable_token(body), content_type=self.content_type)
        self._record("GET", request.path, request.query)
        if request.path == "/connect/oauth2/authorize":
            status, headers, text = self.authorize(request.query)
            return Answer(status, text.encode(), headers)
        api = {"/sns/oauth2/access_token": self.access_token,
               "/sns/userinfo": self.userinfo,
               "/cgi-bin/ticket/getticket": self.getticket}.get(request.path)
        if api is None:
            return _NOT_FOUND
        return Answer.json(api(request.query), content_type=self.content_type)

    # -- test controls -----------------------------------------------------

    def next_user(self, user: WeChatUser | None = None, **fields) -> WeChatUser:
        """Queue who consents next (``user`` or a new one from ``fields``); return them."""
        user = user or WeChatUser(**fields)
        with self._lock:
            self._queue.append(user)
        return user

    def issue_code(self, user: WeChatUser | None = None, scope: str = "snsapi_base") -> str:
        """Return a fresh one-time code, as the consent page would hand out."""
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = _Grant(user or self.default_user, scope)
        return code

    def requests_to(self, path: str) -> list[Recorded]:
        """Return the recorded requests for ``path``, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # -- endpoints -----------------------------------------------------------

    def _record(self, method: str, path: str, params: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(Recorded(method, path, params))

    def _take_busy(self) -> bool:
        with self._lock:
            if self.busy > 0:
                self.busy -= 1
                return True
            return False

    def authorize(self, q: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """Consent for the next user: 302 to ``redirect_uri`` with code and state."""
        problem = self._authorize_problem(q)
        if problem:
            return 400, {"Content-Type": "text/plain; charset=utf-8"}, problem
        with self._lock:
            user = self._queue.pop(0) if self._queue else self.default_user
        code = self.issue_code(user, q["scope"])
        target = _append_query(q["redirect_uri"], {"code": code, "state": q.get("state", "")})
        return 302, {"Location": target}, ""

    @staticmethod
    def _authorize_problem(q: dict[str, str]) -> str:
        if not q.get("redirect_uri", "").startswith(("http://", "https://")):
            return "redirect_uri 参数错误"
        if q.get("response_type") != "code":
            return "response_type 参数错误"
        if q.get("scope") not in SCOPES:
            return "scope 参数错误或没有 scope 权限"
        return ""

    def access_token(self, q: dict[str, str]) -> dict:
        """Exchange a one-time code for an access token and the openid."""
        if q.get("appid") != self.appid:
            return _error(40013)
        if q.get("secret") != self.secret:
            return _error(40125)
        if q.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if self._take_busy():
            return _error(-1)
        with self._lock:
            grant = self._codes.get(q.get("code", ""))
            if grant is None:
                return _error(40029)
            if grant.used:
                return _error(40163)
            grant.used = True
            token = secrets.token_hex(16)
            self._tokens[token] = grant
        return _token_answer(grant, token)

    def userinfo(self, q: dict[str, str]) -> dict:
        """Return the profile behind an snsapi_userinfo access token."""
        with self._lock:
            grant = self._tokens.get(q.get("access_token", ""))
        if grant is None:
            return _error(40001)
        if grant.scope != "snsapi_userinfo":
            return _error(48001)
        if q.get("openid") != grant.user.openid:
            return _error(40003)
        user = grant.user
        info = {"openid": user.openid, "nickname": user.nickname, "sex": user.sex,
                "province": user.province, "city": user.city, "country": user.country,
                "headimgurl": user.headimgurl, "privilege": []}
        if user.unionid:
            info["unionid"] = user.unionid
        return info


    def stable_token(self, body: dict) -> dict:
        """Issue (or, with ``force_refresh``, replace) the app's stable access token."""
        if body.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if body.get("appid") != self.appid:
            return _error(40013)
        if body.get("secret") != self.secret:
            return _error(40125)
        time.sleep(self.delay_s)
        with self._lock:
            if body.get("force_refresh") or not self.server_tokens:
                self.server_tokens = {secrets.token_hex(16): 7200}
            token, expires = next(iter(self.server_tokens.items()))
        return {"access_token": token, "expires_in": expires}

    def getticket(self, q: dict[str, str]) -> dict:
        """Issue a jsapi_ticket for a valid stable access token."""
        if q.get("type") != "jsapi":
            return {"errcode": 40097, "errmsg": "invalid args"}
        time.sleep(self.delay_s)
        with self._lock:
            if q.get("access_token") not in self.server_tokens:
                return _error(40001)
            ticket = "jsapi-" + secrets.token_hex(20)
            self.tickets[ticket] = q["access_token"]
        return {"errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": 7200}

    def revoke_server_tokens(self) -> None:
        """Invalidate the stable token (as a refresh elsewhere with force_refresh would)."""
        with self._lock:
            self.server_tokens = {}


def _error(errcode: int) -> dict:
    return {"errcode": errcode, "errmsg": ERRORS[errcode]}


def _token_answer(grant: _Grant, token: str) -> dict:
    answer = {"access_token": token, "expires_in": 7200,
              "refresh_token": secrets.token_hex(16), "openid": grant.user.openid,
              "scope": grant.scope}
    if grant.user.unionid:
        answer["unionid"] = grant.user.unionid
    if grant.user.snapshot:
        answer["is_snapshotuser"] = 1
    return answer


def _append_query(url: str, extra: dict[str, str]) -> str:
    """Return ``url`` with ``extra`` added to its query string, keeping the rest."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(extra)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

