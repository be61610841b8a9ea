"""Count the SQL statements a block sends, through SQLAlchemy's cursor event."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from engine.extensions import db


class StatementLog:
    """The statements one block sent, in order."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1}. {s[:160]}" for i, s in enumerate(self.statements))


@contextmanager
def counted() -> Iterator[StatementLog]:
    """Yield a log of every statement this thread's work executes inside the block.

    Savepoints go through the same hook, so they count too. Statements of
    other threads (a live push scheduled earlier) are not the block's.
    """
    found = StatementLog()
    mine = threading.get_ident()

    def note(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == mine:
            found.statements.append(" ".join(statement.split()))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", note)
