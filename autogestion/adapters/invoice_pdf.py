"""The printable duplicate of an invoice (fpdf2): distributor header, supply and invoice data, payment barcode."""

from __future__ import annotations

import re
import unicodedata

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from autogestion.models import Invoice, Supply
from autogestion.services.formatting import format_date, format_money, format_period

# Interleaved 2 of 5: each digit is five elements, two of them wide (n = narrow, w = wide).
ITF_PATTERNS = {
    "0": "nnwwn",
    "1": "wnnnw",
    "2": "nwnnw",
    "3": "wwnnn",
    "4": "nnwnw",
    "5": "wnwnn",
    "6": "nwwnn",
    "7": "nnnww",
    "8": "wnnwn",
    "9": "nwnwn",
}
WIDE_RATIO = 2.5
NARROW_MM = 0.36
BAR_HEIGHT_MM = 16.0
QUIET_ZONE_NARROWS = 10


def check_digit(digits: str) -> int:
    """Modulo-10 check digit with weights 3 and 1 from the right (as GTIN/ITF-14 use)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def payment_code(*, invoice: Invoice, supply: Supply) -> str:
    """The digits the payment barcode encodes.

    Supply number (12) + invoice number digits (12) + due date yyyymmdd (8) + amount in cents (10), a
    leading 0 so that the total with the check digit is even (ITF encodes pairs), then the check digit.

    Args:
        invoice: The invoice.
        supply: Its supply.

    Returns:
        44 digits.
    """
    invoice_digits = re.sub(r"[^0-9]", "", invoice.number)[-12:]
    data = (
        supply.number.zfill(12)
        + invoice_digits.zfill(12)
        + invoice.due_on.strftime("%Y%m%d")
        + str(invoice.amount_cents).zfill(10)
    )
    if len(data) % 2 == 0:
        data = "0" + data
    return data + str(check_digit(data))


def itf_elements(code: str) -> list[tuple[bool, float]]:
    """The bars and spaces of an ITF symbol, as (is_bar, width in narrow units), quiet zones excluded.

    Args:
        code: An even number of digits.

    Returns:
        Start pattern, the interleaved pairs, stop pattern.
    """
    if len(code) % 2 or not code.isascii() or not code.isdigit():
        raise ValueError("ITF needs an even number of ASCII digits")
    unit = {"n": 1.0, "w": WIDE_RATIO}
    elements: list[tuple[bool, float]] = [(True, 1.0), (False, 1.0), (True, 1.0), (False, 1.0)]
    for first, second in zip(code[0::2], code[1::2], strict=True):
        # The first digit of a pair is drawn by the bars, the second by the spaces between them.
        for bar, space in zip(ITF_PATTERNS[first], ITF_PATTERNS[second], strict=True):
            elements.append((True, unit[bar]))
            elements.append((False, unit[space]))
    elements += [(True, WIDE_RATIO), (False, 1.0), (True, 1.0)]
    return elements


# Letters NFKD does not split into a latin-1 base and a mark.
_NO_DECOMPOSITION = {
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Œ": "OE",
    "œ": "oe",
    "ı": "i",
    "—": "-",
    "–": "-",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
}


def _latin1(text: str) -> str:
    """Text the PDF core fonts can show: latin-1 as is, other letters without their marks, else "?"."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ord(ch) < 256 and unicodedata.category(ch)[0] != "C":
            out.append(ch)
            continue
        if unicodedata.category(ch)[0] == "C":
            continue  # control and format characters (bidi overrides) are dropped
        base = _NO_DECOMPOSITION.get(ch)
        if base is None:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


