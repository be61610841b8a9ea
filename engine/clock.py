"""Tell the time: aware UTC datetimes, campaign-local days, milliseconds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as aware UTC (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_ms(moment: datetime) -> int:
    """Return milliseconds since the Unix epoch, computed in integers."""
    return (as_utc(moment) - EPOCH) // timedelta(milliseconds=1)


def local_day(moment: datetime, tz: str) -> date:
    """Return the calendar day ``moment`` falls on in zone ``tz``."""
    return as_utc(moment).astimezone(ZoneInfo(tz)).date()


def isoformat(moment: datetime | None) -> str | None:
    """Return ISO 8601 with offset, or None."""
    return None if moment is None else as_utc(moment).isoformat()
