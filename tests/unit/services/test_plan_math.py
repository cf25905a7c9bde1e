"""Payment-plan arithmetic: exact cents, French amortisation, due dates on Argentine business days."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

import holidays
import pytest

from autogestion.services.errors import ValidationError
from autogestion.services.plan_math import (
    ALLOWED_INSTALLMENTS,
    Installment,
    describe,
    next_business_day,
    schedule,
    total_cents,
)

PRINCIPALS = (1, 2, 11, 99, 100, 12_345_67, 9_999_999_99)
RATES_BP = (0, 1, 250, 999, 1000)


def plan(principal: int = 100_000, n: int = 3, rate: int = 1000, first_due: date = date(2026, 11, 25)):
    return schedule(principal_cents=principal, installments=n, monthly_rate_bp=rate, first_due=first_due)


def expected_total(principal: int, n: int, rate_bp: int) -> int:
    """The plan's total worked out independently of the module: n·A with Decimal, rounded half up."""
    if rate_bp == 0:
        return principal
    with localcontext() as ctx:
        ctx.prec = 60
        r = Decimal(rate_bp) / 10_000
        instalment = Decimal(principal) * r / (1 - (1 + r) ** -n)
        return int((n * instalment).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- amounts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("principal,n,rate", list(itertools.product(PRINCIPALS, ALLOWED_INSTALLMENTS, RATES_BP)))
def test_instalments_add_up_exactly_to_the_total(principal, n, rate):
    items = plan(principal, n, rate)
    amounts = [item.amount_cents for item in items]
    assert [item.number for item in items] == list(range(1, n + 1))
    assert all(type(a) is int and a >= 0 for a in amounts)
    assert sum(amounts) == total_cents(items) == expected_total(principal, n, rate)
    # a fixed instalment: whole cents apart at most one, and the rounding lands on the last ones
    assert max(amounts) - min(amounts) <= 1
    assert amounts == sorted(amounts)


@pytest.mark.parametrize("principal,n", list(itertools.product(PRINCIPALS, ALLOWED_INSTALLMENTS)))
def test_without_interest_the_total_is_the_principal_in_near_equal_parts(principal, n):
    amounts = [item.amount_cents for item in plan(principal, n, 0)]
    assert sum(amounts) == principal
    assert max(amounts) - min(amounts) <= 1


@pytest.mark.parametrize(
    "principal,n,rate,amounts",
    [
        # A = P·r / (1 − (1 + r)^−n) = 100000 · 0,1 / (1 − 1,1^−3) = 13310000/331 = 40211,4803… cents;
        # total = 3·A = 120634,44… → 120634 = 40211 + 40211 + 40212 (the last cent on the last cuota)
        (100_000, 3, 1000, [40211, 40211, 40212]),
        # one instalment at 2,5 %: P·(1 + r) = 100000 · 1,025
        (100_000, 1, 250, [102_500]),
        # 0 %: 100 cents in 3 → 33 + 33 + 34; in 6 → four of 17, two of 16 → 16,16,17,17,17,17
        (100, 3, 0, [33, 33, 34]),
        (100, 6, 0, [16, 16, 17, 17, 17, 17]),
        # 1 cent in 3 parts: nothing can be split, the cent goes to the last instalment
        (1, 3, 0, [0, 0, 1]),
        # 1.000.000 cents, 12 cuotas at 2,5 %: A = 10000·0,025/(1 − 1,025^−12) = 97487,13 → total 1169845,5… → 1169846
        (1_000_000, 12, 250, [97487] * 10 + [97488] * 2),
    ],
)
def test_known_values(principal, n, rate, amounts):
    assert [item.amount_cents for item in plan(principal, n, rate)] == amounts


def test_interest_makes_the_plan_cost_more():
    totals = [total_cents(plan(12_345_67, 12, rate)) for rate in RATES_BP]
    assert totals[0] == 12_345_67
    assert totals == sorted(totals) and len(set(totals)) == len(totals)


# --- due dates --------------------------------------------------------------------------------------


def test_the_holiday_calendar_is_the_one_these_tests_expect():
    ar_2027 = holidays.country_holidays("AR", years=2027)
    assert {date(2027, 3, 24), date(2027, 3, 25), date(2027, 3, 26)} <= set(ar_2027)
    assert date(2027, 3, 29) not in ar_2027
    assert date(2026, 12, 25) in holidays.country_holidays("AR", years=2026)


@pytest.mark.parametrize(
    "day,expected",
    [
        (date(2026, 11, 18), date(2026, 11, 18)),  # a plain Wednesday stays
        (date(2026, 11, 14), date(2026, 11, 16)),  # Saturday → Monday
        (date(2026, 11, 15), date(2026, 11, 16)),  # Sunday → Monday
        (date(2026, 12, 25), date(2026, 12, 28)),  # Christmas, a Friday → Monday 28
        (date(2026, 11, 23), date(2026, 11, 24)),  # Monday holiday (Soberanía Nacional) → Tuesday
        (date(2026, 12, 7), date(2026, 12, 9)),  # bridge Monday 7 and Tuesday 8 (Inmaculada) → Wednesday
        # Wednesday 24/03/2027 (Memoria), then Maundy Thursday and Good Friday, then the weekend → Monday 29
        (date(2027, 3, 24), date(2027, 3, 29)),
    ],
)
def test_next_business_day(day, expected):
    assert next_business_day(day) == expected


def due_dates(first_due: date, n: int = 3) -> list[date]:
    return [item.due_on for item in plan(n=n, first_due=first_due)]


def test_a_31st_clamps_to_the_end_of_shorter_months_without_carrying_over():
    # past years, whose calendars will not change; none of these days is a weekend or a holiday
    assert due_dates(date(2025, 1, 31)) == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    # a leap year: 29/02/2024 (Thursday)
    assert due_dates(date(2024, 1, 31))[:2] == [date(2024, 1, 31), date(2024, 2, 29)]
    # its 31/03/2024 is Easter Sunday, then bridge Monday 01/04 and Malvinas Tuesday 02/04 → Wednesday 03/04
    assert due_dates(date(2024, 1, 31))[2] == date(2024, 4, 3)


def test_a_clamped_date_on_a_weekend_moves_on():
    # 28/02/2026 is a Saturday → Monday 02/03; 31/01/2026 a Saturday too → Monday 02/02
    assert due_dates(date(2026, 1, 31)) == [date(2026, 2, 2), date(2026, 3, 2), date(2026, 3, 31)]


def test_the_schedule_follows_the_first_due_date_month_by_month():
    assert due_dates(date(2025, 5, 15), 6) == [
        date(2025, 5, 15),
        date(2025, 6, 17),  # 15/06/2025 is a Sunday and Monday 16/06/2025 a holiday (Güemes)
        date(2025, 7, 15),
        date(2025, 8, 18),  # Friday 15/08/2025 was a bridge day
        date(2025, 9, 15),
        date(2025, 10, 15),
    ]
    assert [item.due_on for item in plan(n=12, first_due=date(2026, 1, 15))][-1] == date(2026, 12, 15)


def test_due_dates_skip_sundays_and_holidays():
    # 18/10/2026 is a Sunday → Monday 19/10
    assert due_dates(date(2026, 10, 18), 1) == [date(2026, 10, 19)]
    # 25/12/2026 (Friday, Christmas) → Monday 28/12
    assert due_dates(date(2026, 11, 25)) == [date(2026, 11, 25), date(2026, 12, 28), date(2027, 1, 25)]
    # 24/03/2027 (Wednesday), 25 and 26 (Maundy Thursday, Good Friday), the weekend → Monday 29/03
    assert due_dates(date(2027, 2, 24)) == [date(2027, 2, 24), date(2027, 3, 29), date(2027, 4, 26)]


def test_a_shifted_due_date_does_not_shift_the_following_ones():
    # N° 2 moves from 25/12 to 28/12, N° 3 stays on the 25th
    assert due_dates(date(2026, 11, 25))[2].day == 25


# --- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"installments": 0}, "installments"),
        ({"installments": 2}, "installments"),
        ({"installments": 7}, "installments"),
        ({"installments": 24}, "installments"),
        ({"installments": -3}, "installments"),
        ({"installments": True}, "installments"),
        ({"installments": "3"}, "installments"),
        ({"installments": 3.0}, "installments"),
        ({"installments": None}, "installments"),
        ({"principal_cents": 0}, "principal_cents"),
        ({"principal_cents": -100}, "principal_cents"),
        ({"principal_cents": 100.0}, "principal_cents"),
        ({"principal_cents": Decimal("100")}, "principal_cents"),
        ({"principal_cents": "100"}, "principal_cents"),
        ({"principal_cents": True}, "principal_cents"),
        ({"monthly_rate_bp": -1}, "monthly_rate_bp"),
        ({"monthly_rate_bp": 1001}, "monthly_rate_bp"),
        ({"monthly_rate_bp": 2.5}, "monthly_rate_bp"),
        ({"monthly_rate_bp": "250"}, "monthly_rate_bp"),
        ({"monthly_rate_bp": True}, "monthly_rate_bp"),
        ({"monthly_rate_bp": None}, "monthly_rate_bp"),
        ({"first_due": "2026-11-25"}, "first_due"),
        ({"first_due": datetime(2026, 11, 25, 10, 0)}, "first_due"),
        ({"first_due": None}, "first_due"),
    ],
)
def test_bad_inputs_are_refused(kwargs, field):
    good = {"principal_cents": 100_000, "installments": 3, "monthly_rate_bp": 250, "first_due": date(2026, 11, 25)}
    with pytest.raises(ValidationError) as caught:
        schedule(**{**good, **kwargs})
    assert caught.value.field == field
    assert caught.value.message  # a Spanish sentence for the page


@pytest.mark.parametrize("n", ALLOWED_INSTALLMENTS)
@pytest.mark.parametrize("rate", [0, 1000])
def test_the_limits_themselves_are_accepted(n, rate):
    assert len(plan(1, n, rate)) == n


# --- totals and rows --------------------------------------------------------------------------------


def test_total_and_rows_for_a_page():
    items = plan(1_234_567, 3, 0, date(2026, 11, 25))
    assert total_cents(items) == 1_234_567
    assert total_cents([]) == 0
    assert describe(items) == [
        ("1", "25/11/2026", "$ 4.115,22"),
        ("2", "28/12/2026", "$ 4.115,22"),
        ("3", "25/01/2027", "$ 4.115,23"),
    ]


def test_an_instalment_is_frozen():
    item = Installment(number=1, due_on=date(2026, 11, 25), amount_cents=100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.amount_cents = 1  # type: ignore[misc]
