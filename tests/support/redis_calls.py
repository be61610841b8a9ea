"""Count the Redis round trips a block makes, at redis-py's connection.

Every request redis-py writes to a server, one command or a whole pipeline,
goes through ``Connection.send_packed_command`` once: one call is one round
trip, whichever client sent it (the app's, Flask-Limiter's, the Socket.IO
message queue's, a pub/sub publisher's). The real method runs; it is only
watched, like SQL statements through SQLAlchemy's cursor event.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from redis.connection import AbstractConnection


class RoundTripLog:
    """The round trips one block made, in order, each as the commands it carried."""

    def __init__(self) -> None:
        self.trips: list[list[str]] = []

    def __len__(self) -> int:
        return len(self.trips)

    def commands(self) -> int:
        """Return how many commands the round trips carried in all."""
        return sum(len(trip) for trip in self.trips)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1}. {' | '.join(trip)}" for i, trip in enumerate(self.trips))


def _names(packed) -> list[str]:
    """Return the command names in a packed request (RESP arrays of bulk strings)."""
    parts = [packed] if isinstance(packed, (bytes, bytearray, memoryview, str)) else packed
    raw = b"".join(p.encode() if isinstance(p, str) else bytes(p) for p in parts)
    names, at = [], 0
    while at < len(raw):
        end = raw.index(b"\r\n", at)
        count, at = int(raw[at + 1:end]), end + 2  # *<n>
        for i in range(count):  # $<len>, then the argument's bytes
            end = raw.index(b"\r\n", at)
            size, at = int(raw[at + 1:end]), end + 2
            if i == 0:
                names.append(raw[at:at + size].decode(errors="replace").upper())
            at += size + 2
    return names


@contextmanager
def counted_round_trips() -> Iterator[RoundTripLog]:
    """Yield a log of every Redis round trip this thread makes inside the block.

    Round trips of other threads (a live push scheduled earlier, the pub/sub
    listener) are not the block's.
    """
    found = RoundTripLog()
    mine = threading.get_ident()
    real = AbstractConnection.send_packed_command

    def watched(self, command, check_health=True):
        if threading.get_ident() == mine:
            found.trips.append(_names(command))
        return real(self, command, check_health)

    AbstractConnection.send_packed_command = watched
    try:
        yield found
    finally:
        AbstractConnection.send_packed_command = real
