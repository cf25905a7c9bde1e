"""Argentine display formats."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from autogestion.services.formatting import format_date, format_money, format_period


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$ 0,00"),
        (5, "$ 0,05"),
        (100, "$ 1,00"),
        (99999, "$ 999,99"),
        (100000, "$ 1.000,00"),
        (1234567, "$ 12.345,67"),
        (100000000, "$ 1.000.000,00"),
        (-150, "-$ 1,50"),
    ],
)
def test_format_money(cents, text):
    assert format_money(cents) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(date(2020, 11, 9), "09/11/2020"), (datetime(2026, 1, 2, 23, 59), "02/01/2026")],
)
def test_format_date(value, text):
    assert format_date(value) == text


@pytest.mark.parametrize(("period", "text"), [("2026-11", "11/2026"), ("2024-01", "01/2024"), ("raro", "raro")])
def test_format_period(period, text):
    assert format_period(period) == text
