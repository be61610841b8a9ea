"""Schema pieces every game type's params and input log share.

Each game type's ``schema.py`` builds its own schemas from these, so an
image rule or an input-log check is written once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

# an absolute http(s) URL, a protocol-relative URL, or a path; no quotes, spaces or
# angle brackets, so the value is safe anywhere the client puts it
IMAGE_RE = r"^(|(https?:)?//[^\s\"'<>\\]+|[\w./~%-][^\s\"'<>\\:]*)$"
# a log names at most this many malformed moves: enough to debug, little to send back
MAX_REPORTED = 10


class RawList(fields.List):
    """Load a JSON array as it is: one type check for the whole list, none per item.

    ``fields.List(fields.Raw())`` calls a field per item, and on a long input
    log that costs more than its replay; the items are checked by whoever reads
    them (a game's own moves check). The OpenAPI document still shows an array.
    """

    def __init__(self, **kwargs):
        super().__init__(fields.Raw(allow_none=True), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return value


def image() -> fields.String:
    """Return an optional image URL or path field (empty: the client draws its own)."""
    return fields.String(load_default="", validate=[
        validate.Length(max=500), validate.Regexp(IMAGE_RE, error="Not a URL or path.")])


def bounded_int(default: int | None, low: int, high: int) -> fields.Integer:
    """Return a strict integer field in ``[low, high]`` (required when no default)."""
    extra = {"required": True} if default is None else {"load_default": default}
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high), **extra)


def moves_schema(valid_move: Callable[[Any], bool], expected: str, max_moves: int,
                 name: str, doc: str,
                 all_valid: Callable[[list], bool] | None = None) -> type[Schema]:
    """Return a schema loading ``{"moves": [...]}`` whose every move ``valid_move`` accepts.

    One validator runs over the whole list: a nested schema per move costs
    more than the replay itself on long logs. ``all_valid``, when given, says
    the same of the whole list in C-level passes; only a list it doubts is
    checked move by move. A malformed move is named by its index with the
    ``expected`` shape (at most ``MAX_REPORTED``).
    """

    def check(moves: list) -> None:
        if all_valid is not None and all_valid(moves):
            return
        bad = {}
        for i, move in enumerate(moves):
            if not valid_move(move):
                bad[i] = [expected]
                if len(bad) == MAX_REPORTED:
                    break
        if bad:
            raise ValidationError(bad)

    moves = RawList(required=True, validate=[validate.Length(max=max_moves), check])
    return type(name, (Schema,), {"__doc__": doc, "moves": moves})
