"""Argentine display formats shared by pages, e-mails and PDFs: money "$ 12.345,67", dates dd/mm/aaaa."""

from __future__ import annotations

from datetime import date


def format_money(cents: int) -> str:
    """Format an amount of cents the Argentine way.

    Args:
        cents: Amount in cents (negative amounts get a leading minus sign).

    Returns:
        The amount as "$ 12.345,67".
    """
    sign = "-" if cents < 0 else ""
    pesos, rest = divmod(abs(int(cents)), 100)
    return f"{sign}$ {pesos:,}".replace(",", ".") + f",{rest:02d}"


def format_date(day: date) -> str:
    """Format a date as dd/mm/aaaa.

    Args:
        day: The date (a datetime is formatted by its date part).

    Returns:
        The date as "09/11/2020".
    """
    return day.strftime("%d/%m/%Y")


def format_period(period: str) -> str:
    """Format a billing period "aaaa-mm" as "mm/aaaa" (the way invoices print it).

    Args:
        period: The period as stored, "2026-11".

    Returns:
        "11/2026"; a malformed value is returned unchanged.
    """
    year, sep, month = period.partition("-")
    return f"{month}/{year}" if sep else period


def format_mobile(e164: str) -> str:
    """+5492644123456 → "+54 9 264 412-3456" (as Argentines write it); unchanged if unparseable."""
    import phonenumbers

    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "AR"), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
