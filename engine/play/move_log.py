"""Keep a session's input log: compact JSON, zlib-compressed, for audit and re-scoring."""

from __future__ import annotations

import json
import zlib
from typing import Any

# fast over small: a log is compressed on every finish
_LEVEL = 6


def compress(moves: list[Any]) -> bytes:
    """Return ``moves`` as compressed bytes, exactly as the client sent them."""
    return zlib.compress(json.dumps(moves, separators=(",", ":")).encode(), _LEVEL)


def decompress(blob: bytes) -> list[Any]:
    """Return the input log stored by ``compress``."""
    return json.loads(zlib.decompress(blob))
