"""A small client for WeCom's external-contact API (企业微信 客户联系), as documented.

- ``GET /cgi-bin/gettoken?corpid&corpsecret`` → ``{access_token, expires_in}``
- ``POST /cgi-bin/externalcontact/get_corp_tag_list`` ``{"group_id": [...]}`` →
  ``{tag_group: [{group_id, group_name, tag: [{id, name}]}]}``
- ``POST /cgi-bin/externalcontact/add_corp_tag`` ``{"group_id"|"group_name", "tag": [{"name"}]}``
  → ``{tag_group: {group_id, group_name, tag: [{id, name}]}}``
- ``POST /cgi-bin/externalcontact/mark_tag``
  ``{"userid", "external_userid", "add_tag": [...], "remove_tag": [...]}``
- ``POST /cgi-bin/externalcontact/unionid_to_external_userid`` ``{"unionid", "openid"}``
  → ``{external_userid}``
- ``GET /cgi-bin/externalcontact/get?external_userid`` → ``{follow_user: [{userid}]}``

Errors come back as HTTP 200 with ``{"errcode", "errmsg"}``. The access token
is cached in Redis until shortly before it expires, shared by every process,
and refreshed by one process at a time under a lock. Calls per corp to
``mark_tag`` are limited to a few at once across processes (WeCom answers
45033 beyond its concurrency limit).
"""

from __future__ import annotations

import logging
import secrets
import time

import redis
import requests

from engine import keys

log = logging.getLogger(__name__)

TOKEN_INVALID = {40014, 41001, 42001}  # invalid, missing, expired access token
BUSY = {-1, 45033}  # system busy; too many concurrent calls
TAG_ID_INVALID = 40068
TAG_NAME_EXISTS = 40071
NOT_A_CONTACT = 84061
TOKEN_MARGIN_S = 300
SLOT_TTL_S = 30  # a holder killed mid-call frees its slot after this


