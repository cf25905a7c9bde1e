"""The arithmetic of a payment plan ("Plan de Pago"): instalments, due dates and their rows for a page.

Pure functions, no database: money is integer cents throughout and the interest is computed exactly
(`fractions.Fraction`) before rounding once.

- **Amounts.** French amortisation (a fixed instalment): for a principal P, a monthly rate r
  (`monthly_rate_bp` / 10 000) and n instalments, the exact instalment is A = P·r / (1 − (1 + r)^−n),
  or P / n when r = 0. The plan's total is n·A rounded to the cent (half up), so at 0 % it is the
  principal exactly. The total is then split into n whole-cent instalments of ⌊total / n⌋ and the
  remaining cents (fewer than n) go one each to the last instalments: the last one always carries the
  rounding, the instalments add up exactly to the total, and no two differ by more than one cent.
- **Dates.** Instalment N° k is due k − 1 months after `first_due` (N° 1 on `first_due` itself), on
  the same day of the month, clamped to the month's last day (31/01 → 28/02 → 31/03: the clamp does not
  carry over), then moved to the next business day: weekends and Argentine national holidays (bridge
  days included) are skipped, as in `business_hours`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from math import floor

from autogestion.services.business_hours import is_business_day
from autogestion.services.errors import ValidationError
from autogestion.services.formatting import format_date, format_money

ALLOWED_INSTALLMENTS = (1, 3, 6, 12)
MAX_MONTHLY_RATE_BP = 1000  # 10 % a month


@dataclass(frozen=True)
class Installment:
    """One instalment ("cuota") of a plan: its number (from 1), due date and amount in cents."""

    number: int
    due_on: date
    amount_cents: int


def next_business_day(day: date) -> date:
    """The day itself if it is a business day, otherwise the next one.

    Args:
        day: A calendar date.

    Returns:
        The first weekday on or after `day` that is not an Argentine national holiday.
    """
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def _add_months(day: date, months: int) -> date:
    """`day` plus `months` months, on the same day of the month or the month's last day if shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate(principal_cents: object, installments: object, monthly_rate_bp: object, first_due: object) -> None:
    if not _is_int(installments) or installments not in ALLOWED_INSTALLMENTS:
        allowed = ", ".join(str(n) for n in ALLOWED_INSTALLMENTS)
        raise ValidationError(f"La cantidad de cuotas debe ser {allowed}.", field="installments")
    if not _is_int(principal_cents) or principal_cents <= 0:
        raise ValidationError("El monto a financiar debe ser mayor que cero.", field="principal_cents")
    if not _is_int(monthly_rate_bp) or not 0 <= monthly_rate_bp <= MAX_MONTHLY_RATE_BP:
        raise ValidationError("La tasa mensual debe estar entre 0 % y 10 %.", field="monthly_rate_bp")
    if not isinstance(first_due, date) or isinstance(first_due, datetime):
        raise ValidationError("La fecha del primer vencimiento no es válida.", field="first_due")


def _exact_installment(principal_cents: int, installments: int, monthly_rate_bp: int) -> Fraction:
    """The French-amortisation instalment, exact: P·r / (1 − (1 + r)^−n), or P / n without interest."""
    if monthly_rate_bp == 0:
        return Fraction(principal_cents, installments)
    rate = Fraction(monthly_rate_bp, 10_000)
    return principal_cents * rate / (1 - (1 + rate) ** -installments)


def schedule(*, principal_cents: int, installments: int, monthly_rate_bp: int, first_due: date) -> list[Installment]:
    """The instalments of a plan, in order.

    Args:
        principal_cents: The amount financed, in cents (more than zero).
        installments: How many instalments, one of ALLOWED_INSTALLMENTS.
        monthly_rate_bp: Monthly interest in basis points (250 = 2,5 % a month), 0 to 1000.
        first_due: The due date of instalment N° 1 (moved to a business day if it is not one).

    Returns:
        The instalments; their amounts add up exactly to the plan's total (`total_cents`).

    Raises:
        ValidationError: An argument is out of range or of the wrong type.
    """
    _validate(principal_cents, installments, monthly_rate_bp, first_due)
    exact_total = installments * _exact_installment(principal_cents, installments, monthly_rate_bp)
    total = floor(exact_total + Fraction(1, 2))  # half up; exact_total > 0
    base, extra = divmod(total, installments)
    return [
        Installment(
            number=k,
            due_on=next_business_day(_add_months(first_due, k - 1)),
            amount_cents=base + (1 if k > installments - extra else 0),
        )
        for k in range(1, installments + 1)
    ]


def total_cents(items: Iterable[Installment]) -> int:
    """What the plan costs in all: the sum of its instalments, in cents."""
    return sum(item.amount_cents for item in items)


def describe(items: Iterable[Installment]) -> list[tuple[str, str, str]]:
    """Rows for a page: (N°, due date "dd/mm/aaaa", amount "$ 12.345,67") for each instalment."""
    return [(str(item.number), format_date(item.due_on), format_money(item.amount_cents)) for item in items]
