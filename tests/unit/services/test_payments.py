"""Pagar una factura: the payment state machine, who may pay what, the webhook and the settings.

The Mercado Pago side is a real local HTTP server (tests/unit/adapters/test_payments.py's FakeMercadoPago,
which follows Mercado Pago's documented shapes; the documentation pages are named there).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import httpx
import pytest
from sqlmodel import select

from autogestion.adapters.payments import DemoProvider, MercadoPagoProvider, ProviderPayment, sign_mp
from autogestion.config import ConfigError, get_settings, load_settings
from autogestion.http import build_api
from autogestion.models import (
    Invoice,
    InvoicePublicStatus,
    InvoiceStatus,
    LinkStatus,
    OutboxMessage,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanInstallment,
    PlanInvoice,
    SupplyLink,
)
from autogestion.services import payments
from autogestion.services.errors import DomainError, NotFound, ValidationError
from autogestion.services.invoices import invoice_pdf_for_user, invoice_status, list_invoices
from autogestion.services.payments import Outcome, apply_provider_payment, demo_decide, start_payment
from tests.unit.adapters.test_payments import TOKEN, FakeMercadoPago
from tests.unit.services.supply_helpers import JUAN_SUPPLY, NOW, TODAY

SECRET = "webhook-secret-for-tests"


@pytest.fixture
async def juan_linked(session, juan):
    session.add(
        SupplyLink(
            user_id=juan.id, supply_number=JUAN_SUPPLY, is_holder=True, status=LinkStatus.PENDING, created_at=NOW
        )
    )
    await session.commit()
    return juan


async def _invoices(session, status: str) -> list[Invoice]:
    return list(
        (
            await session.exec(
                select(Invoice)
                .where(Invoice.supply_number == JUAN_SUPPLY, Invoice.status == status)
                .order_by(Invoice.issued_on.desc())
            )
        ).all()
    )


async def _unpaid(session) -> Invoice:
    return (await _invoices(session, InvoiceStatus.UNPAID))[0]


async def _start(session, user, invoice, provider=None):
    started = await start_payment(
        session=session, user_id=user.id, invoice_id=invoice.id, now=NOW, provider=provider or DemoProvider()
    )
    await session.commit()
    return started


async def _payment(session, payment_id: str) -> Payment:
    fresh = select(Payment).where(Payment.id == payment_id).execution_options(populate_existing=True)
    return (await session.exec(fresh)).one()


async def _receipts(session, user) -> list[OutboxMessage]:
    rows = await session.exec(
        select(OutboxMessage).where(OutboxMessage.user_id == user.id, OutboxMessage.subject.like("Recibimos tu pago%"))
    )
    return list(rows.all())


async def _row_of(session, user, invoice: Invoice):
    page = await list_invoices(
        session=session, user_id=user.id, supply_number=JUAN_SUPPLY, page=1, page_size=100, today=TODAY
    )
    return next(row for row in page.rows if row.id == invoice.id)


def _report(payment_id: str, status: str, amount_cents: int, external_id: str = "1319263385") -> ProviderPayment:
    return ProviderPayment(
        external_id=external_id,
        status=status,
        status_detail="",
        external_reference=payment_id,
        amount_cents=amount_cents,
    )


async def _plan(session, user, invoice: Invoice | None = None) -> PaymentPlan:
    plan = PaymentPlan(
        user_id=user.id,
        supply_number=JUAN_SUPPLY,
        installments=3,
        monthly_rate_bp=250,
        principal_cents=30000,
        total_cents=31500,
        created_at=NOW,
    )
    session.add(plan)
    await session.flush()
    if invoice is not None:
        session.add(PlanInvoice(invoice_id=invoice.id, plan_id=plan.id))
    for n in (1, 2, 3):
        session.add(
            PlanInstallment(plan_id=plan.id, number=n, due_on=TODAY + timedelta(days=30 * n), amount_cents=10500)
        )
    await session.commit()
    return plan


async def _installments(session, plan: PaymentPlan) -> list[PlanInstallment]:
    rows = await session.exec(
        select(PlanInstallment)
        .where(PlanInstallment.plan_id == plan.id)
        .order_by(PlanInstallment.number)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


# --- the status rule ------------------------------------------------------------------------------


def test_invoice_status_paid_then_plan_then_crediting():
    invoice = Invoice(
        id="a" * 32,
        supply_number="1",
        number="1",
        period="2026-10",
        issued_on=date(2026, 10, 5),
        due_on=date(2026, 10, 20),
        amount_cents=100,
        status=InvoiceStatus.UNPAID,
    )
    today = date(2026, 11, 1)
    assert invoice_status(invoice, today) == InvoicePublicStatus.OVERDUE
    assert invoice_status(invoice, today, crediting=True) == InvoicePublicStatus.CREDITING
    assert invoice_status(invoice, today, in_plan=True) == InvoicePublicStatus.IN_PLAN
    assert invoice_status(invoice, today, crediting=True, in_plan=True) == InvoicePublicStatus.IN_PLAN
    invoice.status = InvoiceStatus.PAID
    assert invoice_status(invoice, today, crediting=True, in_plan=True) == InvoicePublicStatus.PAID


# --- start_payment --------------------------------------------------------------------------------


async def test_start_takes_the_amount_from_the_database(session, juan_linked):
    invoice = await _unpaid(session)
    started = await _start(session, juan_linked, invoice)
    assert started.redirect_url == f"/pagos/demo/{started.payment_id}"
    payment = await _payment(session, started.payment_id)
    assert (payment.status, payment.amount_cents, payment.provider) == (
        PaymentStatus.PENDING,
        invoice.amount_cents,
        "demo",
    )
    assert (payment.user_id, payment.invoice_id, payment.installment_id) == (juan_linked.id, invoice.id, None)
    with pytest.raises(TypeError):  # there is no way to hand in an amount
        await start_payment(
            session=session, user_id=juan_linked.id, invoice_id=invoice.id, amount_cents=1, now=NOW, provider=None
        )


async def test_someone_elses_invoice_is_not_found(session, juan_linked, maria):
    invoice = await _unpaid(session)
    for user_id, invoice_id in ((maria.id, invoice.id), (juan_linked.id, "f" * 32), (juan_linked.id, ["x"])):
        with pytest.raises(NotFound, match="Factura no encontrada"):
            await start_payment(
                session=session, user_id=user_id, invoice_id=invoice_id, now=NOW, provider=DemoProvider()
            )
    with pytest.raises(ValidationError):
        await start_payment(session=session, user_id=juan_linked.id, now=NOW, provider=DemoProvider())
    assert (await session.exec(select(Payment))).all() == []


async def test_paid_in_plan_and_crediting_invoices_are_refused(session, juan_linked):
    paid = (await _invoices(session, InvoiceStatus.PAID))[0]
    with pytest.raises(DomainError, match="ya está pagada"):
        await _start(session, juan_linked, paid)
    unpaid = await _invoices(session, InvoiceStatus.UNPAID)
    await _plan(session, juan_linked, unpaid[-1])
    with pytest.raises(DomainError, match="plan de pago"):
        await _start(session, juan_linked, unpaid[-1])
    started = await _start(session, juan_linked, unpaid[0])
    await demo_decide(session=session, user_id=juan_linked.id, payment_id=started.payment_id, approve=True, now=NOW)
    await session.commit()
    with pytest.raises(DomainError, match="en acreditación"):
        await _start(session, juan_linked, unpaid[0])


# --- the state machine ----------------------------------------------------------------------------


async def test_demo_approval_makes_the_invoice_crediting_with_a_receipt(session, juan_linked):
    invoice = await _unpaid(session)
    assert (await _row_of(session, juan_linked, invoice)).payable
    started = await _start(session, juan_linked, invoice)
    shown = await demo_decide(
        session=session, user_id=juan_linked.id, payment_id=started.payment_id, approve=True, now=NOW
    )
    await session.commit()
    assert (shown.status, shown.return_url) == (PaymentStatus.APPROVED, f"/suministros/{JUAN_SUPPLY}")
    row = await _row_of(session, juan_linked, invoice)
    assert (row.status, row.status_label, row.payable) == (
        InvoicePublicStatus.CREDITING,
        "Pago en acreditación",
        False,
    )
    (receipt,) = await _receipts(session, juan_linked)
    assert receipt.recipient == juan_linked.email
    assert invoice.number in receipt.body and "«Pago en acreditación»" in receipt.body
    # Deciding again, or someone else deciding, changes nothing.
    with pytest.raises(DomainError, match="ya fue resuelto"):
        await demo_decide(
            session=session, user_id=juan_linked.id, payment_id=started.payment_id, approve=False, now=NOW
        )


async def test_the_pdf_shows_the_same_status(session, juan_linked):
    import io

    from pypdf import PdfReader

    invoice = await _unpaid(session)
    started = await _start(session, juan_linked, invoice)
    await demo_decide(session=session, user_id=juan_linked.id, payment_id=started.payment_id, approve=True, now=NOW)
    await session.commit()
    pdf, _ = await invoice_pdf_for_user(session=session, user_id=juan_linked.id, invoice_id=invoice.id, today=TODAY)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "acreditación" in text


async def test_someone_elses_demo_payment_is_not_found(session, juan_linked, maria):
    started = await _start(session, juan_linked, await _unpaid(session))
    with pytest.raises(NotFound):
        await demo_decide(session=session, user_id=maria.id, payment_id=started.payment_id, approve=True, now=NOW)
    assert (await _payment(session, started.payment_id)).status == PaymentStatus.PENDING


async def test_demo_decisions_refused_when_the_provider_is_mercadopago(session, juan_linked, monkeypatch):
    started = await _start(session, juan_linked, await _unpaid(session))
    monkeypatch.setenv("AUTOGESTION_PAYMENTS", "mercadopago")
    get_settings.cache_clear()
    with pytest.raises(NotFound):
        await demo_decide(session=session, user_id=juan_linked.id, payment_id=started.payment_id, approve=True, now=NOW)


async def test_rejected_leaves_the_invoice_payable(session, juan_linked):
    invoice = await _unpaid(session)
    started = await _start(session, juan_linked, invoice)
    await demo_decide(session=session, user_id=juan_linked.id, payment_id=started.payment_id, approve=False, now=NOW)
    await session.commit()
    assert (await _payment(session, started.payment_id)).status == PaymentStatus.REJECTED
    row = await _row_of(session, juan_linked, invoice)
    assert row.payable and row.status in (InvoicePublicStatus.UNPAID, InvoicePublicStatus.OVERDUE)
    assert await _receipts(session, juan_linked) == []


async def test_pending_then_approved_then_the_same_again(session, juan_linked):
    invoice = await _unpaid(session)
    started = await _start(session, juan_linked, invoice)
    pid, amount = started.payment_id, invoice.amount_cents
    apply = apply_provider_payment
    assert await apply(session=session, reported=_report(pid, "pending", amount), provider_name="demo", now=NOW) == (
        Outcome.PENDING
    )
    assert await apply(session=session, reported=_report(pid, "in_process", amount), provider_name="demo", now=NOW) == (
        Outcome.PENDING
    )
    assert (await _payment(session, pid)).status == PaymentStatus.PENDING
    for expected in (Outcome.APPROVED, Outcome.UNCHANGED, Outcome.UNCHANGED):
        got = await apply(session=session, reported=_report(pid, "approved", amount), provider_name="demo", now=NOW)
        await session.commit()
        assert got == expected
    # A late "rejected" for the same payment does not undo the approval.
    assert await apply(session=session, reported=_report(pid, "rejected", amount), provider_name="demo", now=NOW) == (
        Outcome.UNCHANGED
    )
    payment = await _payment(session, pid)
    assert (payment.status, payment.external_id) == (PaymentStatus.APPROVED, "1319263385")
    assert len(await _receipts(session, juan_linked)) == 1


async def test_rejected_then_approved_attempt(session, juan_linked):
    invoice = await _unpaid(session)
    pid = (await _start(session, juan_linked, invoice)).payment_id
    amount = invoice.amount_cents
    assert await apply_provider_payment(
        session=session, reported=_report(pid, "rejected", amount, "1"), provider_name="demo", now=NOW
    ) == (Outcome.REJECTED)
    assert await apply_provider_payment(
        session=session, reported=_report(pid, "approved", amount, "2"), provider_name="demo", now=NOW
    ) == (Outcome.APPROVED)
    assert (await _payment(session, pid)).external_id == "2"


async def test_unknown_and_mismatching_reports_change_nothing(session, juan_linked):
    invoice = await _unpaid(session)
    pid = (await _start(session, juan_linked, invoice)).payment_id
    for reference in ("0" * 32, "not-ours", ""):
        assert await apply_provider_payment(
            session=session, reported=_report(reference, "approved", 100), provider_name="demo", now=NOW
        ) == (Outcome.UNKNOWN)
    wrong_amount = _report(pid, "approved", invoice.amount_cents - 1)
    assert await apply_provider_payment(session=session, reported=wrong_amount, provider_name="demo", now=NOW) == (
        Outcome.MISMATCH
    )
    wrong_provider = _report(pid, "approved", invoice.amount_cents)
    assert await apply_provider_payment(
        session=session, reported=wrong_provider, provider_name="mercadopago", now=NOW
    ) == (Outcome.MISMATCH)
    assert (await _payment(session, pid)).status == PaymentStatus.PENDING


async def test_late_approval_for_a_paid_invoice_is_recorded_only(session, juan_linked, caplog):
    invoice = await _unpaid(session)
    pid = (await _start(session, juan_linked, invoice)).payment_id
    invoice.status = InvoiceStatus.PAID  # the billing import got there first
    session.add(invoice)
    await session.commit()
    got = await apply_provider_payment(
        session=session, reported=_report(pid, "approved", invoice.amount_cents), provider_name="demo", now=NOW
    )
    await session.commit()
    assert got == Outcome.LATE
    assert (await _payment(session, pid)).status == PaymentStatus.APPROVED  # recorded
    assert (await _row_of(session, juan_linked, invoice)).status == InvoicePublicStatus.PAID
    assert await _receipts(session, juan_linked) == []
    assert "late payment approval" in caplog.text


async def test_late_approval_for_an_invoice_in_a_plan_is_recorded_only(session, juan_linked):
    invoice = await _unpaid(session)
    pid = (await _start(session, juan_linked, invoice)).payment_id
    await _plan(session, juan_linked, invoice)  # subscribed while the customer was at the checkout
    got = await apply_provider_payment(
        session=session, reported=_report(pid, "approved", invoice.amount_cents), provider_name="demo", now=NOW
    )
    await session.commit()
    assert got == Outcome.LATE
    assert (await _row_of(session, juan_linked, invoice)).status == InvoicePublicStatus.IN_PLAN


async def test_a_second_approved_payment_of_the_same_invoice_is_late(session, juan_linked):
    invoice = await _unpaid(session)
    first = (await _start(session, juan_linked, invoice)).payment_id
    second = (await _start(session, juan_linked, invoice)).payment_id  # two tabs
    await demo_decide(session=session, user_id=juan_linked.id, payment_id=first, approve=True, now=NOW)
    got = await apply_provider_payment(
        session=session, reported=_report(second, "approved", invoice.amount_cents), provider_name="demo", now=NOW
    )
    assert got == Outcome.LATE
    await session.commit()
    assert len(await _receipts(session, juan_linked)) == 1


# --- plan cuotas ----------------------------------------------------------------------------------


async def test_a_cuota_is_paid_like_an_invoice(session, juan_linked, maria):
    plan = await _plan(session, juan_linked)
    first, second, _ = await _installments(session, plan)
    with pytest.raises(NotFound, match="Cuota no encontrada"):
        await start_payment(
            session=session, user_id=maria.id, installment_id=first.id, now=NOW, provider=DemoProvider()
        )
    # A string, a bool, zero and ids past what a database key holds (SQLite would overflow) are "not found" too.
    for forged in (str(first.id), True, 0, -1, 2**63, 10**30):
        with pytest.raises(NotFound, match="Cuota no encontrada"):
            await start_payment(
                session=session, user_id=juan_linked.id, installment_id=forged, now=NOW, provider=DemoProvider()
            )
    started = await start_payment(
        session=session, user_id=juan_linked.id, installment_id=first.id, now=NOW, provider=DemoProvider()
    )
    await session.commit()
    assert (await _payment(session, started.payment_id)).amount_cents == 10500
    shown = await demo_decide(
        session=session, user_id=juan_linked.id, payment_id=started.payment_id, approve=True, now=NOW
    )
    await session.commit()
    assert shown.return_url == "/tramites"
    first, second, _ = await _installments(session, plan)
    assert first.paid_at is not None and second.paid_at is None
    with pytest.raises(DomainError, match="cuota ya está pagada"):
        await start_payment(
            session=session, user_id=juan_linked.id, installment_id=first.id, now=NOW, provider=DemoProvider()
        )
    (receipt,) = await _receipts(session, juan_linked)
    # A cuota is paid at once: its receipt says so, not "Pago en acreditación" as an invoice's does.
    assert "la cuota 1 de tu plan de pago" in receipt.body and "figura como pagada" in receipt.body
    assert "acreditación" not in receipt.body


# --- Mercado Pago: checkout and webhook -----------------------------------------------------------


@pytest.fixture
async def mp(monkeypatch):
    server = await FakeMercadoPago().start()
    monkeypatch.setenv("AUTOGESTION_PAYMENTS", "mercadopago")
    monkeypatch.setenv("AUTOGESTION_MP_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("AUTOGESTION_MP_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("AUTOGESTION_MP_API_URL", server.url)
    get_settings.cache_clear()
    yield server
    await server.stop()


def _mp_provider(server) -> MercadoPagoProvider:
    return MercadoPagoProvider(access_token=TOKEN, api_url=server.url)


async def _notify(data_id: str, *, secret: str = SECRET, signature: str | None = None, request_id: str = "req-1"):
    ts = "1764340000000"
    v1 = sign_mp(secret=secret, data_id=data_id, request_id=request_id, ts=ts)
    headers = {"x-request-id": request_id, "x-signature": signature if signature is not None else f"ts={ts},v1={v1}"}
    body = {"action": "payment.updated", "api_version": "v1", "type": "payment", "data": {"id": data_id}}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_api()), base_url="http://localhost:3000"
    ) as client:
        return await client.post(
            f"/api/pagos/mercadopago?data.id={data_id}&type=payment", content=json.dumps(body), headers=headers
        )


async def test_mercadopago_checkout_and_signed_notification(session, juan_linked, mp):
    invoice = await _unpaid(session)
    started = await _start(session, juan_linked, invoice, provider=_mp_provider(mp))
    assert started.redirect_url.startswith("https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id=")
    (preference,) = mp.preferences
    assert preference["external_reference"] == started.payment_id
    assert preference["items"][0]["unit_price"] == invoice.amount_cents / 100
    assert preference["notification_url"] == "http://localhost:3000/api/pagos/mercadopago?source_news=webhooks"
    assert preference["back_urls"]["success"] == f"http://localhost:3000/suministros/{JUAN_SUPPLY}"

    mp.add_payment("1319263385", status="pending", reference=started.payment_id, amount=invoice.amount_cents / 100)
    assert (await _notify("1319263385")).status_code == 200
    assert (await _payment(session, started.payment_id)).status == PaymentStatus.PENDING

    mp.add_payment("1319263385", status="approved", reference=started.payment_id, amount=invoice.amount_cents / 100)
    for _ in range(2):  # the same notification twice
        assert (await _notify("1319263385")).status_code == 200
    assert (await _payment(session, started.payment_id)).status == PaymentStatus.APPROVED
    assert len(await _receipts(session, juan_linked)) == 1
    assert (await _row_of(session, juan_linked, invoice)).status == InvoicePublicStatus.CREDITING


async def test_bad_or_missing_signature_is_refused_and_changes_nothing(session, juan_linked, mp):
    invoice = await _unpaid(session)
    started = await _start(session, juan_linked, invoice, provider=_mp_provider(mp))
    mp.add_payment("1319263385", status="approved", reference=started.payment_id, amount=invoice.amount_cents / 100)
    for response in (
        await _notify("1319263385", secret="not-the-secret"),
        await _notify("1319263385", signature=""),
        await _notify("1319263385", signature="ts=1,v1=00"),
    ):
        assert response.status_code == 401
    assert mp.lookups == []  # not even asked
    assert (await _payment(session, started.payment_id)).status == PaymentStatus.PENDING


async def test_unknown_payment_is_answered_200_and_nothing_changes(session, juan_linked, mp):
    response = await _notify("555")
    assert response.status_code == 200
    assert mp.lookups == ["555"]
    # A payment Mercado Pago knows but whose reference is not ours: also nothing.
    mp.add_payment("556", status="approved", reference="someone-else", amount=10)
    assert (await _notify("556")).status_code == 200
    assert (await session.exec(select(Payment))).all() == []


async def test_mercadopago_down_asks_for_a_retry(session, juan_linked, mp):
    mp.fail = True
    assert (await _notify("1319263385")).status_code == 502


async def test_provider_down_refuses_to_start_with_a_clear_message(session, juan_linked, mp):
    mp.fail = True
    with pytest.raises(DomainError, match="No pudimos iniciar el pago"):
        await start_payment(
            session=session,
            user_id=juan_linked.id,
            invoice_id=(await _unpaid(session)).id,
            now=NOW,
            provider=_mp_provider(mp),
        )


async def test_webhook_is_closed_with_the_demo_provider(session, juan_linked):
    assert (await _notify("1")).status_code == 404


# --- settings -------------------------------------------------------------------------------------

PROD = {
    "AUTOGESTION_ENV": "production",
    "AUTOGESTION_SECRET_KEY": "Zx8#kP2$vL9@qW4!mN7&rT1*yB5^cF3%hJ6",
    "AUTOGESTION_BASE_URL": "https://autogestion.example.com.ar",
    "AUTOGESTION_SMTP_SINK": "false",
    "AUTOGESTION_DEV_PAGES": "false",
    "AUTOGESTION_SMTP_TLS": "starttls",
    "AUTOGESTION_SMS_GATEWAY_URL": "https://sms.example/api",
    "DATABASE_URL": "postgresql://u:p@db/autogestion",
    "AUTOGESTION_PAYMENTS": "mercadopago",
    "AUTOGESTION_MP_ACCESS_TOKEN": TOKEN,
    "AUTOGESTION_MP_WEBHOOK_SECRET": SECRET,
}


def test_payment_settings_defaults():
    settings = load_settings({})
    assert (settings.payments, settings.mp_api_url) == ("demo", "https://api.mercadopago.com")
    assert load_settings(PROD).payments == "mercadopago"
    with pytest.raises(ConfigError, match="AUTOGESTION_PAYMENTS"):
        load_settings({"AUTOGESTION_PAYMENTS": "paypal"})


def test_production_refuses_the_demo_checkout():
    with pytest.raises(ConfigError, match="AUTOGESTION_PAYMENTS"):
        load_settings({**PROD, "AUTOGESTION_PAYMENTS": "demo"})
    with pytest.raises(ConfigError, match="AUTOGESTION_PAYMENTS"):
        load_settings({k: v for k, v in PROD.items() if k != "AUTOGESTION_PAYMENTS"})


def test_production_refuses_a_missing_token():
    with pytest.raises(ConfigError, match="AUTOGESTION_MP_ACCESS_TOKEN"):
        load_settings({**PROD, "AUTOGESTION_MP_ACCESS_TOKEN": ""})


def test_production_refuses_a_missing_webhook_secret():
    with pytest.raises(ConfigError, match="AUTOGESTION_MP_WEBHOOK_SECRET"):
        load_settings({**PROD, "AUTOGESTION_MP_WEBHOOK_SECRET": ""})


def test_webhook_path_is_the_routed_one():
    assert payments.WEBHOOK_PATH == "/api/pagos/mercadopago"
