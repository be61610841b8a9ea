"""Periods: the buckets boards reset by, and campaign-local days and midnights.

Every period is computed in the campaign's time zone: a daily bucket is a
local calendar day (key ``2026-11-23``), a weekly bucket an ISO week starting
Monday (key ``2026-W48``), and ``all`` never resets. Daily limits (plays,
draws, a game state's day) roll over at the same local midnight.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.clock import as_utc, local_day

PERIODS = ("all", "daily", "weekly")
CLOSING = ("daily", "weekly")  # the periods that end and are closed; "all" ends with the campaign


def period_key(period: str, moment: datetime, tz: str) -> str:
    """Return the bucket key of ``period`` that ``moment`` falls in, in zone ``tz``."""
    if period == "all":
        return "all"
    day = local_day(moment, tz)
    if period == "daily":
        return day.isoformat()
    if period == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    raise ValueError(f"unknown period {period!r}")


def start_of_day(day: date, tz: str) -> datetime:
    """Return the UTC instant local ``day`` starts in zone ``tz``."""
    return as_utc(datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)))


def period_bounds(period: str, key: str, tz: str) -> tuple[datetime, datetime]:
    """Return the UTC start and end of a daily or weekly bucket in zone ``tz``."""
    if period == "daily":
        first = date.fromisoformat(key)
        last = first + timedelta(days=1)
    elif period == "weekly":
        year, week = key.split("-W")
        first = date.fromisocalendar(int(year), int(week), 1)
        last = first + timedelta(days=7)
    else:
        raise ValueError(f"period {period!r} has no bounds")
    return start_of_day(first, tz), start_of_day(last, tz)


def next_local_midnight(moment: datetime, tz: str) -> datetime:
    """Return the UTC instant the local day after ``moment``'s begins."""
    return start_of_day(local_day(moment, tz) + timedelta(days=1), tz)


def seconds_to_local_midnight(moment: datetime, tz: str) -> int:
    """Return the whole seconds from ``moment`` until the next local day (at least 1)."""
    return max(int((next_local_midnight(moment, tz) - as_utc(moment)).total_seconds()), 1)
