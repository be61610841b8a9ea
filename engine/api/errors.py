"""The one error body, and the one map from domain errors to HTTP statuses.

Every error leaves Hudong in the shape of API.md —
``{"error": {"code", "message", "fields"}}`` (plus ``retry_after`` on a
wait) — built by :func:`error_body` alone: REST answers, HTML-page fallbacks
and the Socket.IO ``error`` event all use it. Domain errors know nothing of
HTTP; :data:`STATUS` below is the only place that gives them a status.

The rule for 400 and 422: 400 means the request cannot be read (unparseable
JSON, nesting too deep, control characters); 422 ``validation_error`` means
well-formed input fails its schema, and other 422 codes that it breaks a rule.
"""

from __future__ import annotations

import logging

from flask import Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from engine import errors
from games import UnknownGameType

log = logging.getLogger(__name__)

# the HTTP status of each domain error; a subclass takes its nearest parent's
STATUS: dict[type[errors.DomainError], int] = {
    errors.DomainError: 400,
    errors.MalformedBody: 400,
    errors.NotAuthenticated: 401,
    errors.Forbidden: 403,
    errors.CampaignNotLive: 403,
    errors.SnapshotUser: 403,
    errors.InvalidToken: 403,
    errors.CouponNotAvailable: 403,
    errors.MissingScope: 403,
    errors.NotFound: 404,
    errors.AlreadyFinished: 409,
    errors.CouponsExhausted: 409,
    errors.CouponLimitReached: 409,
    errors.AlreadyRedeemed: 409,
    errors.Conflict: 409,
    errors.GoalAlreadyReached: 409,
    errors.IdempotencyConflict: 409,
    errors.SessionExpired: 410,
    errors.CouponExpired: 410,
    errors.ImportTooLarge: 413,
    errors.BodyTooLarge: 413,
    errors.InvalidMoves: 422,
    errors.ReplayMismatch: 422,
    errors.InvalidParams: 422,
    errors.ValidationFailed: 422,
    errors.CouponNotYetValid: 422,
    errors.CouponUnderReview: 422,
    errors.Unprocessable: 422,
    errors.NoSessions: 422,
    errors.UnknownAction: 422,
    errors.NoPlaysLeft: 429,
    errors.NoDrawsLeft: 429,
    errors.ActionNotReady: 429,
    errors.ExternalServiceError: 502,
}

# the error code of a plain HTTP error (a route that does not exist, a wrong method...)
HTTP_CODES = {
    400: "malformed_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
    500: "internal_error",
}
_MESSAGES = {
    404: "找不到该对象", 405: "不支持该请求方法", 413: "请求内容过大",
    415: "不支持该内容类型", 500: "服务器内部错误",
}
# webargs nests messages by location; the contract has fields only
_LOCATIONS = {"json", "query", "form", "files", "headers", "cookies", "view_args"}


def status_of(error: errors.DomainError) -> int:
    """Return the HTTP status of a domain error (its nearest mapped class)."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(code: str, message: str, fields: dict | None = None,
               retry_after: int | None = None) -> dict:
    """Return the API.md error shape: ``{"error": {"code", "message", "fields"}}``."""
    error = {"code": code, "message": message, "fields": fields or {}}
    if retry_after is not None:
        error["retry_after"] = int(retry_after)
    return {"error": error}


def error_response(status: int, code: str, message: str, fields: dict | None = None,
                   retry_after: int | None = None, headers=None) -> Response:
    """Return a JSON response carrying :func:`error_body`.

    A wait (429) is told twice: the ``Retry-After`` header and ``retry_after``
    (seconds) in the error, for clients that cannot read headers.
    """
    resp = jsonify(error_body(code, message, fields, retry_after))
    resp.status_code = status
    for name, value in headers or ():
        resp.headers[name] = value
    if retry_after is not None:
        resp.headers["Retry-After"] = str(int(retry_after))
    return resp


def _wants_page() -> bool:
    # HTML pages answer HTML; the API, /live and anything asking for JSON answer JSON
    if request.path.startswith("/api/"):
        return False
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _page(status: int, message: str):
    template = "not_found.html" if status == 404 else "error.html"
    return render_template(template, status=status, message=message), status


def _flatten(messages) -> dict:
    if isinstance(messages, dict) and set(messages) <= _LOCATIONS:
        merged: dict = {}
        for part in messages.values():
            merged.update(part if isinstance(part, dict) else {"_schema": part})
        return merged
    return messages if isinstance(messages, dict) else {"_schema": messages}


def handle_domain_error(error: errors.DomainError):
    """Answer a domain error with its mapped status, as JSON (or a page for a browser)."""
    status = status_of(error)
    if _wants_page():
        return _page(status, error.message)
    return error_response(status, error.code, error.message, error.fields, error.retry_after)


def handle_http_exception(error: HTTPException):
    """Answer an HTTP error (a missing route, 405, 413, webargs' failures) in the one shape."""
    status = error.code or 500
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages is not None:  # webargs: the body or query failed its schema
        if getattr(error, "exc", None) is not None and not hasattr(error.exc, "messages"):
            return error_response(400, "malformed_request", "请求不是有效的 JSON",
                                  _flatten(messages))
        return error_response(422, "validation_error", "请求参数有误", _flatten(messages))
    message = _MESSAGES.get(status) or error.description or HTTP_CODES.get(status, "error")
    if _wants_page():
        return _page(status, message)
    # keep what the exception says in headers (405's Allow), not its HTML content type
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return error_response(status, HTTP_CODES.get(status, "error"), message, headers=headers)


def handle_unknown_game_type(error: UnknownGameType):
    """Answer a campaign whose game type is not installed as not found (logged)."""
    log.warning("unknown game type: %s", error)
    return handle_domain_error(errors.NotFound("该活动的游戏类型不存在", code="unknown_game_type"))


def register_error_handlers(app) -> None:
    """Send every error of the app through this module."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(errors.DomainError, handle_domain_error)
    app.register_error_handler(UnknownGameType, handle_unknown_game_type)
