"""The invoice duplicate: a real PDF whose text carries the invoice data, with a valid ITF payment barcode."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from autogestion.adapters.invoice_pdf import check_digit, itf_elements, payment_code, render_invoice_pdf
from autogestion.models import Invoice, Supply
from autogestion.services.invoices import STATUS_LABELS, invoice_status


def make_invoice(**changes) -> tuple[Invoice, Supply]:
    supply = Supply(
        number="2000380655",
        status="0",
        tariff_group="DT1 (TRA-RSD)",
        holder_name="Juan Perez",
        holder_doc_type="DNI",
        holder_doc_number="20123456",
        collection_status="SUSP-TRAM",
        address="Av. Libertador Gral. San Martín 1234 (O), Capital, San Juan",
    )
    values = dict(
        id="a" * 32,
        supply_number=supply.number,
        number="0012-00345678",
        period="2026-10",
        issued_on=date(2026, 11, 5),
        due_on=date(2026, 11, 20),
        amount_cents=1234567,
        status="impaga",
        consumption_kwh=1345,
    )
    values.update(changes)
    return Invoice(**values), supply


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_carries_header_supply_and_invoice_data():
    invoice, supply = make_invoice()

    pdf = render_invoice_pdf(invoice=invoice, supply=supply, brand="Energía San Juan S.A.", status_label="Impaga")

    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    for expected in (
        "Energía San Juan S.A.",
        "Portal de Autogestión",
        "DUPLICADO",
        "0012-00345678",
        "$ 12.345,67",
        "2000380655",
        "Juan Perez",
        "DT1 (TRA-RSD)",
        "10/2026",
        "05/11/2026",
        "20/11/2026",
        "1.345 kWh",
        "Impaga",
        payment_code(invoice=invoice, supply=supply),
    ):
        assert expected in text, expected
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


@pytest.mark.parametrize(
    ("status", "today", "label"),
    [
        ("pagada", date(2027, 1, 1), "Pagada"),
        ("impaga", date(2026, 11, 21), "Vencida"),
        ("impaga", date(2026, 11, 20), "Impaga"),
    ],
)
def test_status_label_is_the_pages(status, today, label):
    # The PDF prints the status services.invoices decides for the page, never a rule of its own.
    invoice, supply = make_invoice(status=status)
    shown = STATUS_LABELS[invoice_status(invoice, today)]
    assert shown == label
    assert f"Estado {label}" in text_of(
        render_invoice_pdf(invoice=invoice, supply=supply, brand="X", status_label=shown)
    )


def test_text_outside_latin1_does_not_break_the_pdf():
    invoice, supply = make_invoice()
    supply.holder_name = "Łukasz Zaręba \u202eevil\u202c 漢字"
    text = text_of(
        render_invoice_pdf(invoice=invoice, supply=supply, brand="Energía San Juan S.A.", status_label="Impaga")
    )
    assert "Lukasz Zareba evil ??" in text


def test_payment_code_layout_and_check_digit():
    invoice, supply = make_invoice()
    code = payment_code(invoice=invoice, supply=supply)

    assert len(code) == 44 and len(code) % 2 == 0
    assert code[1:13] == "002000380655"
    assert code[13:25] == "001200345678"
    assert code[25:33] == "20261120"
    assert code[33:43] == "0001234567"
    assert int(code[-1]) == check_digit(code[:-1])


@pytest.mark.parametrize(("digits", "expected"), [("629104150021", 3), ("1234567", 0), ("0000", 0)])
def test_check_digit(digits, expected):
    assert check_digit(digits) == expected


def test_itf_elements_encode_pairs_between_start_and_stop():
    elements = itf_elements("12")
    assert elements[:4] == [(True, 1.0), (False, 1.0), (True, 1.0), (False, 1.0)]
    # "1" = wnnnw on the bars, "2" = nwnnw on the spaces.
    assert [w for is_bar, w in elements[4:14] if is_bar] == [2.5, 1.0, 1.0, 1.0, 2.5]
    assert [w for is_bar, w in elements[4:14] if not is_bar] == [1.0, 2.5, 1.0, 1.0, 2.5]
    assert elements[-3:] == [(True, 2.5), (False, 1.0), (True, 1.0)]
    with pytest.raises(ValueError):
        itf_elements("123")
