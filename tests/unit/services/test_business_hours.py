"""The 24-business-hour review clock: weekends, national holidays and bridge days do not count."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from autogestion.clock import LOCAL_TZ
from autogestion.services.business_hours import add_business_hours, business_hours_between, is_business_day


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    "start,deadline",
    [
        # a plain Tuesday morning: the next day, same time
        (local(2026, 11, 10, 9, 30), local(2026, 11, 11, 9, 30)),
        # Friday afternoon: the weekend does not count
        (local(2026, 11, 13, 15, 0), local(2026, 11, 16, 15, 0)),
        # sent on a Saturday: the clock starts on Monday
        (local(2026, 11, 14, 11, 0), local(2026, 11, 17, 0, 0)),
        # Friday before Monday 23/11 (Día de la Soberanía Nacional): due on Tuesday
        (local(2026, 11, 20, 10, 0), local(2026, 11, 24, 10, 0)),
        # a long weekend with a bridge day: Mon 7/12 (puente) and Tue 8/12 (Inmaculada Concepción)
        (local(2026, 12, 4, 18, 0), local(2026, 12, 9, 18, 0)),
        # the change of year: Thursday 31/12 → Friday 1/1 is a holiday, then the weekend
        (local(2026, 12, 31, 12, 0), local(2027, 1, 4, 12, 0)),
        # Christmas on a Friday
        (local(2026, 12, 24, 8, 0), local(2026, 12, 28, 8, 0)),
        # Carnival Monday and Tuesday
        (local(2027, 2, 5, 9, 0), local(2027, 2, 10, 9, 0)),
    ],
)
def test_deadline_skips_weekends_and_holidays(start, deadline):
    assert add_business_hours(start, 24) == deadline


def test_zero_hours_on_a_business_day_is_now_and_on_a_holiday_the_next_business_day():
    assert add_business_hours(local(2026, 11, 10, 9, 0), 0) == local(2026, 11, 10, 9, 0)
    assert add_business_hours(local(2026, 11, 23, 9, 0), 0) == local(2026, 11, 24, 0, 0)


def test_input_and_output_are_utc_aware():
    deadline = add_business_hours(local(2026, 11, 10, 9, 0))
    assert deadline.utcoffset().total_seconds() == 0
    assert deadline.astimezone(LOCAL_TZ) == local(2026, 11, 11, 9, 0)


@pytest.mark.parametrize(
    "day,business",
    [
        (date(2026, 11, 30), True),
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 3, 23), False),  # bridge day before 24/3
        (date(2026, 7, 10), False),  # bridge day after 9/7
        (date(2026, 11, 9), False),  # declared holiday
    ],
)
def test_business_days(day, business):
    assert is_business_day(day) is business


def test_business_hours_between_counts_only_business_time():
    assert business_hours_between(local(2026, 11, 13, 15, 0), local(2026, 11, 16, 15, 0)) == 24
    assert business_hours_between(local(2026, 11, 16, 15, 0), local(2026, 11, 13, 15, 0)) == -24
    assert business_hours_between(local(2026, 11, 14, 0, 0), local(2026, 11, 16, 0, 0)) == 0


def test_negative_hours_refused():
    with pytest.raises(ValueError):
        add_business_hours(local(2026, 11, 10, 9, 0), -1)