class WeComError(Exception):
    """WeCom answered with an ``errcode`` or could not be reached (-2)."""

    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"wecom {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeComClient:
    """Call WeCom's external-contact API for one corp with a shared, cached token."""

    def __init__(self, corp_id: str, secret: str, *, api_base: str, store: redis.Redis,
                 timeout: float = 10.0, mark_concurrency: int = 5,
                 session: requests.Session | None = None):
        self.corp_id = corp_id
        self.secret = secret
        self.api_base = api_base.rstrip("/")
        self.store = store
        self.timeout = timeout
        self.mark_concurrency = mark_concurrency
        self.http = session or requests.Session()

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self.http.close()

    # the access token -----------------------------------------------------------------

    def token(self) -> str:
        """Return the corp's access token: cached, else fetched once under a lock."""
        cached = self.store.get(keys.wecom_token(self.corp_id))
        if cached:
            return _text(cached)
        with self.store.lock(keys.wecom_token_lock(self.corp_id), timeout=self.timeout + 5,
                             blocking_timeout=self.timeout + 5):
            cached = self.store.get(keys.wecom_token(self.corp_id))
            if cached:  # another process refreshed it while we waited
                return _text(cached)
            data = self._request("GET", "/cgi-bin/gettoken",
                                 params={"corpid": self.corp_id, "corpsecret": self.secret})
            ttl = max(int(data.get("expires_in", 7200)) - TOKEN_MARGIN_S, 60)
            self.store.set(keys.wecom_token(self.corp_id), data["access_token"], ex=ttl)
            return data["access_token"]

    def _forget(self, token: str) -> None:
        key = keys.wecom_token(self.corp_id)
        if _text(self.store.get(key) or "") == token:
            self.store.delete(key)

    # calls ----------------------------------------------------------------------------

    def call(self, method: str, path: str, body: dict | None = None,
             params: dict | None = None) -> dict:
        """Call an API path with the token; refresh it once if WeCom calls it invalid."""
        for attempt in (1, 2):
            token = self.token()
            try:
                return self._request(method, path, body=body,
                                     params={**(params or {}), "access_token": token})
            except WeComError as exc:
                if exc.errcode not in TOKEN_INVALID or attempt == 2:
                    raise
                log.info("wecom token for %s refused (%s): refreshing", self.corp_id,
                         exc.errcode)
                self._forget(token)
        raise AssertionError("unreachable")

    def _request(self, method: str, path: str, body: dict | None = None,
                 params: dict | None = None) -> dict:
        try:
            resp = self.http.request(method, self.api_base + path, params=params, json=body,
                                     timeout=self.timeout)
            resp.raise_for_status()
            data = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeComError(-2, f"wecom unreachable: {exc.__class__.__name__}") from exc
        errcode = int(data.get("errcode", 0) or 0)
        if errcode:
            raise WeComError(errcode, str(data.get("errmsg", "")))
        return data

    # the API ----------------------------------------------------------------------------

    def corp_tags(self, group_ids: list[str] | None = None) -> list[dict]:
        """Return the corp's tag groups with their tags (all, or of ``group_ids``)."""
        body = {"group_id": group_ids} if group_ids else {}
        return self.call("POST", "/cgi-bin/externalcontact/get_corp_tag_list", body)["tag_group"]

    def add_corp_tags(self, names: list[str], group_id: str | None = None,
                      group_name: str | None = None) -> dict:
        """Create tags in a group (by id, or a new group by name); return the group."""
        body: dict = {"tag": [{"name": name} for name in names]}
        if group_id:
            body["group_id"] = group_id
        else:
            body["group_name"] = group_name
        return self.call("POST", "/cgi-bin/externalcontact/add_corp_tag", body)["tag_group"]

    def mark_tag(self, userid: str, external_userid: str, add: list[str],
                 remove: list[str]) -> None:
        """Add and remove tags on one contact, within the corp's concurrency limit."""
        body = {"userid": userid, "external_userid": external_userid}
        if add:
            body["add_tag"] = add
        if remove:
            body["remove_tag"] = remove
        for attempt in range(4):
            with self._slot():
                try:
                    self.call("POST", "/cgi-bin/externalcontact/mark_tag", body)
                    return
                except WeComError as exc:
                    if exc.errcode not in BUSY or attempt == 3:
                        raise
            time.sleep(0.05 * 2 ** attempt + secrets.randbelow(50) / 1000)

    def external_userid_for(self, unionid: str, openid: str) -> str | None:
        """Return the contact's external_userid for a WeChat unionid, if the corp has them."""
        try:
            data = self.call("POST", "/cgi-bin/externalcontact/unionid_to_external_userid",
                             {"unionid": unionid, "openid": openid})
        except WeComError as exc:
            if exc.errcode == NOT_A_CONTACT:
                return None
            raise
        return data.get("external_userid") or None

    def follow_userids(self, external_userid: str) -> list[str]:
        """Return the staff userids who have the contact."""
        data = self.call("GET", "/cgi-bin/externalcontact/get",
                         params={"external_userid": external_userid})
        return [f["userid"] for f in data.get("follow_user", []) if f.get("userid")]

    # the per-corp semaphore -------------------------------------------------------------

    def _slot(self) -> _Slot:
        return _Slot(self.store, keys.wecom_mark_slots(self.corp_id), self.mark_concurrency)


class _Slot:
    """Hold one of ``limit`` places of a Redis sorted-set semaphore (shared by processes)."""

    def __init__(self, store: redis.Redis, key: str, limit: int, wait_s: float = 30.0):
        self.store, self.key, self.limit, self.wait_s = store, key, limit, wait_s
        self.member = secrets.token_hex(8)

    def __enter__(self) -> _Slot:
        deadline = time.monotonic() + self.wait_s
        while True:
            now = time.time()
            pipe = self.store.pipeline(transaction=True)
            pipe.zremrangebyscore(self.key, "-inf", now - SLOT_TTL_S)
            pipe.zadd(self.key, {self.member: now})
            pipe.zrank(self.key, self.member)
            pipe.expire(self.key, SLOT_TTL_S)
            rank = pipe.execute()[2]
            if rank is not None and rank < self.limit:
                return self
            self.store.zrem(self.key, self.member)
            if time.monotonic() > deadline:
                raise WeComError(45033, "no mark_tag slot free in time")
            time.sleep(0.005 + secrets.randbelow(10) / 1000)

    def __exit__(self, *exc) -> None:
        self.store.zrem(self.key, self.member)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