class _InvoicePdf(FPDF):
    def __init__(self, brand: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.brand = brand
        self.set_auto_page_break(auto=False)
        self.set_margins(15, 15, 15)

    def label_value(self, label: str, value: str, *, label_w: float = 45, bold_value: bool = False) -> None:
        self.set_font("Helvetica", "B", 10)
        self.cell(label_w, 6.5, _latin1(label), new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_font("Helvetica", "B" if bold_value else "", 10)
        self.multi_cell(0, 6.5, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def section(self, title: str) -> None:
        self.ln(3)
        self.set_fill_color(230, 236, 245)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 7.5, _latin1(title), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def barcode(self, code: str, x: float, y: float) -> float:
        cursor = x + QUIET_ZONE_NARROWS * NARROW_MM
        self.set_fill_color(0, 0, 0)
        for is_bar, width in itf_elements(code):
            w = width * NARROW_MM
            if is_bar:
                self.rect(cursor, y, w, BAR_HEIGHT_MM, style="F")
            cursor += w
        return cursor + QUIET_ZONE_NARROWS * NARROW_MM - x


def render_invoice_pdf_values(*, invoice: dict, supply: dict, brand: str, status_label: str) -> bytes:
    """`render_invoice_pdf` from plain values (`model_dump()`s): what crosses to the helper process
    (adapters/cpu_process.py)."""
    return render_invoice_pdf(
        invoice=Invoice(**invoice), supply=Supply(**supply), brand=brand, status_label=status_label
    )


def render_invoice_pdf(*, invoice: Invoice, supply: Supply, brand: str, status_label: str) -> bytes:
    """Render the "DUPLICADO" of an invoice as a one-page PDF.

    CPU work holding the GIL: from async code, run `render_invoice_pdf_values` through adapters/cpu_process.

    Args:
        invoice: The invoice.
        supply: Its supply.
        brand: The distributor's name (settings.brand).
        status_label: "Pagada", "Impaga" or "Vencida", as services.invoices.invoice_status decides it for the
            page too (the PDF never judges the status itself).

    Returns:
        The PDF bytes (the invoice number and amount are real text, so they can be searched and extracted).
    """
    amount = format_money(invoice.amount_cents)
    code = payment_code(invoice=invoice, supply=supply)

    pdf = _InvoicePdf(brand)
    pdf.set_title(_latin1(f"Factura {invoice.number}"))
    pdf.set_author(_latin1(brand))
    pdf.set_creator("Portal de Autogestión")
    pdf.add_page()

    # Header: the distributor on the left, DUPLICADO boxed on the right.
    pdf.set_text_color(20, 50, 110)
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(120, 9, _latin1(brand), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(120, 6, "Portal de Autogestión", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(150, 16)
    pdf.set_draw_color(180, 0, 0)
    pdf.set_text_color(180, 0, 0)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(45, 11, "DUPLICADO", border=1, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_xy(15, 34)
    pdf.line(15, 33, 195, 33)

    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 9, _latin1(f"Factura N° {invoice.number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.section("Datos del suministro")
    pdf.label_value("Suministro N°", supply.number, bold_value=True)
    pdf.label_value("Titular", supply.holder_name)
    pdf.label_value("Domicilio", supply.address or "-")
    pdf.label_value("Grupo tarifario", supply.tariff_group or "-")

    pdf.section("Datos de la factura")
    pdf.label_value("N° de factura", invoice.number)
    pdf.label_value("Período", format_period(invoice.period))
    pdf.label_value("Fecha de emisión", format_date(invoice.issued_on))
    pdf.label_value("Vencimiento", format_date(invoice.due_on))
    pdf.label_value("Consumo", f"{invoice.consumption_kwh:,} kWh".replace(",", "."))
    pdf.label_value("Estado", status_label, bold_value=True)

    pdf.ln(4)
    pdf.set_fill_color(245, 245, 245)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(100, 13, _latin1(f"Total a pagar: {amount}"), border=1, fill=True, new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 13, _latin1(f"  Vence el {format_date(invoice.due_on)}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # Payment barcode: Interleaved 2 of 5 with the digits printed under the bars.
    pdf.ln(10)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, "Código de pago", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y() + 1
    width = pdf.barcode(code, 15, top)
    pdf.set_xy(15, top + BAR_HEIGHT_MM + 1.5)
    pdf.set_font("Courier", "", 10)
    pdf.cell(width, 5, code, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.set_xy(15, 272)
    pdf.set_font("Helvetica", "", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(
        0,
        4,
        _latin1(
            f"{brand} - Duplicado emitido desde el Portal de Autogestión. "
            "Puede pagarlo en las bocas de cobro habilitadas presentando este código de pago."
        ),
    )
    return bytes(pdf.output())
