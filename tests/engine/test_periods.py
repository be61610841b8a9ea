"""Periods and local midnights are computed in the campaign's zone, DST included."""

from __future__ import annotations

from datetime import UTC, date, datetime

from engine.boards import periods


def test_a_moment_falls_in_the_local_days_and_weeks_bucket():
    late = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)  # 00:30 on the 23rd in Shanghai
    assert periods.period_key("daily", late, "Asia/Shanghai") == "2026-11-23"
    assert periods.period_key("daily", late, "UTC") == "2026-11-22"
    start, end = periods.period_bounds("daily", "2026-11-23", "Asia/Shanghai")
    assert start <= late < end


def test_next_local_midnight_and_the_seconds_to_it():
    moment = datetime(2026, 11, 23, 15, 59, 30, tzinfo=UTC)  # 23:59:30 in Shanghai
    assert periods.next_local_midnight(moment, "Asia/Shanghai") == datetime(
        2026, 11, 23, 16, tzinfo=UTC)
    assert periods.seconds_to_local_midnight(moment, "Asia/Shanghai") == 30
    assert periods.seconds_to_local_midnight(datetime(2026, 11, 23, 16, tzinfo=UTC),
                                             "Asia/Shanghai") == 86_400


def test_a_day_with_a_clock_change_is_23_hours_long():
    start = periods.start_of_day(date(2026, 3, 29), "Europe/Berlin")
    assert start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    end = periods.next_local_midnight(start, "Europe/Berlin")
    assert (end - start).total_seconds() == 23 * 3600
