"""The review clock: "24 horas hábiles" counted on Argentine business days.

An hour counts when it falls on a weekday (Monday to Friday, in San Juan time) that is not an Argentine
national holiday — movable holidays and the government's bridge days ("feriados puente") included, from
the `holidays` package. Whole days count: a photo sent on Friday at 15:00 is due on Monday at 15:00, and
one sent on Saturday is due on Tuesday at 00:00 (its clock starts on Monday). Updating `holidays` brings
the calendars of later years.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from autogestion.clock import LOCAL_TZ, to_local

REVIEW_HOURS = 24


@lru_cache(maxsize=32)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("AR", years=year).keys())


def is_business_day(day: date) -> bool:
    """A weekday that is not an Argentine national holiday."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_business_hours(start: datetime, hours: int = REVIEW_HOURS) -> datetime:
    """The moment `hours` business hours after start (aware UTC in, aware UTC out).

    Args:
        start: When the clock starts (aware; naive means UTC).
        hours: Business hours to add (0 or more).

    Returns:
        The deadline, in UTC.
    """
    if hours < 0:
        raise ValueError("hours must not be negative")
    local = to_local(start)
    remaining = timedelta(hours=hours)
    cursor = local
    while True:
        day = cursor.date()
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
        if is_business_day(day):
            available = next_midnight - cursor
            if remaining <= available:
                return (cursor + remaining).astimezone(UTC)
            remaining -= available
        cursor = next_midnight


def business_hours_between(start: datetime, end: datetime) -> float:
    """Business hours from start to end (negative when end is earlier): "time left" before a deadline."""
    if end < start:
        return -business_hours_between(end, start)
    cursor, total = to_local(start), timedelta(0)
    last = to_local(end)
    while cursor < last:
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
        stop = min(next_midnight, last)
        if is_business_day(cursor.date()):
            total += stop - cursor
        cursor = stop
    return total.total_seconds() / 3600
