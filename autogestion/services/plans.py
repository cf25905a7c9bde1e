"""Plan de Pago: which invoices can go into a plan, the simulator, subscribing and the customer's plans.

The arithmetic is `plan_math`'s (French amortisation at AUTOGESTION_PLAN_MONTHLY_RATE_BP a month, integer
cents whose cuotas add up exactly to the total). A plan is for a validated link's unpaid invoices past their
due date that are in no other plan; everything is checked again on subscribing, and `PlanInvoice.invoice_id`
is the primary key, so two subscriptions racing for one invoice leave one plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from autogestion.clock import format_local, to_local
from autogestion.config import get_settings
from autogestion.models import (
    CuotaPublic,
    Invoice,
    InvoiceStatus,
    LinkStatus,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanInstallment,
    PlanInvoice,
    PlanInvoiceChoicePublic,
    PlanOptionPublic,
    PlanPublic,
    PlanStatus,
    SupplyLink,
)
from autogestion.services import notices, plan_math
from autogestion.services.errors import DomainError, NotFound, ValidationError
from autogestion.services.formatting import format_date, format_money, format_period
from autogestion.services.outbox import enqueue_email
from autogestion.services.supplies import SUPPLY_NOT_FOUND, get_active_user, normalize_supply_number

FIRST_DUE_DAYS = 30
_INVOICE_ID = re.compile(r"[0-9a-f]{32}")
MAX_INVOICES = 200

NOT_VALIDATED = (
    "El Plan de Pago se habilita cuando un operador valida tu suministro. Todavía está pendiente de validación."
)
REJECTED = "La asociación de este suministro fue rechazada: subí un poder nuevo desde Mis Suministros."
BAD_INSTALLMENTS = "Elegí 1, 3, 6 o 12 cuotas."
NO_INVOICE = "Elegí al menos una factura vencida para incluir en el plan."
OTHER_SUPPLY = "Esa factura no es de este suministro."
ALREADY_IN_PLAN = "La factura N° {number} ya está en un Plan de Pago."
ALREADY_PAID = "La factura N° {number} ya está pagada."
NOT_OVERDUE = "La factura N° {number} todavía no venció: solo las facturas vencidas entran en un plan."
RACE_LOST = "Alguna de esas facturas acaba de entrar en otro Plan de Pago. Revisá tus planes."

PLAN_STATUS_LABELS = {PlanStatus.ACTIVE: "Activo", PlanStatus.FINISHED: "Finalizado"}


# --- rules ----------------------------------------------------------------------------------------


def local_day(now: datetime) -> date:
    """The date in Argentina at `now`."""
    return to_local(now).date()


def first_due(now: datetime) -> date:
    """Cuota N° 1 of a plan subscribed at `now`: 30 days after today, moved to a business day."""
    return plan_math.next_business_day(local_day(now) + timedelta(days=FIRST_DUE_DAYS))


def monthly_rate_bp() -> int:
    return get_settings().plan_monthly_rate_bp


def rate_label(rate_bp: int | None = None) -> str:
    """ "2,5 % mensual"."""
    bp = monthly_rate_bp() if rate_bp is None else rate_bp
    whole, rest = divmod(bp, 100)
    text = f"{whole},{rest:02d}".rstrip("0").rstrip(",") if rest else str(whole)
    return f"{text} % mensual"


async def _approved_payment_invoices(session, invoice_ids: Iterable[str]) -> set[str]:
    ids = list(invoice_ids)
    if not ids:
        return set()
    return set(
        (
            await session.exec(
                select(Payment.invoice_id).where(Payment.invoice_id.in_(ids), Payment.status == PaymentStatus.APPROVED)
            )
        ).all()
    )


async def eligible_invoices(*, session, supply_number: str, now: datetime) -> list[Invoice]:
    """The supply's unpaid invoices past their due date that are in no plan (and not paid through the
    portal), oldest first."""
    in_plan = select(PlanInvoice.invoice_id)
    rows = list(
        (
            await session.exec(
                select(Invoice)
                .where(
                    Invoice.supply_number == supply_number,
                    Invoice.status == InvoiceStatus.UNPAID,
                    Invoice.due_on < local_day(now),
                    Invoice.id.not_in(in_plan),
                )
                .order_by(Invoice.due_on, Invoice.number)
            )
        ).all()
    )
    paid = await _approved_payment_invoices(session, (row.id for row in rows))
    return [row for row in rows if row.id not in paid]


def invoice_choice(invoice: Invoice) -> PlanInvoiceChoicePublic:
    return PlanInvoiceChoicePublic(
        id=invoice.id,
        number=invoice.number,
        period=format_period(invoice.period),
        due_on=format_date(invoice.due_on),
        amount=format_money(invoice.amount_cents),
        amount_cents=invoice.amount_cents,
    )


def preview(*, principal_cents: int, installments: int, now: datetime) -> PlanOptionPublic:
    """A plan of `installments` cuotas for `principal_cents` subscribed at `now` (no database).

    Raises:
        ValidationError: principal or installments out of range (plan_math's rules).
    """
    items = plan_math.schedule(
        principal_cents=principal_cents,
        installments=installments,
        monthly_rate_bp=monthly_rate_bp(),
        first_due=first_due(now),
    )
    total = plan_math.total_cents(items)
    cuotas = [
        CuotaPublic(
            number=item.number,
            due_on=format_date(item.due_on),
            amount=format_money(item.amount_cents),
            amount_cents=item.amount_cents,
        )
        for item in items
    ]
    first = format_money(items[0].amount_cents)
    label = f"1 cuota de {first}" if installments == 1 else f"{installments} cuotas desde {first}"
    return PlanOptionPublic(
        installments=installments,
        cuotas=cuotas,
        principal=format_money(principal_cents),
        total=format_money(total),
        total_cents=total,
        label=label,
    )


def simulate(*, principal_cents: int, now: datetime) -> list[PlanOptionPublic]:
    """Every plan the customer may choose for `principal_cents` (1, 3, 6 and 12 cuotas); [] for no debt."""
    if principal_cents <= 0:
        return []
    return [preview(principal_cents=principal_cents, installments=n, now=now) for n in plan_math.ALLOWED_INSTALLMENTS]


# --- subscribing ----------------------------------------------------------------------------------


def _clean_ids(invoice_ids: object) -> list[str]:
    if not isinstance(invoice_ids, list | tuple) or not invoice_ids:
        raise ValidationError(NO_INVOICE, field="invoices")
    if len(invoice_ids) > MAX_INVOICES:
        raise ValidationError(OTHER_SUPPLY, field="invoices")
    ids: list[str] = []
    for value in invoice_ids:
        if not isinstance(value, str) or not _INVOICE_ID.fullmatch(value):
            raise NotFound(OTHER_SUPPLY, field="invoices")
        if value not in ids:
            ids.append(value)
    return ids


async def _validated_link(session, user_id: int, supply_number: object) -> SupplyLink:
    number = normalize_supply_number(supply_number)
    link = (
        await session.exec(select(SupplyLink).where(SupplyLink.user_id == user_id, SupplyLink.supply_number == number))
    ).first()
    if link is None:
        raise NotFound(SUPPLY_NOT_FOUND, field="supply_number")
    if link.status == LinkStatus.REJECTED:
        raise DomainError(REJECTED, field="supply_number")
    if link.status != LinkStatus.VALIDATED:
        raise DomainError(NOT_VALIDATED, field="supply_number")
    return link


async def subscribe(
    *, session, user_id: int, supply_number: object, invoice_ids: object, installments: object, now: datetime
) -> PlanPublic:
    """Subscribe a Plan de Pago for overdue invoices of one of the customer's validated links.

    Args:
        session: The caller's unit of work (the plan, its invoices, cuotas and e-mail go in together).
        user_id: The logged-in customer.
        supply_number: The supply (the customer's validated link).
        invoice_ids: The invoices to include: unpaid, overdue, of that supply, in no plan.
        installments: 1, 3, 6 or 12.
        now: The moment of subscription (today in Argentina decides "overdue" and the first due date).

    Returns:
        The plan with its cuotas.

    Raises:
        NotFound: Not the customer's link, or an invoice not of that supply.
        DomainError: The link is pending or rejected, an invoice is paid, not overdue or already in a plan
            (also when a concurrent subscription took it first).
        ValidationError: No invoice, or a number of cuotas other than 1, 3, 6 or 12.
    """
    user = await get_active_user(session=session, user_id=user_id)
    link = await _validated_link(session, user.id, supply_number)
    if (
        not isinstance(installments, int)
        or isinstance(installments, bool)
        or installments not in plan_math.ALLOWED_INSTALLMENTS
    ):
        raise ValidationError(BAD_INSTALLMENTS, field="installments")
    ids = _clean_ids(invoice_ids)
    found = {row.id: row for row in (await session.exec(select(Invoice).where(Invoice.id.in_(ids)))).all()}
    if len(found) != len(ids) or any(row.supply_number != link.supply_number for row in found.values()):
        raise NotFound(OTHER_SUPPLY, field="invoices")
    invoices = sorted(found.values(), key=lambda row: (row.due_on, row.number))
    today = local_day(now)
    in_plan = set((await session.exec(select(PlanInvoice.invoice_id).where(PlanInvoice.invoice_id.in_(ids)))).all())
    paid_here = await _approved_payment_invoices(session, ids)
    for row in invoices:
        if row.status == InvoiceStatus.PAID or row.id in paid_here:
            raise DomainError(ALREADY_PAID.format(number=row.number), field="invoices")
        if row.id in in_plan:
            raise DomainError(ALREADY_IN_PLAN.format(number=row.number), field="invoices")
        if row.due_on >= today:
            raise DomainError(NOT_OVERDUE.format(number=row.number), field="invoices")

    principal = sum(row.amount_cents for row in invoices)
    rate = monthly_rate_bp()
    items = plan_math.schedule(
        principal_cents=principal, installments=installments, monthly_rate_bp=rate, first_due=first_due(now)
    )
    total = plan_math.total_cents(items)
    plan = PaymentPlan(
        user_id=user.id,
        supply_number=link.supply_number,
        installments=installments,
        monthly_rate_bp=rate,
        principal_cents=principal,
        total_cents=total,
        status=PlanStatus.ACTIVE,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(plan)
            await session.flush()
            for row in invoices:
                session.add(PlanInvoice(invoice_id=row.id, plan_id=plan.id))
            await session.flush()
    except IntegrityError:
        raise DomainError(RACE_LOST, field="invoices") from None
    cuotas = [
        PlanInstallment(plan_id=plan.id, number=item.number, due_on=item.due_on, amount_cents=item.amount_cents)
        for item in items
    ]
    session.add_all(cuotas)
    await session.flush()

    if user.email:
        mail = notices.plan_subscribed(
            name=f"{user.first_names} {user.last_names}".strip(),
            when=now,
            number=link.supply_number,
            installments=installments,
            total=format_money(total),
            first_due=format_date(items[0].due_on),
            invoices=", ".join(row.number for row in invoices),
        )
        enqueue_email(session, to=user.email, subject=mail.subject, body=mail.body, user_id=user.id)
    return _plan_public(plan, [row.id for row in invoices], [row.number for row in invoices], cuotas, set(), today)


# --- the customer's plans -------------------------------------------------------------------------


def _cuota_public(cuota: PlanInstallment, crediting: set[int], today: date) -> CuotaPublic:
    if cuota.paid_at is not None:
        label = "Pagada"
    elif cuota.id in crediting:
        label = "Pago en acreditación"
    else:
        label = "Vencida" if cuota.due_on < today else "Impaga"
    return CuotaPublic(
        id=cuota.id or 0,
        number=cuota.number,
        due_on=format_date(cuota.due_on),
        amount=format_money(cuota.amount_cents),
        amount_cents=cuota.amount_cents,
        paid=cuota.paid_at is not None,
        status_label=label,
        can_pay=cuota.paid_at is None and cuota.id not in crediting,
    )


def _plan_public(
    plan: PaymentPlan,
    invoice_ids: list[str],
    invoice_numbers: list[str],
    cuotas: list[PlanInstallment],
    crediting: set[int],
    today: date,
) -> PlanPublic:
    return PlanPublic(
        id=plan.id or 0,
        supply_number=plan.supply_number,
        installments=plan.installments,
        principal=format_money(plan.principal_cents),
        total=format_money(plan.total_cents),
        rate=rate_label(plan.monthly_rate_bp),
        created_at=format_local(plan.created_at)[:16],
        status=plan.status,
        status_label=PLAN_STATUS_LABELS.get(plan.status, plan.status),
        invoice_ids=invoice_ids,
        invoice_numbers=invoice_numbers,
        cuotas=[_cuota_public(c, crediting, today) for c in sorted(cuotas, key=lambda c: c.number)],
    )


async def list_plans(*, session, user_id: int, now: datetime) -> list[PlanPublic]:
    """The customer's plans, newest first, each with its invoices and cuotas (paid or not)."""
    plans = list(
        (
            await session.exec(
                select(PaymentPlan)
                .where(PaymentPlan.user_id == user_id)
                .order_by(PaymentPlan.created_at.desc(), PaymentPlan.id.desc())
            )
        ).all()
    )
    if not plans:
        return []
    plan_ids = [plan.id for plan in plans]
    invoices: dict[int, list[tuple[str, str]]] = {pid: [] for pid in plan_ids}
    for plan_id, invoice_id, number in (
        await session.exec(
            select(PlanInvoice.plan_id, Invoice.id, Invoice.number)
            .join(Invoice, Invoice.id == PlanInvoice.invoice_id)
            .where(PlanInvoice.plan_id.in_(plan_ids))
            .order_by(Invoice.due_on, Invoice.number)
        )
    ).all():
        invoices[plan_id].append((invoice_id, number))
    cuotas: dict[int, list[PlanInstallment]] = {pid: [] for pid in plan_ids}
    for cuota in (await session.exec(select(PlanInstallment).where(PlanInstallment.plan_id.in_(plan_ids)))).all():
        cuotas[cuota.plan_id].append(cuota)
    cuota_ids = [c.id for rows in cuotas.values() for c in rows]
    crediting = set(
        (
            await session.exec(
                select(Payment.installment_id).where(
                    Payment.installment_id.in_(cuota_ids),
                    Payment.user_id == user_id,
                    Payment.status == PaymentStatus.APPROVED,
                )
            )
        ).all()
    )
    today = local_day(now)
    return [
        _plan_public(
            plan,
            [i for i, _ in invoices[plan.id]],
            [n for _, n in invoices[plan.id]],
            cuotas[plan.id],
            crediting,
            today,
        )
        for plan in plans
    ]
