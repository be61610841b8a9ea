"""Guard the boundary: body size per route, JSON nesting and control characters, bounded ids.

Everything here refuses a request before a service sees it, cheaply: a body
over its route's limit is refused from its ``Content-Length`` (413, nothing
read); JSON is parsed once, then walked for nesting and control characters
(400); a path id wider than the column it names does not match the route
(404). The limits are written down in docs/hardening.md.
"""

from __future__ import annotations

import json
import re
from itertools import chain, compress
from typing import Any

from flask import current_app, request
from werkzeug.routing import IntegerConverter

from engine.errors import MalformedBody

# the widest value an INTEGER column (ids, counts, ranks...) holds, on PostgreSQL and SQLite
INT_MAX = 2**31 - 1
# the widest value a BIGINT column (scores) holds
BIGINT_MAX = 2**63 - 1
# the longest honest move log of any game type, as a finish body, is about 190 KB
# (racing: 7,200 steers of a 600 s race; tests/engine/test_request_limits.py computes it)
MOVES_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32
# C0 controls and DEL, except tab, line feed and carriage return (text fields may hold those)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# JSON refuses raw C0 controls in strings (not DEL), so a decoded string can only hold
# one written as an escape or a raw DEL; a body without either needs no walk through
# its strings
_ESCAPED_CONTROL = re.compile(r"\\(?:u00[01][0-9a-fA-F]|u007[fF]|[bf])|\x7f")
_CONTAINERS = (dict, list)
_is_container = frozenset(_CONTAINERS).__contains__
_is_dict, _is_list = {dict}.__contains__, {list}.__contains__


def limit_body(max_bytes: int):
    """Give a view (function or ``MethodView`` class) its own body limit in bytes."""
    def mark(view):
        view.max_body_bytes = max_bytes
        return view
    return mark


class ColumnIdConverter(IntegerConverter):
    """Match an ``<int:...>`` path id only when an INTEGER column can hold it (else 404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def column_id_schema(converter: ColumnIdConverter) -> dict:
    """Document a bounded path id in the OpenAPI document."""
    return {"type": "integer", "minimum": converter.min or 0, "maximum": converter.max}


def _refuse(message: str, code: str) -> MalformedBody:
    return MalformedBody(message, code=code)


def _walk(value: Any, strings: bool) -> None:
    """Raise MalformedBody for nesting past MAX_JSON_DEPTH or a control character."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _refuse(f"JSON 嵌套不能超过 {MAX_JSON_DEPTH} 层", "nesting_too_deep")
        pairs = item.items() if type(item) is dict else enumerate(item)
        for key, child in pairs:
            if strings and type(key) is str and CONTROL.search(key):
                raise _refuse("请求含有控制字符", "control_characters")
            if type(child) in _CONTAINERS:
                stack.append((child, depth + 1))
            elif strings and type(child) is str and CONTROL.search(child):
                raise _refuse("请求含有控制字符", "control_characters")


def _check_depth(value: Any) -> None:
    """Raise MalformedBody for nesting past MAX_JSON_DEPTH (strings need no look).

    One level at a time, in C-level passes over all of a level's containers:
    a move log of thousands of small objects costs a few passes, not a
    Python loop per value.
    """
    level = [value]
    for _ in range(MAX_JSON_DEPTH):
        types = list(map(type, level))
        children = list(chain(
            chain.from_iterable(map(dict.values, compress(level, map(_is_dict, types)))),
            chain.from_iterable(compress(level, map(_is_list, types)))))
        level = list(compress(children, map(_is_container, map(type, children))))
        if not level:
            return
    raise _refuse(f"JSON 嵌套不能超过 {MAX_JSON_DEPTH} 层", "nesting_too_deep")


def load_json(raw: bytes | str) -> Any:
    """Parse a request body as JSON, refusing deep nesting and control characters (400)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        value = json.loads(text)
    except RecursionError:
        raise _refuse(f"JSON 嵌套不能超过 {MAX_JSON_DEPTH} 层", "nesting_too_deep") from None
    except ValueError:  # also UnicodeDecodeError
        raise _refuse("请求不是有效的 JSON", "malformed_json") from None
    if type(value) in _CONTAINERS:
        if _ESCAPED_CONTROL.search(text) is not None:
            _walk(value, strings=True)
        else:
            _check_depth(value)
    elif type(value) is str and CONTROL.search(value):
        raise _refuse("请求含有控制字符", "control_characters")
    return value


class GuardedJSON:
    """Stand in for ``flask.json`` where a request body is read (``request.get_json``)."""

    loads = staticmethod(load_json)

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        """Serialize like the app does."""
        return current_app.json.dumps(obj, **kwargs)


def _route_limit() -> int | None:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(getattr(view, "view_class", view), "max_body_bytes", None)


def _has_control(values) -> bool:
    return any(CONTROL.search(value) for value in values)


def guard_request() -> None:
    """Set the route's body limit; refuse control characters in the path, query or form."""
    limit = _route_limit()
    if limit is not None:
        request.max_content_length = limit
    args = request.args
    if (CONTROL.search(request.path) or _has_control(args.keys())
            or _has_control(v for values in args.listvalues() for v in values)):
        raise _refuse("请求地址含有控制字符", "control_characters")
    if request.mimetype == "application/x-www-form-urlencoded":
        form = request.form
        if _has_control(form.keys()) or _has_control(
                v for values in form.listvalues() for v in values):
            raise _refuse("表单含有控制字符", "control_characters")
