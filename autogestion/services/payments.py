"""Pagar una factura (or a plan's cuota): start a payment at the provider, apply what the provider reports.

The state machine of a `Payment`: pendiente → aprobado | rechazado, and nothing else. An approved payment
makes its invoice "Pago en acreditación" until the billing import says "pagada" (or marks the cuota paid).
The amount always comes from the database; what a provider reports is applied only after it was read back
from the provider (never from a notification's body), once: the same report twice changes nothing.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlmodel import select

from autogestion import routes
from autogestion.adapters.payments import DEMO, PaymentProvider, ProviderError, ProviderPayment
from autogestion.config import get_settings
from autogestion.models import (
    DemoCheckoutPublic,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentPlan,
    PaymentStartPublic,
    PaymentStatus,
    PlanInstallment,
    PlanInvoice,
    User,
)
from autogestion.services import notices, outbox
from autogestion.services.errors import DomainError, NotFound, ValidationError
from autogestion.services.formatting import format_money
from autogestion.services.invoices import get_invoice_for_user

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/pagos/mercadopago"
_PAYMENT_ID = re.compile(r"[0-9a-f]{32}")
_MAX_ID = 2**63 - 1  # the largest integer key a database takes: a bigger one is "not found", not an overflow

PAYMENT_NOT_FOUND = "Pago no encontrado."
INSTALLMENT_NOT_FOUND = "Cuota no encontrada."
ALREADY_PAID = "Esta factura ya está pagada."
INSTALLMENT_PAID = "Esta cuota ya está pagada."
IN_PLAN = "Esta factura está incluida en un plan de pago: pagá las cuotas del plan desde Trámites."
CREDITING = "Ya recibimos un pago de esta factura: está en acreditación."
INSTALLMENT_CREDITING = "Ya recibimos un pago de esta cuota."
CHOOSE_ONE = "Elegí una factura o una cuota para pagar."
PROVIDER_DOWN = "No pudimos iniciar el pago. Probá de nuevo en unos minutos."
ALREADY_DECIDED = "Este pago ya fue resuelto."

STATUS_LABELS = {
    PaymentStatus.PENDING: "Pendiente",
    PaymentStatus.APPROVED: "Aprobado",
    PaymentStatus.REJECTED: "Rechazado",
}
# What a provider's status means for our Payment (anything else leaves it as it is).
APPROVED_STATUSES = ("approved",)
REJECTED_STATUSES = ("rejected", "cancelled")


class Outcome:
    """What apply_provider_payment did (for the webhook's log and the tests)."""

    UNKNOWN = "unknown"  # no Payment of ours has that reference
    MISMATCH = "mismatch"  # the provider's amount or provider name differs: nothing applied, logged
    APPROVED = "approved"
    REJECTED = "rejected"
    PENDING = "pending"  # still pending at the provider
    UNCHANGED = "unchanged"  # the same report again, or a report that cannot move a settled payment
    LATE = "late"  # approved, but the invoice was already paid, in a plan or paid by another payment


def _base_url() -> str:
    return get_settings().base_url


def webhook_url() -> str:
    return _base_url() + WEBHOOK_PATH


async def _approved_exists(session, *, invoice_id: str | None = None, installment_id: int | None = None) -> bool:
    condition = Payment.invoice_id == invoice_id if invoice_id is not None else Payment.installment_id == installment_id
    row = (await session.exec(select(Payment.id).where(condition, Payment.status == PaymentStatus.APPROVED))).first()
    return row is not None


async def _in_plan(session, invoice_id: str) -> bool:
    row = (await session.exec(select(PlanInvoice.plan_id).where(PlanInvoice.invoice_id == invoice_id))).first()
    return row is not None


async def _owned_installment(session, user_id: int, installment_id: object) -> tuple[PlanInstallment, PaymentPlan]:
    if type(installment_id) is not int or not 1 <= installment_id <= _MAX_ID:
        raise NotFound(INSTALLMENT_NOT_FOUND)
    row = (
        await session.exec(
            select(PlanInstallment, PaymentPlan)
            .join(PaymentPlan, PaymentPlan.id == PlanInstallment.plan_id)
            .where(PlanInstallment.id == installment_id, PaymentPlan.user_id == user_id)
        )
    ).first()
    if row is None:
        raise NotFound(INSTALLMENT_NOT_FOUND)
    return row[0], row[1]


def _invoice_title(invoice: Invoice) -> str:
    return f"Factura N° {invoice.number} — Suministro N° {invoice.supply_number}"


def _installment_title(installment: PlanInstallment, plan: PaymentPlan) -> str:
    return f"Cuota {installment.number} del plan de pago N° {plan.id} — Suministro N° {plan.supply_number}"


async def start_payment(
    *,
    session,
    user_id: int,
    invoice_id: object = None,
    installment_id: object = None,
    now: datetime,
    provider: PaymentProvider,
) -> PaymentStartPublic:
    """**Pagar**: a pending Payment for the user's invoice or plan cuota, and where to send the customer.

    Args:
        session: An open session (the Payment row is added to it).
        user_id: The logged-in user (part of every query: someone else's invoice or cuota is "not found").
        invoice_id: The invoice to pay, as received; or
        installment_id: the PlanInstallment to pay, as received (exactly one of the two).
        now: The time the Payment is created at.
        provider: The payment provider (adapters.payments.build_provider).

    Returns:
        The Payment's id and the provider's checkout address.

    Raises:
        NotFound: Not an invoice of a supply linked to the user, or not a cuota of the user's plan.
        DomainError: Already paid, in a plan, already paid through the portal ("en acreditación"), or the
            provider could not be reached.
    """
    if (invoice_id is None) == (installment_id is None):
        raise ValidationError(CHOOSE_ONE)
    if invoice_id is not None:
        invoice, _ = await get_invoice_for_user(session=session, user_id=user_id, invoice_id=invoice_id)
        if invoice.status == InvoiceStatus.PAID:
            raise DomainError(ALREADY_PAID)
        if await _in_plan(session, invoice.id):
            raise DomainError(IN_PLAN)
        if await _approved_exists(session, invoice_id=invoice.id):
            raise DomainError(CREDITING)
        target, amount_cents = {"invoice_id": invoice.id}, invoice.amount_cents
        title, back = _invoice_title(invoice), routes.suministro(invoice.supply_number)
    else:
        installment, plan = await _owned_installment(session, user_id, installment_id)
        if installment.paid_at is not None:
            raise DomainError(INSTALLMENT_PAID)
        if await _approved_exists(session, installment_id=installment.id):
            raise DomainError(INSTALLMENT_CREDITING)
        target, amount_cents = {"installment_id": installment.id}, installment.amount_cents
        title, back = _installment_title(installment, plan), routes.TRAMITES
    # The amount always comes from the database row, never from the caller.
    payment = Payment(
        user_id=user_id, provider=provider.name, amount_cents=amount_cents, created_at=now, updated_at=now, **target
    )
    session.add(payment)
    await session.flush()
    try:
        url = await provider.create_checkout(
            payment_id=payment.id,
            title=title,
            amount_cents=payment.amount_cents,
            return_url=_base_url() + back,
            notification_url=webhook_url(),
        )
    except ProviderError as exc:
        log.warning("payment provider refused a checkout: provider=%s payment=%s %s", provider.name, payment.id, exc)
        raise DomainError(PROVIDER_DOWN) from None
    return PaymentStartPublic(payment_id=payment.id, redirect_url=url)


async def _receipt(session, payment: Payment, what: str, now: datetime) -> None:
    user = await session.get(User, payment.user_id)
    if user is None or not user.email:
        return
    email = notices.payment_received(
        name=f"{user.first_names} {user.last_names}".strip(),
        when=now,
        what=what,
        amount=format_money(payment.amount_cents),
        reference=payment.id[:12].upper(),
        installment=payment.installment_id is not None,
    )
    outbox.enqueue_email(session, to=user.email, subject=email.subject, body=email.body, user_id=user.id)


async def _approve(session, payment: Payment, now: datetime) -> str:
    """The effects of an approval on the invoice or cuota; returns APPROVED or LATE."""
    if payment.invoice_id is not None:
        invoice = await session.get(Invoice, payment.invoice_id)
        late = (
            invoice is None
            or invoice.status == InvoiceStatus.PAID
            or await _in_plan(session, payment.invoice_id)
            or await _approved_exists(session, invoice_id=payment.invoice_id)
        )
        what = f"la factura N° {invoice.number}" if invoice is not None else "una factura"
    else:
        installment = await session.get(PlanInstallment, payment.installment_id)
        late = (
            installment is None
            or installment.paid_at is not None
            or await _approved_exists(session, installment_id=payment.installment_id)
        )
        if not late:
            installment.paid_at = now
            session.add(installment)
        what = f"la cuota {installment.number} de tu plan de pago" if installment is not None else "una cuota"
    payment.status, payment.updated_at = PaymentStatus.APPROVED, now
    session.add(payment)
    if late:
        # Money was taken for something already settled: recorded for the commercial office to reconcile.
        log.warning(
            "late payment approval recorded, nothing changed: payment=%s invoice=%s installment=%s external=%s",
            payment.id,
            payment.invoice_id,
            payment.installment_id,
            payment.external_id,
        )
        return Outcome.LATE
    await _receipt(session, payment, what, now)
    return Outcome.APPROVED


async def apply_provider_payment(*, session, reported: ProviderPayment, provider_name: str, now: datetime) -> str:
    """Apply a payment as the provider reports it (read back from the provider), idempotently.

    Args:
        session: An open session.
        reported: The provider's payment (never a notification body).
        provider_name: Which provider reported it ("demo" | "mercadopago").
        now: The time of the change.

    Returns:
        An Outcome value: approved (the invoice shows "Pago en acreditación", or the cuota is paid, and a
        receipt is enqueued), rejected, pending, unchanged (the same report again, or a pending/rejected
        report for a settled payment), late (approved for something already paid or in a plan: recorded,
        no status change, logged), unknown (no such reference: nothing) or mismatch (amount or provider
        differ: nothing applied, logged).
    """
    reference = reported.external_reference
    if not _PAYMENT_ID.fullmatch(reference or ""):
        return Outcome.UNKNOWN
    payment = (await session.exec(select(Payment).where(Payment.id == reference).with_for_update())).first()
    if payment is None:
        return Outcome.UNKNOWN
    if payment.provider != provider_name or reported.amount_cents != payment.amount_cents:
        log.error(
            "payment report does not match: payment=%s provider=%s/%s amount=%s/%s external=%s",
            payment.id,
            payment.provider,
            provider_name,
            payment.amount_cents,
            reported.amount_cents,
            reported.external_id,
        )
        return Outcome.MISMATCH
    if payment.status != PaymentStatus.PENDING:
        if reported.status in APPROVED_STATUSES and payment.status == PaymentStatus.APPROVED:
            return Outcome.UNCHANGED  # the same notification again
        if reported.status in APPROVED_STATUSES:  # approved after we saw a rejection: a new attempt succeeded
            payment.external_id = reported.external_id[:64]
            return await _approve(session, payment, now)
        if payment.status == PaymentStatus.APPROVED and reported.status not in ("pending", "in_process"):
            log.warning("approved payment reported %s: payment=%s", reported.status, payment.id)
        return Outcome.UNCHANGED
    if reported.status in APPROVED_STATUSES:
        payment.external_id = reported.external_id[:64]
        return await _approve(session, payment, now)
    if reported.status in REJECTED_STATUSES:
        payment.status, payment.external_id, payment.updated_at = (
            PaymentStatus.REJECTED,
            reported.external_id[:64],
            now,
        )
        session.add(payment)
        return Outcome.REJECTED
    if reported.external_id and payment.external_id != reported.external_id[:64]:
        payment.external_id, payment.updated_at = reported.external_id[:64], now
        session.add(payment)
    return Outcome.PENDING


async def _own_demo_payment(session, user_id: int, payment_id: object) -> Payment:
    if get_settings().payments != DEMO or not isinstance(payment_id, str) or not _PAYMENT_ID.fullmatch(payment_id):
        raise NotFound(PAYMENT_NOT_FOUND)
    payment = (
        await session.exec(
            select(Payment).where(Payment.id == payment_id, Payment.user_id == user_id, Payment.provider == DEMO)
        )
    ).first()
    if payment is None:
        raise NotFound(PAYMENT_NOT_FOUND)
    return payment


async def _demo_public(session, payment: Payment) -> DemoCheckoutPublic:
    if payment.invoice_id is not None:
        invoice = await session.get(Invoice, payment.invoice_id)
        title = _invoice_title(invoice) if invoice is not None else "Factura"
        back = routes.suministro(invoice.supply_number) if invoice is not None else routes.SUMINISTROS
    else:
        installment = await session.get(PlanInstallment, payment.installment_id)
        plan = await session.get(PaymentPlan, installment.plan_id) if installment is not None else None
        title = _installment_title(installment, plan) if plan is not None else "Cuota de plan de pago"
        back = routes.TRAMITES
    return DemoCheckoutPublic(
        payment_id=payment.id,
        title=title,
        amount=format_money(payment.amount_cents),
        status=payment.status,
        status_label=STATUS_LABELS.get(payment.status, payment.status),
        return_url=back,
    )


async def get_demo_checkout(*, session, user_id: int, payment_id: object) -> DemoCheckoutPublic:
    """The demo checkout page of one of the user's demo payments.

    Raises:
        NotFound: Not a demo payment of this user (or the demo provider is off).
    """
    payment = await _own_demo_payment(session, user_id, payment_id)
    return await _demo_public(session, payment)


async def demo_decide(*, session, user_id: int, payment_id: object, approve: bool, now: datetime) -> DemoCheckoutPublic:
    """The demo checkout's "Aprobar" / "Rechazar": applied exactly as a provider's report would be.

    Raises:
        NotFound: Not a demo payment of this user (or the demo provider is off).
        DomainError: The payment was already approved or rejected.
    """
    if type(approve) is not bool:
        raise ValidationError("Decisión inválida.")
    payment = await _own_demo_payment(session, user_id, payment_id)
    if payment.status != PaymentStatus.PENDING:
        raise DomainError(ALREADY_DECIDED)
    reported = ProviderPayment(
        external_id=f"demo-{payment.id}",
        status="approved" if approve else "rejected",
        status_detail="accredited" if approve else "cc_rejected_other_reason",
        external_reference=payment.id,
        amount_cents=payment.amount_cents,
    )
    await apply_provider_payment(session=session, reported=reported, provider_name=DEMO, now=now)
    return await _demo_public(session, payment)
