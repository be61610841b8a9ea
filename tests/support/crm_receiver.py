"""A local CRM webhook receiver that behaves like a careful real one.

It checks ``X-Hudong-Signature`` over ``"<timestamp>.<raw body>"`` and refuses
stale timestamps (replays), applies each batch once per ``Idempotency-Key``
(a batch seen before is acknowledged, not applied again), and counts how
often each change was applied. On command it answers 500, or hangs past the
sender's timeout (after applying, the nastiest moment for a sender).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter

from tests.support.local_http import Answer, LocalHttpServer, Request

MAX_SKEW_S = 300


class CrmReceiver(LocalHttpServer):
    """Serve one webhook endpoint on 127.0.0.1 from a daemon thread."""

    name = "crm-receiver"

    def __init__(self, secret: str = ""):
        super().__init__()
        self.secret = secret
        self.applied: Counter[int] = Counter()  # change id -> times applied
        self.batches: list[str] = []  # batch ids applied, in order
        self.requests = 0
        self.refused: list[str] = []  # why requests were refused (bad signature, replay)
        self.fail = 0  # answer this many requests with 500 first (nothing applied)
        self.hang_s = 0.0  # then sleep this long before answering (after applying)
        self.hang_count = 0  # how many requests hang
        self.hang_batches: set[int] = set()  # or: the requests applying these (1st = 1) hang
        self.hanging = threading.Event()  # set when a request starts to hang
        self._lock = threading.RLock()

    @property
    def url(self) -> str:
        """Return the endpoint URL."""
        return f"{self.base_url}/hooks/hudong"

    def respond(self, request: Request) -> Answer:
        """Apply a POSTed batch once; hang after applying when told to."""
        if request.method != "POST":
            return Answer.json({"error": "POST only"}, 405)
        with self._lock:  # apply and decide to hang at once: a batch number is exact
            applied_before = len(self.batches)
            status, answer = self.handle(request.headers, request.body)
            applied = len(self.batches) if len(self.batches) > applied_before else 0
            hang = self.take_hang(applied) if status == 200 else 0.0
        if hang:
            self.hanging.set()
            time.sleep(hang)
        return Answer.json(answer, status)

    def handle(self, headers, body: bytes) -> tuple[int, dict]:
        """Check, dedupe and apply one request; return the status and answer."""
        with self._lock:  # reentrant: respond holds it too
            self.requests += 1
            if self.fail > 0:
                self.fail -= 1
                return 500, {"error": "told to fail"}
            problem = self._problem(headers, body)
            if problem:
                self.refused.append(problem)
                return 401, {"error": problem}
            key = headers.get("Idempotency-Key", "")
            if key in self.batches:
                return 200, {"duplicate": True}
            batch = json.loads(body)
            if batch["batch_id"] != key:
                return 400, {"error": "batch id differs from Idempotency-Key"}
            self.batches.append(key)
            self.applied.update(change["id"] for change in batch["changes"])
            return 200, {"applied": len(batch["changes"])}

    def _problem(self, headers, body: bytes) -> str:
        timestamp = headers.get("X-Hudong-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW_S:
            return "stale or missing timestamp"
        expected = "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-Hudong-Signature", "")):
            return "bad signature"
        return ""

    def take_hang(self, applied: int = 0) -> float:
        """Return how long the current request should hang (and count it).

        ``applied`` is the number of the batch the request applied (0: none new).
        """
        with self._lock:
            if applied in self.hang_batches:
                return self.hang_s
            if self.hang_count > 0:
                self.hang_count -= 1
                return self.hang_s
            return 0.0

