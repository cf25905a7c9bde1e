"""Trámites Comerciales: what the page shows for no, pending, validated and rejected links; factura digital."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from autogestion.models import Document, DocumentStatus, Invoice, InvoiceStatus, LinkStatus, OutboxMessage, SupplyLink
from autogestion.services import plan_math, plans, procedures, review
from autogestion.services.errors import DomainError, NotFound
from tests.unit.services.supply_helpers import JUAN_SUPPLY, NOW, TODAY, link


async def page_of(session, user):
    return await procedures.tramites_page(session=session, user_id=user.id, now=NOW)


async def validate(session, row: SupplyLink) -> None:
    """What an operator's decisions leave: the documents accepted, the link settled."""
    for document_id in (row.dni_document_id, row.poder_document_id):
        if document_id:
            document = await session.get(Document, document_id)
            document.status = DocumentStatus.ACCEPTED
            session.add(document)
    await review._settle_link(session, link=row, now=NOW)
    await session.commit()


async def overdue_debt(session) -> tuple[list[str], int]:
    rows = await plans.eligible_invoices(session=session, supply_number=JUAN_SUPPLY, now=NOW)
    return [row.id for row in rows], sum(row.amount_cents for row in rows)


async def mails(session, user) -> list[OutboxMessage]:
    return list((await session.exec(select(OutboxMessage).where(OutboxMessage.recipient == user.email))).all())


async def test_no_link_shows_nothing_but_asociar(session, pedro):
    page = await page_of(session, pedro)
    assert page.links == [] and page.plans == []
    assert page.rate == "2,5 % mensual" and page.first_due == "28/12/2026"


async def test_a_pending_link_shows_its_deadline_and_a_read_only_simulator(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    [row] = (await page_of(session, juan)).links
    assert (row.number, row.link_status, row.can_subscribe) == (JUAN_SUPPLY, LinkStatus.PENDING, False)
    assert row.review_deadline  # "dd/mm/aaaa hh:mm"
    assert row.invoices == []  # no form until validated
    ids, debt = await overdue_debt(session)
    assert ids and row.debt_cents == debt
    assert [option.installments for option in row.simulator] == [1, 3, 6, 12]
    for option in row.simulator:
        expected = plan_math.schedule(
            principal_cents=debt, installments=option.installments, monthly_rate_bp=250, first_due=date(2026, 12, 28)
        )
        assert [(c.number, c.amount_cents) for c in option.cuotas] == [(i.number, i.amount_cents) for i in expected]
        assert option.total_cents == plan_math.total_cents(expected)
    assert row.can_set_digital_invoice


async def test_a_validated_link_shows_the_plan_form_with_its_overdue_invoices(session, juan, tmp_path):
    row = await link(session, juan, JUAN_SUPPLY, tmp_path)
    await validate(session, row)
    [shown] = (await page_of(session, juan)).links
    assert (shown.link_status, shown.can_subscribe, shown.simulator) == (LinkStatus.VALIDATED, True, [])
    ids, debt = await overdue_debt(session)
    assert [invoice.id for invoice in shown.invoices] == ids and shown.debt_cents == debt
    assert shown.can_set_digital_invoice

    # Once a plan takes two of them, they leave the form and the plan is listed with its cuotas.
    plan = await plans.subscribe(
        session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, invoice_ids=ids[:2], installments=3, now=NOW
    )
    await session.commit()
    page = await page_of(session, juan)
    assert [invoice.id for invoice in page.links[0].invoices] == ids[2:]
    [listed] = page.plans
    assert (listed.id, len(listed.cuotas), listed.total) == (plan.id, 3, plan.total)


async def test_invoices_not_yet_due_are_not_offered(session, juan, tmp_path):
    row = await link(session, juan, JUAN_SUPPLY, tmp_path)
    await validate(session, row)
    [shown] = (await page_of(session, juan)).links
    for invoice_id in (i.id for i in shown.invoices):
        invoice = await session.get(Invoice, invoice_id)
        assert invoice.status == InvoiceStatus.UNPAID and invoice.due_on < TODAY


async def test_a_rejected_link_shows_the_reason_and_the_fix(session, maria, tmp_path):
    row = await link(session, maria, JUAN_SUPPLY, tmp_path, poder=True)
    await review._reject_link(session, link=row, reason="PODER_VENCIDO", now=NOW)
    await session.commit()
    [shown] = (await page_of(session, maria)).links
    assert shown.link_status == LinkStatus.REJECTED
    assert shown.reject_reason_text == "El poder está vencido."
    assert shown.can_replace_poder
    assert (shown.can_subscribe, shown.can_set_digital_invoice, shown.invoices, shown.simulator) == (
        False,
        False,
        [],
        [],
    )


async def test_factura_digital_is_stored_and_confirmed_by_email(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)  # pending is enough
    before = len(await mails(session, juan))
    assert await procedures.set_digital_invoice(
        session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, enabled=True, now=NOW
    )
    await session.commit()
    row = (await session.exec(select(SupplyLink).execution_options(populate_existing=True))).one()
    assert row.digital_invoice is True
    assert (await page_of(session, juan)).links[0].digital_invoice is True
    new = (await mails(session, juan))[before:]
    assert [m.subject for m in new] == [f"Suministro N° {JUAN_SUPPLY}: adhesión a factura digital"]

    # The same value again changes nothing and sends nothing; turning it off is confirmed too.
    await procedures.set_digital_invoice(
        session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, enabled=True, now=NOW
    )
    await session.commit()
    assert len(await mails(session, juan)) == before + 1
    assert not await procedures.set_digital_invoice(
        session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, enabled=False, now=NOW
    )
    await session.commit()
    assert (await mails(session, juan))[-1].subject == f"Suministro N° {JUAN_SUPPLY}: baja de la factura digital"


async def test_factura_digital_refuses_rejected_and_foreign_links(session, maria, pedro, tmp_path):
    row = await link(session, maria, JUAN_SUPPLY, tmp_path, poder=True)
    await review._reject_link(session, link=row, reason="PODER_VENCIDO", now=NOW)
    await session.commit()
    with pytest.raises(DomainError) as refused:
        await procedures.set_digital_invoice(
            session=session, user_id=maria.id, supply_number=JUAN_SUPPLY, enabled=True, now=NOW
        )
    assert refused.value.message == procedures.DIGITAL_REJECTED
    with pytest.raises(NotFound):
        await procedures.set_digital_invoice(
            session=session, user_id=pedro.id, supply_number=JUAN_SUPPLY, enabled=True, now=NOW
        )
    with pytest.raises(DomainError):
        await procedures.set_digital_invoice(
            session=session, user_id=maria.id, supply_number=JUAN_SUPPLY, enabled="si", now=NOW
        )
