"""Write golden files as JSON with one list item per line, so diffs stay readable."""

from __future__ import annotations

import json


def line(value) -> str:
    """Return ``value`` as compact JSON on one line."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps(doc: dict, list_keys: tuple[str, ...]) -> str:
    """Return ``doc`` as JSON: top-level keys on a line each, then ``cases`` expanded.

    In each case, the lists named in ``list_keys`` put one item per line.
    """
    parts = ["{"] + [f' "{key}": {line(value)},' for key, value in doc.items()
                     if key != "cases"] + [' "cases": [']
    for n, case in enumerate(doc["cases"]):
        fields = []
        for key, value in case.items():
            if key in list_keys and value:
                rows = ",\n    ".join(line(v) for v in value)
                fields.append(f'   "{key}": [\n    {rows}\n   ]')
            else:
                fields.append(f'   "{key}": {line(value)}')
        sep = "," if n + 1 < len(doc["cases"]) else ""
        parts.append("  {\n" + ",\n".join(fields) + "\n  }" + sep)
    parts.append(" ]\n}\n")
    return "\n".join(parts)
