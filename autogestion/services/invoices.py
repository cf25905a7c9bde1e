"""A supply's page (/suministros/<numero>): header, invoices under one status rule, consumption and the PDF duplicate."""

from __future__ import annotations

import math
import re
from datetime import date

from sqlalchemy import func
from sqlmodel import select

from autogestion.clock import local_today, to_local
from autogestion.config import get_settings
from autogestion.models import (
    ConsumptionPointPublic,
    Invoice,
    InvoiceDownloadPublic,
    InvoicePagePublic,
    InvoicePublic,
    InvoicePublicStatus,
    InvoiceStatus,
    LinkStatus,
    Payment,
    PaymentStatus,
    PlanInvoice,
    Supply,
    SupplyDetailPublic,
    SupplyLink,
    SupplyPagePublic,
)
from autogestion.services.errors import NotFound, ValidationError
from autogestion.services.formatting import format_date, format_money, format_period
from autogestion.services.supplies import (
    LINK_STATUS_LABELS,
    SUPPLY_NOT_FOUND,
    SUPPLY_NUMBER,
    can_replace_poder,
    holder_document,
    reject_reason_text,
    review_deadlines,
)

_INVOICE_ID = re.compile(r"[0-9a-f]{32}")
INVOICE_NOT_FOUND = "Factura no encontrada."
PAGE_SIZE = 12
MAX_PAGE_SIZE = 100
CONSUMPTION_PERIODS = 24
STATUS_LABELS = {
    InvoicePublicStatus.PAID: "Pagada",
    InvoicePublicStatus.UNPAID: "Impaga",
    InvoicePublicStatus.OVERDUE: "Vencida",
    InvoicePublicStatus.CREDITING: "Pago en acreditación",
    InvoicePublicStatus.IN_PLAN: "En plan de pago",
}
PAYABLE = (InvoicePublicStatus.UNPAID, InvoicePublicStatus.OVERDUE)


def invoice_status(invoice: Invoice, today: date, *, crediting: bool = False, in_plan: bool = False) -> str:
    """The one rule for an invoice's status, on the page and on the PDF.

    Args:
        invoice: The invoice.
        today: The date in Argentina the due date is compared with.
        crediting: An approved portal payment exists for it (see crediting_ids).
        in_plan: It is part of a Plan de Pago (see in_plan_ids).

    Returns:
        InvoicePublicStatus.PAID (the billing import says so), IN_PLAN, CREDITING (paid through the portal,
        waiting for the billing import), OVERDUE (unpaid and past its due date) or UNPAID.
    """
    if invoice.status == InvoiceStatus.PAID:
        return InvoicePublicStatus.PAID
    if in_plan:
        return InvoicePublicStatus.IN_PLAN
    if crediting:
        return InvoicePublicStatus.CREDITING
    return InvoicePublicStatus.OVERDUE if invoice.due_on < today else InvoicePublicStatus.UNPAID


async def crediting_ids(session, invoice_ids: list[str]) -> set[str]:
    """Which of these invoices have an approved portal payment (one query)."""
    if not invoice_ids:
        return set()
    rows = await session.exec(
        select(Payment.invoice_id)
        .where(Payment.invoice_id.in_(invoice_ids), Payment.status == PaymentStatus.APPROVED)
        .distinct()
    )
    return {row for row in rows.all() if row}


async def in_plan_ids(session, invoice_ids: list[str]) -> set[str]:
    """Which of these invoices are part of a Plan de Pago (one query)."""
    if not invoice_ids:
        return set()
    rows = await session.exec(select(PlanInvoice.invoice_id).where(PlanInvoice.invoice_id.in_(invoice_ids)))
    return set(rows.all())


async def invoice_status_of(session, invoice: Invoice, today: date) -> str:
    """invoice_status for one invoice, looking up its payments and plan."""
    return invoice_status(
        invoice,
        today,
        crediting=bool(await crediting_ids(session, [invoice.id])),
        in_plan=bool(await in_plan_ids(session, [invoice.id])),
    )


def pdf_file_name(invoice_number: str) -> str:
    """The download name of an invoice's PDF duplicate: "factura-0012-00345678.pdf"."""
    return f"factura-{re.sub(r'[^0-9A-Za-z-]', '', invoice_number)}.pdf"


def _link_filter(user_id: int):
    # A rejected link means an operator found the user not entitled: its invoices are closed to them.
    return (SupplyLink.user_id == user_id, SupplyLink.status != LinkStatus.REJECTED)


async def _linked_supply(session, user_id: int, supply_number: object) -> tuple[Supply, SupplyLink]:
    if not isinstance(supply_number, str) or not SUPPLY_NUMBER.fullmatch(supply_number):
        raise NotFound(SUPPLY_NOT_FOUND)
    row = (
        await session.exec(
            select(Supply, SupplyLink)
            .join(SupplyLink, SupplyLink.supply_number == Supply.number)
            .where(Supply.number == supply_number, *_link_filter(user_id))
        )
    ).first()
    if row is None:
        raise NotFound(SUPPLY_NOT_FOUND)
    return row[0], row[1]


