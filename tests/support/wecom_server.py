"""A local stand-in for WeCom's external-contact API (企业微信 客户联系), as documented.

Endpoints: ``GET /cgi-bin/gettoken``, ``POST /cgi-bin/externalcontact/get_corp_tag_list``,
``add_corp_tag``, ``mark_tag``, ``unionid_to_external_userid`` and
``GET /cgi-bin/externalcontact/get``. Errors are HTTP 200 with
``{"errcode", "errmsg"}``: 40001 bad secret, 40014 / 42001 invalid / expired
token, 40068 unknown tag id, 40071 tag name taken, 45033 too many
concurrent calls, 84061 not a contact, -1 busy.

It keeps contacts with their tags and counts *effective* changes (a tag
actually added or removed), so a test can tell a replayed call (no change)
from a change applied twice. On command it fails calls, expires tokens,
deletes tags behind the client's back, and slows ``mark_tag`` so that
concurrency becomes visible.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import Counter

from tests.support.local_http import Answer, LocalHttpServer, Request

ERRORS = {-1: "system busy", 40001: "invalid secret", 40014: "invalid access_token",
          40068: "invalid tagid", 40071: "UserTag Name Already Exist",
          41001: "access_token missing",
          42001: "access_token expired", 45033: "api concurrent out of limit",
          84061: "not external contact"}
_ids = itertools.count(1)


class FakeWeCom(LocalHttpServer):
    """Serve WeCom's external-contact endpoints for one corp on 127.0.0.1."""

    name = "fake-wecom"

    def __init__(self, corp_id: str = "ww0123456789abcdef", secret: str = "contact-secret-0123",
                 concurrency: int = 5, tag_name_max: int = 30):
        super().__init__()
        self.corp_id, self.secret = corp_id, secret
        self.concurrency, self.tag_name_max = concurrency, tag_name_max
        self.tokens: set[str] = set()
        self.groups: dict[str, dict] = {}  # group_id -> {"name", "tags": {tag_id: name}}
        self.contacts: dict[str, dict] = {}  # external_userid -> {"userids", "tags": set}
        self.unionids: dict[str, str] = {}  # unionid -> external_userid
        self.effective: Counter = Counter()  # (external_userid, tag_id, "add"|"remove")
        self.calls: Counter = Counter()  # path -> count
        self.failures: dict[str, list[int]] = {}  # path -> errcodes to answer first
        self.mark_delay_s = 0.0
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()

    # setup and commands ---------------------------------------------------------------

    def add_contact(self, external_userid: str, userid: str = "staff-1",
                    unionid: str | None = None) -> None:
        """Make someone an external contact of staff member ``userid``."""
        self.contacts[external_userid] = {"userids": [userid], "tags": set()}
        if unionid:
            self.unionids[unionid] = external_userid

    def fail(self, path: str, *errcodes: int) -> None:
        """Answer the next calls to ``path`` (e.g. "mark_tag") with these errcodes."""
        self.failures.setdefault(path, []).extend(errcodes)

    def expire_tokens(self) -> None:
        """Make every issued token expired (42001 on its next use)."""
        self.tokens.clear()

    def delete_tag(self, tag_id: str) -> None:
        """Delete a tag in the admin console, behind the client's back."""
        for group in self.groups.values():
            group["tags"].pop(tag_id, None)
        for contact in self.contacts.values():
            contact["tags"].discard(tag_id)

    def tags_of(self, external_userid: str) -> set[str]:
        """Return the tag names a contact carries."""
        names = {tid: name for g in self.groups.values() for tid, name in g["tags"].items()}
        return {names[tid] for tid in self.contacts[external_userid]["tags"]}

    # the API --------------------------------------------------------------------------

    def respond(self, request: Request) -> Answer:
        """Answer every call with HTTP 200 and a JSON body, errors included, as WeCom does."""
        answer = self.handle(request.method, request.path, request.query, request.json())
        return Answer.json(answer, content_type="application/json; charset=UTF-8")

    def handle(self, method: str, path: str, query: dict, body: dict) -> dict:
        """Answer one call as WeCom would."""
        name = path.rsplit("/", 1)[-1]
        with self._lock:
            self.calls[name] += 1
            queued = self.failures.get(name)
            if queued:
                return _error(queued.pop(0))
        if name == "gettoken":
            return self._gettoken(query)
        token = query.get("access_token")
        if not token:
            return _error(41001)
        if token not in self.tokens:
            return _error(42001)
        handler = {"get_corp_tag_list": self._tag_list, "add_corp_tag": self._add_tag,
                   "mark_tag": self._mark_tag, "unionid_to_external_userid": self._unionid,
                   "get": self._get_contact}.get(name)
        return handler(query, body) if handler else _error(-1)

    def _gettoken(self, query: dict) -> dict:
        if query.get("corpid") != self.corp_id or query.get("corpsecret") != self.secret:
            return _error(40001)
        token = secrets.token_hex(16)
        with self._lock:
            self.tokens.add(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def _group_view(self, group_id: str) -> dict:
        group = self.groups[group_id]
        return {"group_id": group_id, "group_name": group["name"], "deleted": False,
                "tag": [{"id": tid, "name": name, "deleted": False}
                        for tid, name in group["tags"].items()]}

    def _tag_list(self, _query: dict, body: dict) -> dict:
        wanted = body.get("group_id") or list(self.groups)
        return {"errcode": 0, "errmsg": "ok",
                "tag_group": [self._group_view(g) for g in wanted if g in self.groups]}

    def _add_tag(self, _query: dict, body: dict) -> dict:
        with self._lock:
            names = [t.get("name", "") for t in body.get("tag", [])]
            if any(not n or len(n) > self.tag_name_max for n in names):
                return _error(40071)
            group_id = body.get("group_id")
            if group_id is None:
                if any(g["name"] == body.get("group_name") for g in self.groups.values()):
                    return _error(40071)
                group_id = f"et-group-{next(_ids)}"
                self.groups[group_id] = {"name": body.get("group_name", ""), "tags": {}}
            elif group_id not in self.groups:
                return _error(40068)
            tags = self.groups[group_id]["tags"]
            if any(n in tags.values() for n in names):
                return _error(40071)
            for n in names:
                tags[f"et-tag-{next(_ids)}"] = n
            return {"errcode": 0, "errmsg": "ok", "tag_group": self._group_view(group_id)}

    def _mark_tag(self, _query: dict, body: dict) -> dict:
        with self._lock:
            if self.in_flight >= self.concurrency:
                return _error(45033)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.mark_delay_s:
                time.sleep(self.mark_delay_s)
            return self._apply_marks(body)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _apply_marks(self, body: dict) -> dict:
        with self._lock:
            contact = self.contacts.get(body.get("external_userid", ""))
            if contact is None or body.get("userid") not in contact["userids"]:
                return _error(84061)
            known = {tid for g in self.groups.values() for tid in g["tags"]}
            wanted = list(body.get("add_tag", [])) + list(body.get("remove_tag", []))
            if any(tid not in known for tid in wanted):
                return _error(40068)
            for tid in body.get("add_tag", []):
                if tid not in contact["tags"]:
                    contact["tags"].add(tid)
                    self.effective[(body["external_userid"], tid, "add")] += 1
            for tid in body.get("remove_tag", []):
                if tid in contact["tags"]:
                    contact["tags"].discard(tid)
                    self.effective[(body["external_userid"], tid, "remove")] += 1
            return {"errcode": 0, "errmsg": "ok"}

    def _unionid(self, _query: dict, body: dict) -> dict:
        external = self.unionids.get(body.get("unionid", ""))
        if external is None:
            return _error(84061)
        return {"errcode": 0, "errmsg": "ok", "external_userid": external}

    def _get_contact(self, query: dict, _body: dict) -> dict:
        contact = self.contacts.get(query.get("external_userid", ""))
        if contact is None:
            return _error(84061)
        return {"errcode": 0, "errmsg": "ok",
                "external_contact": {"external_userid": query["external_userid"], "type": 1},
                "follow_user": [{"userid": u} for u in contact["userids"]]}


def _error(errcode: int) -> dict:
    return {"errcode": errcode, "errmsg": ERRORS.get(errcode, "error")}

