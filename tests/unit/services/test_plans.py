"""Plan de Pago: eligible invoices, the schedule from plan_math, refusals, one plan per invoice, the notice."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from autogestion.config import get_settings
from autogestion.models import (
    Invoice,
    InvoiceStatus,
    LinkStatus,
    OutboxMessage,
    PaymentPlan,
    PlanInstallment,
    PlanInvoice,
    SupplyLink,
)
from autogestion.services import notifications, plan_math, plans
from autogestion.services.errors import DomainError, NotFound, ValidationError
from tests.unit.services.supply_helpers import JUAN_SUPPLY, MARIA_SUPPLY, NOW, TODAY, link


async def invoices_of(session, number: str) -> list[Invoice]:
    query = select(Invoice).where(Invoice.supply_number == number).order_by(Invoice.due_on, Invoice.number)
    return list((await session.exec(query.execution_options(populate_existing=True))).all())


async def set_status(session, link_row: SupplyLink, status: str) -> None:
    link_row.status = status
    session.add(link_row)
    await session.commit()


@pytest.fixture
async def juan_validated(session, juan, tmp_path) -> SupplyLink:
    row = await link(session, juan, JUAN_SUPPLY, tmp_path)
    await set_status(session, row, LinkStatus.VALIDATED)
    return row


@pytest.fixture
async def shaped(session, juan_validated) -> dict[str, Invoice]:
    """Juan's supply reduced to four unpaid-or-paid cases (every other invoice paid)."""
    rows = await invoices_of(session, JUAN_SUPPLY)
    for row in rows:
        row.status = InvoiceStatus.PAID
    overdue_a, overdue_b, paid, in_plan, future = rows[-6], rows[-5], rows[-4], rows[-3], rows[-1]
    for row in (overdue_a, overdue_b, in_plan):
        row.status = InvoiceStatus.UNPAID
        row.due_on = TODAY - timedelta(days=10)
    future.status, future.due_on = InvoiceStatus.UNPAID, TODAY  # due today: not overdue yet
    paid.due_on = TODAY - timedelta(days=10)
    session.add_all(rows)
    plan = PaymentPlan(
        user_id=juan_validated.user_id,
        supply_number=JUAN_SUPPLY,
        installments=1,
        monthly_rate_bp=0,
        principal_cents=in_plan.amount_cents,
        total_cents=in_plan.amount_cents,
        created_at=NOW,
    )
    session.add(plan)
    await session.flush()
    session.add(PlanInvoice(invoice_id=in_plan.id, plan_id=plan.id))
    await session.commit()
    return {"a": overdue_a, "b": overdue_b, "paid": paid, "in_plan": in_plan, "future": future}


async def subscribe(session, user, ids, installments=3, number=JUAN_SUPPLY):
    return await plans.subscribe(
        session=session, user_id=user.id, supply_number=number, invoice_ids=ids, installments=installments, now=NOW
    )


# --- eligible invoices ------------------------------------------------------------------------------


async def test_only_unpaid_overdue_invoices_in_no_plan_are_eligible(session, shaped):
    eligible = await plans.eligible_invoices(session=session, supply_number=JUAN_SUPPLY, now=NOW)
    assert {row.id for row in eligible} == {shaped["a"].id, shaped["b"].id}


# --- the schedule -------------------------------------------------------------------------------------


async def test_the_plan_stores_plan_maths_schedule_and_total(session, juan, shaped):
    plan = await subscribe(session, juan, [shaped["a"].id, shaped["b"].id], installments=6)
    await session.commit()
    principal = shaped["a"].amount_cents + shaped["b"].amount_cents
    first_due = plan_math.next_business_day(TODAY + timedelta(days=30))
    expected = plan_math.schedule(principal_cents=principal, installments=6, monthly_rate_bp=250, first_due=first_due)
    stored = (await session.exec(select(PlanInstallment).order_by(PlanInstallment.number))).all()
    assert [(c.number, c.due_on, c.amount_cents) for c in stored] == [
        (i.number, i.due_on, i.amount_cents) for i in expected
    ]
    row = await session.get(PaymentPlan, plan.id)
    assert (row.principal_cents, row.total_cents, row.monthly_rate_bp) == (
        principal,
        plan_math.total_cents(expected),
        250,
    )
    assert sum(c.amount_cents for c in stored) == row.total_cents > principal
    assert first_due == date(2026, 12, 28)
    assert [c.amount for c in plan.cuotas] == [d[2] for d in plan_math.describe(expected)]
    linked = (await session.exec(select(PlanInvoice.invoice_id).where(PlanInvoice.plan_id == plan.id))).all()
    assert set(linked) == {shaped["a"].id, shaped["b"].id}


async def test_the_monthly_rate_comes_from_the_setting(session, juan, shaped, monkeypatch):
    monkeypatch.setenv("AUTOGESTION_PLAN_MONTHLY_RATE_BP", "0")
    get_settings.cache_clear()
    plan = await subscribe(session, juan, [shaped["a"].id], installments=12)
    row = await session.get(PaymentPlan, plan.id)
    assert row.monthly_rate_bp == 0 and row.total_cents == shaped["a"].amount_cents


def test_the_simulator_offers_1_3_6_and_12_cuotas_from_plan_math():
    options = plans.simulate(principal_cents=1_000_000, now=NOW)
    assert [o.installments for o in options] == [1, 3, 6, 12]
    for option in options:
        expected = plan_math.schedule(
            principal_cents=1_000_000,
            installments=option.installments,
            monthly_rate_bp=250,
            first_due=date(2026, 12, 28),
        )
        assert [c.amount_cents for c in option.cuotas] == [i.amount_cents for i in expected]
        assert option.total_cents == plan_math.total_cents(expected)
    assert plans.simulate(principal_cents=0, now=NOW) == []


