"""Render benchmark rows as one plain-text table."""

from __future__ import annotations

from dataclasses import dataclass

COLUMNS = ("figure", "value", "unit", "peer/baseline", "ratio")


@dataclass(frozen=True)
class Row:
    """One figure: its value, and a peer measured or set as its yardstick."""

    figure: str
    value: float | str  # text when there is no figure, e.g. "skipped (needs PostgreSQL)"
    unit: str
    peer: float | None = None
    peer_label: str = ""

    @property
    def ratio(self) -> float | None:
        """Return value / peer, or None without a peer."""
        if self.peer is None or self.peer == 0 or isinstance(self.value, str):
            return None
        return self.value / self.peer


def format_number(value: float | str | None) -> str:
    """Return ``value`` with as many decimals as its size deserves (text as it is)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cells(row: Row) -> tuple[str, ...]:
    peer = format_number(row.peer)
    if peer and row.peer_label:
        peer = f"{peer} ({row.peer_label})"
    ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
    return row.figure, format_number(row.value), row.unit, peer, ratio


def render(rows: list[Row]) -> str:
    """Return the table of ``rows`` with aligned columns."""
    lines = [COLUMNS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    right = {1, 4}  # numbers read best aligned on the right

    def fmt(line: tuple[str, ...]) -> str:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        return " | ".join(cells).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([fmt(lines[0]), rule, *(fmt(line) for line in lines[1:])])
