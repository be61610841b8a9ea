"""The flask-smorest ``Api`` with Hudong's single error shape.

Every error, whether a domain error, a schema validation failure, a
malformed body or a plain HTTP error, leaves as
``{"error": {"code", "message", "fields"}}`` (API.md).
"""

from __future__ import annotations

import logging

import flask_smorest
from flask import jsonify, request
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from engine.errors import DomainError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "too_large",
    415: "unsupported_media_type", 422: "unprocessable", 429: "rate_limited",
    500: "internal_error",
}


class Parser(FlaskParser):
    """Report schema failures as 400 ``validation_error`` (malformed request)."""

    DEFAULT_VALIDATION_STATUS = 400


def error_response(status: int, code: str, message: str, fields=None, retry_after=None):
    """Return a Flask response carrying the API.md error shape.

    A wait (429) is told twice: the ``Retry-After`` header and ``retry_after``
    (seconds) in the error, for clients that cannot read headers.
    """
    error = {"code": code, "message": message, "fields": fields or {}}
    if retry_after is not None:
        error["retry_after"] = int(retry_after)
    resp = jsonify({"error": error})
    resp.status_code = status
    if retry_after is not None:
        resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def _flatten_messages(messages) -> dict:
    # webargs nests messages by location ("json", "query"); the contract has fields only
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "files",
                                                        "headers", "cookies", "view_args"}:
        merged = {}
        for part in messages.values():
            merged.update(part if isinstance(part, dict) else {"_schema": part})
        return merged
    return messages if isinstance(messages, dict) else {"_schema": messages}


class Api(flask_smorest.Api):
    """Register the one error handler for the whole app."""

    ARGUMENTS_PARSER = Parser()

    def _register_error_handlers(self):
        self._app.register_error_handler(HTTPException, self.handle_http_exception)
        self._app.register_error_handler(DomainError, handle_domain_error)

    def handle_http_exception(self, error: HTTPException):
        """Turn an HTTP exception (including webargs' 400) into the error shape."""
        if not request.path.startswith("/api/") and error.code == 404:
            return error  # pages keep their HTML 404
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        if messages is not None:
            return error_response(400, "validation_error", "请求参数有误",
                                  _flatten_messages(messages))
        code = HTTP_CODES.get(error.code or 500, "error")
        return error_response(error.code or 500, code, error.description or code)


def handle_domain_error(error: DomainError):
    """Answer a domain error with its status and the API.md shape."""
    return error_response(error.status, error.code, error.message, error.fields,
                          error.retry_after)
