"""Build an HTML form from a game type's marshmallow schema, and read it back.

The form follows the schema: integers get their ``Range`` as min/max, strings
their ``Length`` and ``OneOf``, nested schemas become groups, lists of nested
schemas become tables of rows (an empty last row adds one, a ticked box
removes one). A string validated as a URL or path is an image: it gets a file
input beside it (``file.<path>``). Values come back typed for the schema,
which stays the judge: its messages are shown beside the fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from marshmallow import Schema, fields, validate

from engine.web.console.names import param_help, param_label
from games.fields import IMAGE_RE

PREFIX = "p."
FILE_PREFIX = "file."
DELETE = "_delete"
_INT_RE = re.compile(r"^-?\d{1,12}$")


@dataclass
class FormField:
    """One input (or group of inputs) of the generated form."""

    path: str
    name: str
    kind: str  # int | text | choice | bool | image | group | rows
    label: str = ""
    help: str = ""
    value: object = None
    low: int | None = None
    high: int | None = None
    maxlength: int | None = None
    choices: tuple = ()
    children: list[FormField] = field(default_factory=list)
    rows: list[list[FormField]] = field(default_factory=list)
    max_rows: int | None = None
    min_rows: int | None = None


def _limits(f: fields.Field) -> dict:
    found: dict = {}
    for v in f.validators:
        if isinstance(v, validate.Range):
            found["low"], found["high"] = v.min, v.max
        elif isinstance(v, validate.Length):
            found["maxlength"] = v.max
            found["min_rows"], found["max_rows"] = v.min, v.max
        elif isinstance(v, validate.OneOf):
            found["choices"] = tuple(v.choices)
        elif isinstance(v, validate.Regexp) and v.regex.pattern == IMAGE_RE:
            found["image"] = True
    return found


def _nested_schema(f: fields.Field) -> Schema | None:
    if isinstance(f, fields.Nested):
        return f.schema
    return None


def describe(schema: Schema, values: dict, path: str = "") -> list[FormField]:
    """Return the form fields of ``schema`` filled with ``values``."""
    out = []
    for name, f in schema.fields.items():
        here = f"{path}{name}"
        value = (values or {}).get(name)
        lim = _limits(f)
        base = {"path": here, "name": name, "label": param_label(name), "help": param_help(name)}
        if (nested := _nested_schema(f)) is not None:
            out.append(FormField(kind="group", children=describe(nested, value or {}, here + "."),
                                 **base))
        elif isinstance(f, fields.List) and (inner := _nested_schema(f.inner)) is not None:
            rows = [describe(inner, row, f"{here}.{i}.") for i, row in enumerate(value or [])]
            if lim.get("max_rows") is None or len(rows) < lim["max_rows"]:
                rows.append(describe(inner, {}, f"{here}.{len(rows)}."))  # a blank row adds one
            out.append(FormField(kind="rows", rows=rows, min_rows=lim.get("min_rows"),
                                 max_rows=lim.get("max_rows"), **base))
        elif isinstance(f, fields.Integer):
            out.append(FormField(kind="int", value=value, low=lim.get("low"),
                                 high=lim.get("high"), **base))
        elif isinstance(f, fields.Boolean):
            out.append(FormField(kind="bool", value=bool(value), **base))
        elif isinstance(f, fields.String):
            kind = "choice" if lim.get("choices") else "image" if lim.get("image") else "text"
            out.append(FormField(kind=kind, value=value if value is not None else "",
                                 maxlength=lim.get("maxlength"), choices=lim.get("choices", ()),
                                 **base))
    return out


def image_paths(form: list[FormField]) -> list[str]:
    """Return the paths of every image field in ``form``, rows included."""
    found = []
    for f in form:
        if f.kind == "image":
            found.append(f.path)
        found += image_paths(f.children)
        for row in f.rows:
            found += image_paths(row)
    return found


def _typed(schema: Schema, name: str, raw: str):
    f = schema.fields.get(name)
    if isinstance(f, fields.Integer) and _INT_RE.match(raw.strip()):
        return int(raw.strip())
    if isinstance(f, fields.Boolean):
        return raw not in ("", "0", "false", "off")
    return raw


def _assign(schema: Schema, target: dict, parts: list[str], raw: str) -> None:
    name = parts[0]
    f = schema.fields.get(name)
    if f is None:
        return
    if len(parts) == 1:
        if not (isinstance(f, fields.Integer) and not raw.strip()):  # empty: the default
            target[name] = _typed(schema, name, raw)
        return
    if isinstance(f, fields.List) and (inner := _nested_schema(f.inner)) is not None:
        if not parts[1].isdigit() or len(parts) < 3:
            return
        rows = target.setdefault(name, {})
        row = rows.setdefault(int(parts[1]), {})
        if parts[2] == DELETE:
            row[DELETE] = True
        else:
            _assign(inner, row, parts[2:], raw)
    elif (nested := _nested_schema(f)) is not None:
        _assign(nested, target.setdefault(name, {}), parts[1:], raw)


def _rows_to_lists(schema: Schema, data: dict) -> dict:
    for name, f in schema.fields.items():
        if name not in data:
            continue
        if isinstance(f, fields.List) and isinstance(data[name], dict):
            inner = _nested_schema(f.inner)
            rows = [data[name][i] for i in sorted(data[name])]
            kept = [r for r in rows if not r.get(DELETE) and any(v not in ("", None)
                                                                 for v in r.values())]
            data[name] = [_rows_to_lists(inner, r) for r in kept]
        elif (nested := _nested_schema(f)) is not None and isinstance(data[name], dict):
            data[name] = _rows_to_lists(nested, data[name])
    return data


def read(schema: Schema, form: dict[str, str]) -> dict:
    """Return the params posted in ``form`` (keys ``p.<path>``) shaped for ``schema``."""
    data: dict = {}
    for key, raw in form.items():
        if key.startswith(PREFIX):
            _assign(schema, data, key[len(PREFIX):].split("."), raw)
    for name, f in schema.fields.items():  # an unticked checkbox posts nothing
        if isinstance(f, fields.Boolean) and name not in data:
            data[name] = False
    return _rows_to_lists(schema, data)


def flatten_errors(messages, path: str = "") -> dict[str, list[str]]:
    """Return marshmallow's nested messages keyed by dotted path."""
    if isinstance(messages, list):
        return {path.rstrip(".") or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in (messages or {}).items():
        key = "" if key == "_schema" and not path else str(key)
        for k, v in flatten_errors(value, f"{path}{key}." if key else path).items():
            flat.setdefault(k, []).extend(v)
    return flat


def set_path(data: dict, path: str, value) -> bool:
    """Set ``value`` at dotted ``path`` in nested dicts and lists; False if it is not there.

    A path into a row that was not posted (the blank row left empty) is not there.
    """
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return False
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            return False
    if not isinstance(node, dict):
        return False
    node[parts[-1]] = value
    return True
