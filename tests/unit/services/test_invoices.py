"""A supply's page: the one invoice status rule, paging, consumption, the PDF duplicate and who may see them."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from autogestion.models import Invoice, InvoicePublicStatus, InvoiceStatus, LinkStatus
from autogestion.services.errors import NotFound, ValidationError
from autogestion.services.invoices import (
    consumption_series,
    get_invoice_download,
    get_invoice_for_user,
    get_supply_detail,
    invoice_pdf_for_user,
    invoice_status,
    list_invoices,
    pdf_file_name,
    supply_page,
)
from tests.unit.services.supply_helpers import (
    JUAN_SUPPLY,
    MARIA_SUPPLY,
    TODAY,
    link,
    recent_invoices,
)


def _invoice(status: str, due_on: date) -> Invoice:
    return Invoice(
        id="a" * 32,
        supply_number="1",
        number="0012-00000001",
        period="2026-10",
        issued_on=date(2026, 11, 5),
        due_on=due_on,
        amount_cents=100,
        status=status,
    )


@pytest.mark.parametrize(
    ("stored", "today", "shown"),
    [
        (InvoiceStatus.PAID, date(2027, 1, 1), InvoicePublicStatus.PAID),
        (InvoiceStatus.UNPAID, date(2026, 11, 21), InvoicePublicStatus.OVERDUE),
        (InvoiceStatus.UNPAID, date(2026, 11, 20), InvoicePublicStatus.UNPAID),  # due today is not overdue yet
        (InvoiceStatus.UNPAID, date(2026, 11, 1), InvoicePublicStatus.UNPAID),
    ],
)
def test_invoice_status(stored, today, shown):
    assert invoice_status(_invoice(stored, date(2026, 11, 20)), today) == shown


def test_pdf_file_name_keeps_only_safe_characters():
    assert pdf_file_name("0012-00345678") == "factura-0012-00345678.pdf"
    assert pdf_file_name('0012/../"x";\r\n') == "factura-0012x.pdf"


async def test_invoices_are_paginated_newest_first_with_labels(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)

    first = await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=1, today=TODAY)
    second = await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=2, today=TODAY)
    beyond = await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=9, today=TODAY)

    assert (first.total_rows, first.total_pages, len(first.rows), len(second.rows)) == (24, 2, 12, 12)
    assert beyond.page == 2 and beyond.rows == second.rows
    assert first.rows[0].period == "10/2026"
    assert second.rows[-1].period == "11/2024"
    newest = first.rows[0]
    assert re.fullmatch(r"\$ [0-9.]+,[0-9]{2}", newest.amount)
    assert re.fullmatch(r"[0-9]{2}/[0-9]{2}/[0-9]{4}", newest.due_on)
    assert (newest.status, newest.status_label, newest.payable) == (InvoicePublicStatus.OVERDUE, "Vencida", True)
    labels = {row.status_label for row in first.rows + second.rows}
    assert labels <= {"Pagada", "Impaga", "Vencida"} and "Pagada" in labels
    # The same bill before its due date is "Impaga".
    early = await list_invoices(
        session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=1, today=date(2026, 11, 19)
    )
    assert early.rows[0].status_label == "Impaga"


@pytest.mark.parametrize(
    ("page", "size"), [(0, 12), (-1, 12), ("1", 12), (None, 12), (1.0, 12), (1, 0), (1, 101), (1, "12")]
)
async def test_bad_paging_is_refused(session, juan, tmp_path, page, size):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    with pytest.raises(ValidationError):
        await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=page, page_size=size)


async def test_consumption_series_covers_the_last_24_periods_oldest_first(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)

    series = await consumption_series(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY)

    assert len(series) == 24
    assert series[0].period == "11/2024" and series[-1].period == "10/2026"
    assert all(isinstance(point.kwh, int) and point.kwh > 0 for point in series)
    summer = next(p.kwh for p in series if p.period == "01/2026")
    spring = next(p.kwh for p in series if p.period == "09/2026")
    assert summer > spring  # air conditioning in San Juan's summer


async def test_supply_detail(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    detail = await get_supply_detail(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY)
    assert (
        detail.number,
        detail.holder_name,
        detail.is_holder,
        detail.link_status,
        detail.link_status_label,
        detail.procedures_enabled,
    ) == (JUAN_SUPPLY, "Juan Perez", True, LinkStatus.PENDING, "Pendiente de validación", False)
    assert "Rivadavia" in detail.address or "San Juan" in detail.address


async def test_supply_page_is_one_call_for_the_whole_page(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)

    page = await supply_page(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, today=TODAY)

    assert page.detail == await get_supply_detail(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY)
    assert page.invoices == await list_invoices(
        session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=1, today=TODAY
    )
    assert page.consumption == await consumption_series(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY)


async def test_invoice_pdf_for_the_owner_shows_the_pages_status(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    row = (await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=1, today=TODAY)).rows[
        0
    ]

    pdf, name = await invoice_pdf_for_user(session=session, user_id=juan.id, invoice_id=row.id, today=TODAY)

    assert pdf.startswith(b"%PDF") and name == f"factura-{row.number}.pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert f"Estado {row.status_label}" in text and row.status_label == "Vencida"
    download = await get_invoice_download(session=session, user_id=juan.id, invoice_id=row.id)
    assert (download.invoice_id, download.filename) == (row.id, name)


# --- authorisation ---------------------------------------------------------------------------------


async def test_user_b_cannot_reach_user_as_supply_or_invoices(session, juan, maria, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    invoice = (await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=1)).rows[0]

    with pytest.raises(NotFound, match="Suministro no encontrado."):
        await get_supply_detail(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY)
    with pytest.raises(NotFound, match="Suministro no encontrado."):
        await supply_page(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY)
    with pytest.raises(NotFound, match="Suministro no encontrado."):
        await list_invoices(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY, page=1)
    with pytest.raises(NotFound):
        await consumption_series(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY)
    with pytest.raises(NotFound):
        await get_invoice_for_user(session=session, user_id=maria.id, invoice_id=invoice.id)
    with pytest.raises(NotFound):
        await get_invoice_download(session=session, user_id=maria.id, invoice_id=invoice.id)
    with pytest.raises(NotFound):
        await invoice_pdf_for_user(session=session, user_id=maria.id, invoice_id=invoice.id)
    # The owner gets all of it.
    invoice_row, supply = await get_invoice_for_user(session=session, user_id=juan.id, invoice_id=invoice.id)
    assert (invoice_row.number, supply.number) == (invoice.number, JUAN_SUPPLY)


async def test_a_linked_supply_does_not_open_other_supplies_invoices(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    other = (await recent_invoices(session, MARIA_SUPPLY))[0]
    with pytest.raises(NotFound):
        await get_invoice_for_user(session=session, user_id=juan.id, invoice_id=other.id)


@pytest.mark.parametrize("bad", ["../2000380655", "2000380655 OR 1=1", "", None, 2000380655, ["2000380655"]])
async def test_malformed_supply_numbers_in_urls_are_not_found(session, juan, tmp_path, bad):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    with pytest.raises(NotFound):
        await get_supply_detail(session=session, user_id=juan.id, supply_number=bad)


@pytest.mark.parametrize("bad", ["1", "' OR 1=1 --", "A" * 32, None, 7, "a" * 33])
async def test_malformed_invoice_ids_are_not_found(session, juan, bad):
    with pytest.raises(NotFound):
        await get_invoice_for_user(session=session, user_id=juan.id, invoice_id=bad)


async def test_a_rejected_link_closes_the_supply(session, juan, tmp_path):
    created = await link(session, juan, JUAN_SUPPLY, tmp_path)
    created.status = LinkStatus.REJECTED
    session.add(created)
    await session.commit()

    with pytest.raises(NotFound):
        await get_supply_detail(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY)


async def test_a_validated_apoderado_sees_the_holders_document_and_may_do_procedures(session, juan, tmp_path):
    created = await link(session, juan, MARIA_SUPPLY, tmp_path, poder=True)
    assert (await get_supply_detail(session=session, user_id=juan.id, supply_number=MARIA_SUPPLY)).holder_document == (
        "DNI *****678"
    )
    created.status = LinkStatus.VALIDATED
    session.add(created)
    await session.commit()

    detail = await get_supply_detail(session=session, user_id=juan.id, supply_number=MARIA_SUPPLY)
    assert (detail.holder_document, detail.procedures_enabled) == ("DNI 27345678", True)
