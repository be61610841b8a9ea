"""Catch a Redis round trip made while this thread's SQL transaction holds a write.

The rule (docs/architecture.md): no Redis round trip inside an open SQL write
transaction. On SQLite under gevent the write lock is held until the commit,
and a Redis call in between yields to other greenlets whose writes then wait
on that lock, blocking the whole worker ("database is locked"; commits
c6d1bad and e702b00 each fixed one). Nothing here is mocked: SQLAlchemy's
engine events mark a DBAPI connection as written when an INSERT, UPDATE or
DELETE (a data-modifying CTE too) runs on it, until its transaction commits
or rolls back or the pool takes it back; redis-py's
``Connection.send_packed_command``, the one call every round trip makes,
runs as it does, after checking whether this thread holds such a connection.
"""

from __future__ import annotations

import re
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from redis.connection import AbstractConnection
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

# a statement that writes: its own verb, or a WITH whose parts insert, update or delete
_WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b|\b(INSERT\s+INTO|UPDATE\s+\S+\s+SET|"
                     r"DELETE\s+FROM)\b", re.IGNORECASE)


@dataclass
class WriteGuard:
    """The connections holding a write per thread, and the round trips made meanwhile."""

    written: dict[int, dict[int, str]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrote(self, dbapi_connection, statement: str) -> None:
        with self.lock:
            mine = self.written.setdefault(threading.get_ident(), {})
            mine.setdefault(id(dbapi_connection), " ".join(statement.split())[:200])

    def ended(self, dbapi_connection) -> None:
        with self.lock:
            for held in self.written.values():
                held.pop(id(dbapi_connection), None)

    def check(self, command) -> None:
        with self.lock:
            held = list(self.written.get(threading.get_ident(), {}).values())
        if held:
            # the project's own frames: where the round trip was asked for
            frames = [f for f in traceback.extract_stack()[:-2]
                      if "site-packages" not in f.filename and "/lib/python" not in f.filename]
            where = "".join(traceback.format_list(frames[-8:]))
            self.violations.append(f"Redis round trip while a write transaction is open "
                                   f"(first write: {held[0]}):\n{where}")


@contextmanager
def guarded() -> Iterator[WriteGuard]:
    """Yield a guard that notes every Redis round trip made while holding a SQL write."""
    guard = WriteGuard()

    def after_execute(conn, _cursor, statement, _params, _context, _many):
        if conn.in_transaction() and _WRITES.search(statement):
            guard.wrote(conn.connection.dbapi_connection, statement)

    def ended(conn):
        guard.ended(conn.connection.dbapi_connection)

    def returned(dbapi_connection, *_args):
        guard.ended(dbapi_connection)

    real = AbstractConnection.send_packed_command

    def send(self, command, check_health=True):
        guard.check(command)
        return real(self, command, check_health)

    hooks = [(Engine, "after_cursor_execute", after_execute), (Engine, "commit", ended),
             (Engine, "rollback", ended), (Pool, "checkin", returned), (Pool, "reset", returned)]
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    AbstractConnection.send_packed_command = send
    try:
        yield guard
    finally:
        AbstractConnection.send_packed_command = real
        for target, name, fn in hooks:
            event.remove(target, name, fn)
