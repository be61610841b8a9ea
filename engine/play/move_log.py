"""Keep a session's input log, zlib-compressed, for audit and re-scoring.

A finish keeps its request body as the client sent it (the log in it, with the
token and the claimed score), compressed: the log is not encoded again. Logs
kept before that are the compact JSON of the moves alone; ``decompress``
reads both.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

# fast over small: a log is compressed on every finish
_LEVEL = 6


def compress(moves: list[Any]) -> bytes:
    """Return ``moves`` as compressed compact JSON."""
    return zlib.compress(json.dumps(moves, separators=(",", ":")).encode(), _LEVEL)


def compress_body(body: bytes) -> bytes:
    """Return a finish request's body (a JSON object with its ``moves``) compressed."""
    return zlib.compress(body, _LEVEL)


def decompress(blob: bytes) -> list[Any]:
    """Return the input log kept by ``compress_body`` (or, before it, ``compress``)."""
    kept = json.loads(zlib.decompress(blob))
    return kept["moves"] if isinstance(kept, dict) else kept
