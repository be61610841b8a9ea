"""The ``Idempotency-Key`` header: the same key from the same player gets the first answer.

A view decorated with ``idempotent`` and called with the header runs at
most once per (player, key): its answer, success or refusal, is stored and
returned word for word to every retry, so a retried draw, claim, session
start or share spends nothing twice. A retry while the first request still
runs is told to wait (409 ``idempotency_in_progress``); the same key on
another endpoint is 409 ``idempotency_conflict``. Without the header a
request runs as usual. The player is this browser's identity as rate limits
see it (``engine.access.rate_limits.player_key``).
"""

from __future__ import annotations

import copy
import logging
import re
from functools import wraps

from flask import jsonify, make_response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.access.rate_limits import player_key
from engine.api.errors import handle_domain_error
from engine.errors import DomainError, IdempotencyConflict, ValidationFailed
from engine.extensions import db
from engine.models import IdempotencyKey

log = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
PARAMETER = {"in": "header", "name": HEADER, "required": False,
             "description": "retry with the same key: the first answer again, nothing spent twice",
             "schema": {"type": "string", "pattern": KEY_PATTERN.pattern}}


def _claim(owner: str, key: str, scope: str) -> IdempotencyKey | None:
    """Insert the key as running; return the earlier row if it was there already."""
    try:
        db.session.add(IdempotencyKey(owner=owner, key=key, scope=scope))
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(select(IdempotencyKey).where(
            IdempotencyKey.owner == owner, IdempotencyKey.key == key))


def _store(owner: str, key: str, status: int | None, body: dict | None) -> None:
    db.session.rollback()  # whatever the view left unfinished is not part of the answer
    row = db.session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.owner == owner, IdempotencyKey.key == key))
    if status is None:
        db.session.delete(row)  # an unexpected failure: let a retry run again
    else:
        row.status, row.body = status, body
    db.session.commit()


def _replay(row: IdempotencyKey, scope: str):
    if row.scope != scope:
        raise IdempotencyConflict()
    if row.status is None:
        raise IdempotencyConflict("上一次请求仍在处理，请稍后再试",
                                  code="idempotency_in_progress", retry_after=1)
    response = jsonify(row.body)
    response.status_code = row.status
    retry_after = ((row.body or {}).get("error") or {}).get("retry_after")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view):
    """Run ``view`` once per ``Idempotency-Key``; answer retries with the stored answer.

    Place it outermost (above ``blp.arguments``) so the stored answer is the
    serialized one. A malformed body is refused before any key is stored.
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not KEY_PATTERN.match(key):
            raise ValidationFailed(fields={HEADER: ["8-64 letters, digits or _.:-"]})
        owner, scope = player_key()[:64], f"{request.method} {request.path}"[:255]
        earlier = _claim(owner, key, scope)
        if earlier is not None:
            return _replay(earlier, scope)
        try:
            response = view(*args, **kwargs)
        except DomainError as exc:
            refused = handle_domain_error(exc)
            _store(owner, key, refused.status_code, refused.get_json())
            return refused
        except BaseException:
            _store(owner, key, None, None)
            raise
        _store_response(owner, key, response)
        return response
    wrapper._apidoc = copy.deepcopy(getattr(view, "_apidoc", {}))
    wrapper._apidoc.setdefault("manual_doc", {}).setdefault("parameters", []).append(PARAMETER)
    return wrapper


def _store_response(owner: str, key: str, response) -> None:
    made = make_response(response)
    _store(owner, key, made.status_code, made.get_json(silent=True))
