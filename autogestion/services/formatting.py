"""How things are written for people, shared by pages, e-mails and PDFs: money "$ 12.345,67", dates
dd/mm/aaaa, documents "DNI 20123456", and masked documents, e-mails and mobiles."""

from __future__ import annotations

import re
from datetime import date

from autogestion.models import DOCUMENT_TYPES


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


def document_label(doc_type: str, doc_number: str) -> str:
    """ "DNI 20123456", "Pasaporte AB123456": how pages and notices write a document."""
    return f"{DOCUMENT_TYPES.get(doc_type, (doc_type, doc_type))[0]} {doc_number}".strip()


# --- masking (enumeration-safe messages) ----------------------------------------------------------


def mask_document(doc_number: str) -> str:
    """Hide all but the last three characters of a document number: "20123456" -> "*****456"."""
    text = doc_number if isinstance(doc_number, str) else ""
    return "*" * max(len(text) - 3, 0) + text[-3:]


def mask_email(email: str) -> str:
    """Hide most of an address: "juan@gmail.com" -> "j***@g***.com".

    Args:
        email: a stored (valid) address.

    Returns:
        The masked address, or "***" for anything that does not look like an address.
    """
    if not isinstance(email, str) or email.count("@") != 1:
        return "***"
    local, domain = email.split("@")
    if not local or "." not in domain or domain.startswith("."):
        return "***"
    tld = domain.rsplit(".", 1)[1]
    return f"{local[0]}***@{domain[0]}***.{tld}"


def mask_phone(e164: str) -> str:
    """Hide all but the last two digits: "+5492644123489" -> "+54 9 *** ***-**89".

    Args:
        e164: a stored number in E.164.

    Returns:
        The masked number, or "***" for anything that is not an Argentine mobile in E.164.
    """
    if not isinstance(e164, str) or not re.fullmatch(r"\+549[0-9]{10}", e164):
        return "***"
    return f"+54 9 *** ***-**{e164[-2:]}"