async def _rejected_link(session, user_id: int, supply_number: object) -> tuple[Supply, SupplyLink] | None:
    if not isinstance(supply_number, str) or not SUPPLY_NUMBER.fullmatch(supply_number):
        return None
    row = (
        await session.exec(
            select(Supply, SupplyLink)
            .join(SupplyLink, SupplyLink.supply_number == Supply.number)
            .where(
                Supply.number == supply_number,
                SupplyLink.user_id == user_id,
                SupplyLink.status == LinkStatus.REJECTED,
            )
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def _detail(supply: Supply, link: SupplyLink) -> SupplyDetailPublic:
    rejected = link.status == LinkStatus.REJECTED
    return SupplyDetailPublic(
        number=supply.number,
        status=supply.status,
        tariff_group=supply.tariff_group,
        holder_name=supply.holder_name,
        holder_document=holder_document(supply, link),
        collection_status=supply.collection_status,
        address=supply.address,
        is_holder=link.is_holder,
        poder="Titular" if link.is_holder else "Poder",
        link_status=link.status,
        link_status_label=LINK_STATUS_LABELS.get(link.status, link.status),
        linked_at=format_date(to_local(link.created_at).date()),
        procedures_enabled=link.status == LinkStatus.VALIDATED,
        rejected=rejected,
        reject_reason_text=reject_reason_text(link) if rejected else "",
        can_replace_poder=can_replace_poder(link),
    )


def _invoice_public(invoice: Invoice, today: date, *, crediting: bool = False, in_plan: bool = False) -> InvoicePublic:
    status = invoice_status(invoice, today, crediting=crediting, in_plan=in_plan)
    return InvoicePublic(
        id=invoice.id,
        period=format_period(invoice.period),
        number=invoice.number,
        issued_on=format_date(invoice.issued_on),
        due_on=format_date(invoice.due_on),
        amount=format_money(invoice.amount_cents),
        amount_cents=invoice.amount_cents,
        consumption_kwh=invoice.consumption_kwh,
        status=status,
        status_label=STATUS_LABELS[status],
        payable=status in PAYABLE,
    )


async def get_supply_detail(*, session, user_id: int, supply_number: object) -> SupplyDetailPublic:
    """The header of /suministros/<numero>, for a supply linked to the user.

    Args:
        session: An open session.
        user_id: The logged-in user.
        supply_number: From the URL.

    Returns:
        The supply and link data.

    Raises:
        NotFound: "Suministro no encontrado." for anything not linked to this user (or rejected).
    """
    supply, link = await _linked_supply(session, user_id, supply_number)
    detail = _detail(supply, link)
    deadlines = await review_deadlines(session=session, user_id=user_id, links=[link])
    detail.review_deadline = deadlines.get(link.id, "")
    return detail


async def list_invoices(
    *, session, user_id: int, supply_number: object, page: object, page_size: int = PAGE_SIZE, today: date | None = None
) -> InvoicePagePublic:
    """A page of the supply's invoices, newest period first.

    Args:
        session: An open session.
        user_id: The logged-in user.
        supply_number: From the URL.
        page: 1-based page number (an int); past the end gives the last page.
        page_size: Rows per page (1..100).
        today: The date "vencida" is judged against; defaults to today in Argentina.

    Returns:
        The page.

    Raises:
        NotFound: The supply is not linked to this user.
        ValidationError: page or page_size is not a positive int.
    """
    if type(page) is not int or page < 1:
        raise ValidationError("Página inválida.")
    if type(page_size) is not int or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError("Tamaño de página inválido.")
    supply, _ = await _linked_supply(session, user_id, supply_number)
    today = today or local_today()
    owned = (Invoice.supply_number == supply.number, *_link_filter(user_id))
    on_link = SupplyLink.supply_number == Invoice.supply_number
    total = (await session.exec(select(func.count(Invoice.id)).join(SupplyLink, on_link).where(*owned))).one()
    total_pages = max(1, math.ceil(total / page_size))
    page = min(page, total_pages)
    invoices = (
        await session.exec(
            select(Invoice)
            .join(SupplyLink, on_link)
            .where(*owned)
            .order_by(Invoice.period.desc(), Invoice.issued_on.desc(), Invoice.number.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    ).all()
    ids = [invoice.id for invoice in invoices]
    crediting, in_plan = await crediting_ids(session, ids), await in_plan_ids(session, ids)
    return InvoicePagePublic(
        supply_number=supply.number,
        rows=[
            _invoice_public(invoice, today, crediting=invoice.id in crediting, in_plan=invoice.id in in_plan)
            for invoice in invoices
        ],
        page=page,
        page_size=page_size,
        total_pages=total_pages,
        total_rows=total,
    )


async def consumption_series(
    *, session, user_id: int, supply_number: object, periods: int = CONSUMPTION_PERIODS
) -> list[ConsumptionPointPublic]:
    """kWh per billing period for the chart, oldest first, over the last `periods` periods.

    Args:
        session: An open session.
        user_id: The logged-in user.
        supply_number: From the URL.
        periods: How many periods (1..120).

    Returns:
        One point per period ("11/2026", 345 kWh), oldest first.

    Raises:
        NotFound: The supply is not linked to this user.
        ValidationError: periods is not an int 1..120.
    """
    if type(periods) is not int or not 1 <= periods <= 120:
        raise ValidationError("Cantidad de períodos inválida.")
    supply, _ = await _linked_supply(session, user_id, supply_number)
    rows = (
        await session.exec(
            select(Invoice.period, func.sum(Invoice.consumption_kwh))
            .join(SupplyLink, SupplyLink.supply_number == Invoice.supply_number)
            .where(Invoice.supply_number == supply.number, *_link_filter(user_id))
            .group_by(Invoice.period)
            .order_by(Invoice.period.desc())
            .limit(periods)
        )
    ).all()
    return [ConsumptionPointPublic(period=format_period(period), kwh=int(kwh or 0)) for period, kwh in reversed(rows)]


async def supply_page(
    *, session, user_id: int, supply_number: object, page_size: int = PAGE_SIZE, today: date | None = None
) -> SupplyPagePublic:
    """Everything /suministros/<numero> shows when it opens: header, first page of invoices, consumption.

    Args:
        session: An open session.
        user_id: The logged-in user.
        supply_number: From the URL.
        page_size: Invoices on the first page (1..100).
        today: The date "vencida" is judged against; defaults to today in Argentina.

    Returns:
        The page's data. For the user's own rejected link only the header (detail.rejected, the reason,
        whether a new poder can fix it): no invoices and no consumption.

    Raises:
        NotFound: "Suministro no encontrado." for anything not linked to this user.
    """
    try:
        detail = await get_supply_detail(session=session, user_id=user_id, supply_number=supply_number)
    except NotFound:
        rejected = await _rejected_link(session, user_id, supply_number)
        if rejected is None:
            raise
        # The user's own link, rejected: the page says why and how to fix it; its invoices stay closed.
        return SupplyPagePublic(detail=_detail(*rejected))
    invoices = await list_invoices(
        session=session, user_id=user_id, supply_number=detail.number, page=1, page_size=page_size, today=today
    )
    consumption = await consumption_series(session=session, user_id=user_id, supply_number=detail.number)
    return SupplyPagePublic(detail=detail, invoices=invoices, consumption=consumption)


async def get_invoice_for_user(*, session, user_id: int, invoice_id: object) -> tuple[Invoice, Supply]:
    """An invoice of a supply linked to the user (the user is part of the query).

    Args:
        session: An open session.
        user_id: The logged-in user.
        invoice_id: The invoice id as received.

    Returns:
        (invoice, supply): table rows, for other services (PDF, payments); states get DTOs.

    Raises:
        NotFound: "Factura no encontrada." for anything else.
    """
    if not isinstance(invoice_id, str) or not _INVOICE_ID.fullmatch(invoice_id):
        raise NotFound(INVOICE_NOT_FOUND)
    row = (
        await session.exec(
            select(Invoice, Supply)
            .join(Supply, Supply.number == Invoice.supply_number)
            .join(SupplyLink, SupplyLink.supply_number == Invoice.supply_number)
            .where(Invoice.id == invoice_id, *_link_filter(user_id))
        )
    ).first()
    if row is None:
        raise NotFound(INVOICE_NOT_FOUND)
    return row[0], row[1]


async def get_invoice_download(*, session, user_id: int, invoice_id: object) -> InvoiceDownloadPublic:
    """**Imprimir**: which invoice to sign a download link for, and the file's name.

    Args:
        session: An open session.
        user_id: The logged-in user.
        invoice_id: The invoice id as received.

    Returns:
        The invoice id and the download name ("factura-0012-00345678.pdf").

    Raises:
        NotFound: Not an invoice of a supply linked to this user.
    """
    invoice, _ = await get_invoice_for_user(session=session, user_id=user_id, invoice_id=invoice_id)
    return InvoiceDownloadPublic(invoice_id=invoice.id, filename=pdf_file_name(invoice.number))


async def invoice_pdf_for_user(
    *, session, user_id: int, invoice_id: object, today: date | None = None
) -> tuple[bytes, str]:
    """The PDF duplicate ("Imprimir") of an invoice of the user's, rendered off the event loop.

    Args:
        session: An open session.
        user_id: The logged-in user.
        invoice_id: The invoice id as received.
        today: The date the status is judged against; defaults to today in Argentina.

    Returns:
        (PDF bytes, download name "factura-0012-00345678.pdf").

    Raises:
        NotFound: Not an invoice of a supply linked to this user.
    """
    from autogestion.adapters import cpu_process
    from autogestion.adapters.invoice_pdf import render_invoice_pdf_values  # fpdf2 loads only when asked for

    invoice, supply = await get_invoice_for_user(session=session, user_id=user_id, invoice_id=invoice_id)
    label = STATUS_LABELS[await invoice_status_of(session, invoice, today or local_today())]
    pdf = await cpu_process.run(  # not a thread: fpdf2 holds the GIL (adapters/cpu_process.py)
        render_invoice_pdf_values,
        invoice=invoice.model_dump(),
        supply=supply.model_dump(),
        brand=get_settings().brand,
        status_label=label,
    )
    return pdf, pdf_file_name(invoice.number)
