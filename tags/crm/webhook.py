"""Send one batch of changes to a brand's webhook, signed (API.md "Outbound webhook").

``POST <url>`` with ``{"batch_id", "changes": [...]}``, headers
``X-Hudong-Timestamp: <unix seconds>``, ``X-Hudong-Signature: sha256=<hex
HMAC-SHA256 of "<timestamp>.<raw body>">`` and ``Idempotency-Key: <batch_id>``.
Any 2xx acknowledges; anything else, a timeout or a refused connection is a
failed attempt (the caller schedules the retry).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

import requests

from tags.crm.addresses import AddressRefused, check_destination

USER_AGENT = "Hudong-Webhook/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt at a delivery came to."""

    ok: bool
    status: int | None = None
    error: str = ""
    latency_ms: int = 0


def body_of(batch_id: str, changes: list[dict]) -> bytes:
    """Return the exact bytes sent (and signed) for a batch."""
    return json.dumps({"batch_id": batch_id, "changes": changes}, ensure_ascii=False,
                      separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Return ``sha256=<hex>``: HMAC-SHA256 of ``"<timestamp>.<raw body>"`` keyed by ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookClient:
    """POST signed batches with a timeout, checking the address before each send."""

    def __init__(self, timeout: float, allow_private: bool,
                 session: requests.Session | None = None):
        self.timeout = timeout
        self.allow_private = allow_private
        self.http = session or requests.Session()

    def close(self) -> None:
        """Close the pooled connections."""
        self.http.close()

    def send(self, url: str, secret: str, batch_id: str, changes: list[dict]) -> Outcome:
        """Send one batch; return the outcome (never raises for the receiver's failures)."""
        try:
            check_destination(url, self.allow_private)
        except AddressRefused as exc:
            return Outcome(False, error=f"address refused: {exc}")
        body = body_of(batch_id, changes)
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
                   "X-Hudong-Timestamp": timestamp,
                   "X-Hudong-Signature": signature(secret, timestamp, body),
                   "Idempotency-Key": batch_id}
        began = time.monotonic()
        try:
            resp = self.http.post(url, data=body, headers=headers, timeout=self.timeout,
                                  allow_redirects=False)
        except requests.Timeout:
            return Outcome(False, error=f"timeout after {self.timeout}s", latency_ms=_since(began))
        except requests.RequestException as exc:
            return Outcome(False, error=f"{exc.__class__.__name__}: {str(exc)[:300]}",
                           latency_ms=_since(began))
        latency = _since(began)
        if 200 <= resp.status_code < 300:
            return Outcome(True, resp.status_code, latency_ms=latency)
        return Outcome(False, resp.status_code, f"HTTP {resp.status_code}: {resp.text[:200]}",
                       latency)


def _since(began: float) -> int:
    return int((time.monotonic() - began) * 1000)
