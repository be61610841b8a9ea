"""Count each request's SQL statements into an ``X-SQL-Statements`` answer header.

On only with ``SQL_STATEMENT_HEADER=1`` (the bench reads it to print statements
per request beside req/s). A statement counts toward the request whose
greenlet or thread sent it; pushes and jobs outside a request count nowhere.
"""

from __future__ import annotations

from flask import Flask, Response, g, has_request_context
from sqlalchemy import event

from engine.extensions import db

HEADER = "X-SQL-Statements"


def init_app(app: Flask) -> None:
    """Count the statements of every request of ``app`` and answer the count."""
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", _note)
    app.after_request(_answer)


def _note(*_args) -> None:
    if has_request_context():
        g.sql_statements = g.get("sql_statements", 0) + 1


def _answer(response: Response) -> Response:
    response.headers[HEADER] = str(g.get("sql_statements", 0))
    return response