# --- refusals -----------------------------------------------------------------------------------------


async def test_a_pending_link_cannot_subscribe(session, juan, tmp_path, demo):
    row = await link(session, juan, JUAN_SUPPLY, tmp_path)
    overdue = [i for i in await invoices_of(session, JUAN_SUPPLY) if i.status == InvoiceStatus.UNPAID]
    with pytest.raises(DomainError) as refused:
        await subscribe(session, juan, [overdue[0].id] if overdue else ["0" * 32])
    assert refused.value.message == plans.NOT_VALIDATED
    await set_status(session, row, LinkStatus.REJECTED)
    with pytest.raises(DomainError) as refused:
        await subscribe(session, juan, ["0" * 32])
    assert refused.value.message == plans.REJECTED


async def test_a_foreign_supply_is_not_found(session, shaped, pedro):
    with pytest.raises(NotFound):
        await subscribe(session, pedro, [shaped["a"].id])


async def test_paid_future_and_planned_invoices_are_refused(session, juan, shaped):
    cases = {
        "paid": plans.ALREADY_PAID.format(number=shaped["paid"].number),
        "future": plans.NOT_OVERDUE.format(number=shaped["future"].number),
        "in_plan": plans.ALREADY_IN_PLAN.format(number=shaped["in_plan"].number),
    }
    for key, message in cases.items():
        with pytest.raises(DomainError) as refused:
            await subscribe(session, juan, [shaped["a"].id, shaped[key].id])
        assert refused.value.message == message
    assert len((await session.exec(select(PaymentPlan))).all()) == 1  # only the fixture's


@pytest.mark.parametrize("installments", [0, 2, 7, 24, "3", True, None])
async def test_only_1_3_6_or_12_cuotas(session, juan, shaped, installments):
    with pytest.raises(ValidationError) as refused:
        await subscribe(session, juan, [shaped["a"].id], installments=installments)
    assert refused.value.message == plans.BAD_INSTALLMENTS


@pytest.mark.parametrize("ids", [[], None, "abc"])
async def test_at_least_one_invoice(session, juan, shaped, ids):
    with pytest.raises(ValidationError) as refused:
        await subscribe(session, juan, ids)
    assert refused.value.message == plans.NO_INVOICE


async def test_an_invoice_of_another_supply_is_refused(session, juan, shaped):
    [other, *_] = await invoices_of(session, MARIA_SUPPLY)
    for ids in ([shaped["a"].id, other.id], [other.id], ["f" * 32], ["not-an-id"]):
        with pytest.raises(NotFound) as refused:
            await subscribe(session, juan, ids)
        assert refused.value.message == plans.OTHER_SUPPLY


# --- one plan per invoice ---------------------------------------------------------------------------


async def test_two_subscriptions_racing_for_an_invoice_leave_one_plan(engine, session, juan, shaped):
    factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    async def attempt(installments: int) -> bool:
        async with factory() as s:
            try:
                await plans.subscribe(
                    session=s,
                    user_id=juan.id,
                    supply_number=JUAN_SUPPLY,
                    invoice_ids=[shaped["a"].id, shaped["b"].id],
                    installments=installments,
                    now=NOW,
                )
                await s.commit()
                return True
            except DomainError:
                await s.rollback()
                return False

    results = await asyncio.gather(attempt(3), attempt(6), attempt(12))
    assert sum(results) == 1
    rows = (
        await session.exec(select(PlanInvoice).where(PlanInvoice.invoice_id.in_([shaped["a"].id, shaped["b"].id])))
    ).all()
    assert len(rows) == 2 and len({row.plan_id for row in rows}) == 1
    assert len((await session.exec(select(PaymentPlan))).all()) == 2  # the fixture's and the winner
    winner = rows[0].plan_id
    cuotas = (await session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == winner))).all()
    plan = await session.get(PaymentPlan, winner, populate_existing=True)
    assert len(cuotas) == plan.installments
    assert len((await session.exec(select(PlanInstallment))).all()) == plan.installments


# --- the notice and the list ------------------------------------------------------------------------


async def test_the_customer_is_told_by_email_and_in_notificaciones(session, juan, shaped):
    plan = await subscribe(session, juan, [shaped["a"].id, shaped["b"].id], installments=3)
    await session.commit()
    mails = (await session.exec(select(OutboxMessage).where(OutboxMessage.recipient == juan.email))).all()
    [mail] = [m for m in mails if "Plan de Pago" in m.subject]
    assert mail.subject == f"Suministro N° {JUAN_SUPPLY}: suscribiste un Plan de Pago de 3 cuotas"
    assert plan.total in mail.body and "28/12/2026" in mail.body
    assert shaped["a"].number in mail.body and shaped["b"].number in mail.body
    inbox = await notifications.list_for_user(session=session, user_id=juan.id)
    assert any(item.title == mail.subject for item in inbox)


async def test_the_customers_plans_list_their_cuotas_paid_or_not(session, juan, shaped, maria):
    plan = await subscribe(session, juan, [shaped["a"].id], installments=3)
    await session.commit()
    first = (await session.exec(select(PlanInstallment).where(PlanInstallment.number == 1))).first()
    first.paid_at = NOW
    session.add(first)
    await session.commit()
    listed = await plans.list_plans(session=session, user_id=juan.id, now=NOW)
    mine = next(p for p in listed if p.id == plan.id)
    assert [(c.number, c.paid, c.can_pay, c.status_label) for c in mine.cuotas] == [
        (1, True, False, "Pagada"),
        (2, False, True, "Impaga"),
        (3, False, True, "Impaga"),
    ]
    assert mine.invoice_numbers == [shaped["a"].number]
    assert await plans.list_plans(session=session, user_id=maria.id, now=NOW) == []
