"""Operator review: the queue, reservations, decisions that stand once, links validated by their documents,
notices to the customer and the audit log."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from autogestion.models import (
    AuditEntry,
    DniStatus,
    Document,
    DocumentStatus,
    LinkStatus,
    Operator,
    OperatorRole,
    OutboxMessage,
    ReviewItem,
    ReviewStatus,
    SupplyLink,
    User,
)
from autogestion.services import documents, review
from autogestion.services.business_hours import add_business_hours
from autogestion.services.errors import DomainError, NotFound, ValidationError
from tests.unit.services.supply_helpers import JUAN_SUPPLY, MARIA_SUPPLY, NOW, jpeg_bytes, link


async def make_operator(session, username: str) -> int:
    row = Operator(
        username=username, full_name=username.title(), password_hash="x", role=OperatorRole.OPERADOR, created_at=NOW
    )
    session.add(row)
    await session.commit()
    return row.id


@pytest.fixture
async def ana(session) -> int:
    return await make_operator(session, "ana")


@pytest.fixture
async def beto(session) -> int:
    return await make_operator(session, "beto")


async def items(session, **where) -> list[ReviewItem]:
    query = select(ReviewItem).order_by(ReviewItem.id).execution_options(populate_existing=True)
    for key, value in where.items():
        query = query.where(getattr(ReviewItem, key) == value)
    return list((await session.exec(query)).all())


async def messages_to(session, user_id: int) -> list[OutboxMessage]:
    return list((await session.exec(select(OutboxMessage).where(OutboxMessage.user_id == user_id))).all())


async def test_a_new_link_puts_its_documents_in_the_queue_due_in_24_business_hours(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    [item] = await items(session)
    assert (item.kind, item.status, item.supply_number, item.doc_number) == (
        "dni",
        "pendiente",
        JUAN_SUPPLY,
        "20123456",
    )
    assert item.deadline_at == add_business_hours(NOW)  # NOW is a Saturday: due Tuesday 00:00


async def test_an_apoderado_link_queues_the_dni_photo_and_the_poder(session, pedro, tmp_path):
    await link(session, pedro, MARIA_SUPPLY, tmp_path, poder=True)
    assert sorted(i.kind for i in await items(session)) == ["dni", "poder"]


async def test_queue_orders_disputed_first_then_oldest_deadline_and_counts(session, juan, pedro, tmp_path, ana):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    poder_link = await link(session, pedro, MARIA_SUPPLY, tmp_path, poder=True)
    await review.dispute_link(session=session, link_id=poder_link.id, holder_user_id=0, now=NOW + timedelta(days=3))
    await session.commit()
    page = await review.queue_page(session=session, now=NOW + timedelta(days=3))
    assert [row.kind for row in page.rows][0] == "link" and page.rows[0].disputed
    deadlines = [row.deadline_at for row in page.rows[1:]]
    assert len(deadlines) == 3
    assert page.counters.pending == 4
    assert page.counters.overdue == 3  # the three document items were due on Tuesday
    only_poder = await review.queue_page(session=session, now=NOW, kind="poder")
    assert [row.kind for row in only_poder.rows] == ["poder"]
    by_document = await review.queue_page(session=session, now=NOW, search="20.123.456")
    assert [row.customer_document for row in by_document.rows] == ["DNI 20123456"]
    by_supply = await review.queue_page(session=session, now=NOW, search=MARIA_SUPPLY)
    assert {row.supply_number for row in by_supply.rows} == {MARIA_SUPPLY}
    assert (await review.queue_page(session=session, now=NOW, search="nadie")).rows == []


@pytest.mark.parametrize(
    "kind,state,page", [("otro", "pendiente", 1), ("", "todo", 1), ("", "pendiente", 0), ("", "pendiente", "1")]
)
async def test_queue_refuses_unknown_filters(session, kind, state, page):
    with pytest.raises(ValidationError):
        await review.queue_page(session=session, now=NOW, kind=kind, state=state, page=page)


async def test_opening_reserves_for_15_minutes_and_logs_the_view(session, juan, tmp_path, ana, beto):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    [item] = await items(session)
    opened = await review.open_item(session=session, operator_id=ana, item_id=item.id, now=NOW)
    await session.commit()
    assert opened.reserved_by_me and opened.can_decide and opened.document_id
    assert opened.links[0].holder_name and opened.links[0].supply_number == JUAN_SUPPLY
    seen_by_beto = await review.open_item(
        session=session, operator_id=beto, item_id=item.id, now=NOW + timedelta(minutes=5)
    )
    assert (seen_by_beto.can_decide, seen_by_beto.reserved_by) == (False, "Ana")
    with pytest.raises(DomainError, match="Otro operador"):
        await review.decide(
            session=session,
            operator_id=beto,
            item_id=item.id,
            decision="legible",
            reason="",
            now=NOW + timedelta(minutes=5),
        )
    # the reservation runs out: Ana must open it again, and Beto may take it meanwhile
    later = NOW + timedelta(minutes=16)
    with pytest.raises(DomainError, match="reserva venció"):
        await review.decide(session=session, operator_id=ana, item_id=item.id, decision="legible", reason="", now=later)
    assert (await review.open_item(session=session, operator_id=beto, item_id=item.id, now=later)).can_decide
    with pytest.raises(DomainError, match="Otro operador"):
        await review.decide(session=session, operator_id=ana, item_id=item.id, decision="legible", reason="", now=later)
    await session.commit()
    views = (await session.exec(select(AuditEntry).where(AuditEntry.action == "ver"))).all()
    assert [v.operator_id for v in views] == [ana, beto, beto]


async def test_dni_legible_validates_the_holders_link_and_tells_the_customer(session, juan, tmp_path, ana):
    juan_id = juan.id
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    [item] = await items(session)
    await review.open_item(session=session, operator_id=ana, item_id=item.id, now=NOW)
    decided = await review.decide(
        session=session, operator_id=ana, item_id=item.id, decision="legible", reason="", now=NOW + timedelta(minutes=2)
    )
    await session.commit()
    assert decided.status == "resuelto" and decided.decision_label == "LEGIBLE" and not decided.can_decide
    row = (
        await session.exec(
            select(SupplyLink).where(SupplyLink.user_id == juan_id).execution_options(populate_existing=True)
        )
    ).one()
    assert row.status == LinkStatus.VALIDATED
    assert (await session.get(User, juan_id, populate_existing=True)).dni_status == DniStatus.LEGIBLE
    sent = await messages_to(session, juan_id)
    assert any("Planes de Pago" in m.subject and m.channel == "email" for m in sent)
    assert any("Planes de Pago" in m.body and m.channel == "sms" for m in sent)
    assert any("LEGIBLE" in m.body and m.channel == "sms" for m in sent)
    [audit] = (await session.exec(select(AuditEntry).where(AuditEntry.action == "decidir"))).all()
    assert (audit.operator_id, audit.decision, audit.before, audit.after) == (ana, "legible", "en_analisis", "aceptado")
    with pytest.raises(DomainError, match="ya fue resuelto"):
        await review.decide(
            session=session,
            operator_id=ana,
            item_id=item.id,
            decision="no_legible",
            reason="NO_LEGIBLE",
            now=NOW + timedelta(minutes=3),
        )


async def test_no_legible_needs_a_reason_keeps_the_link_pending_and_a_new_photo_goes_back_to_the_queue(
    session, juan, tmp_path, ana
):
    juan_id = juan.id
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    [item] = await items(session)
    await review.open_item(session=session, operator_id=ana, item_id=item.id, now=NOW)
    with pytest.raises(ValidationError):
        await review.decide(
            session=session, operator_id=ana, item_id=item.id, decision="no_legible", reason="", now=NOW
        )
    with pytest.raises(ValidationError):
        await review.decide(session=session, operator_id=ana, item_id=item.id, decision="valido", reason="", now=NOW)
    await review.decide(
        session=session, operator_id=ana, item_id=item.id, decision="no_legible", reason="NO_LEGIBLE", now=NOW
    )
    await session.commit()
    assert (await session.get(User, juan_id, populate_existing=True)).dni_status == DniStatus.NOT_LEGIBLE
    the_link = (
        await session.exec(
            select(SupplyLink).where(SupplyLink.user_id == juan_id).execution_options(populate_existing=True)
        )
    ).one()
    assert the_link.status == LinkStatus.PENDING
    assert any("NO LEGIBLE" in m.body for m in await messages_to(session, juan_id))
    # a new photo from Mi Perfil: the link points to it, and it waits for an operator with a fresh deadline
    later = NOW + timedelta(days=2)
    new = await documents.upload_profile_dni(
        session=session,
        user_id=juan.id,
        data=jpeg_bytes(),
        filename="nueva.jpg",
        storage_dir=tmp_path / "docs",
        now=later,
    )
    await session.commit()
    the_link = (
        await session.exec(
            select(SupplyLink).where(SupplyLink.user_id == juan_id).execution_options(populate_existing=True)
        )
    ).one()
    assert the_link.dni_document_id == new.id
    [pending] = await items(session, status=ReviewStatus.PENDING)
    assert pending.document_id == new.id and pending.deadline_at == add_business_hours(later)
    await review.open_item(session=session, operator_id=ana, item_id=pending.id, now=later)
    await review.decide(session=session, operator_id=ana, item_id=pending.id, decision="legible", reason="", now=later)
    await session.commit()
    assert (await session.get(SupplyLink, the_link.id, populate_existing=True)).status == LinkStatus.VALIDATED


async def test_an_apoderado_link_needs_the_poder_too_and_a_rejected_poder_rejects_it(session, pedro, tmp_path, ana):
    pedro_id = pedro.id
    created = await link(session, pedro, MARIA_SUPPLY, tmp_path, poder=True)
    dni_item, poder_item = await items(session)
    for item, decision, reason in ((dni_item, "legible", ""), (poder_item, "rechazado", "PODER_VENCIDO")):
        await review.open_item(session=session, operator_id=ana, item_id=item.id, now=NOW)
        await review.decide(
            session=session, operator_id=ana, item_id=item.id, decision=decision, reason=reason, now=NOW
        )
        await session.commit()
        row = await session.get(SupplyLink, created.id, populate_existing=True)
        if item is dni_item:
            assert row.status == LinkStatus.PENDING  # the poder is still missing
    assert (row.status, row.reject_reason) == (LinkStatus.REJECTED, "PODER_VENCIDO")
    assert any("El poder está vencido." in m.body for m in await messages_to(session, pedro_id))


async def test_a_link_whose_documents_were_already_accepted_is_validated_at_once(session, juan, tmp_path, ana):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    [item] = await items(session)
    await review.open_item(session=session, operator_id=ana, item_id=item.id, now=NOW)
    await review.decide(session=session, operator_id=ana, item_id=item.id, decision="legible", reason="", now=NOW)
    await session.commit()
    # the same customer links the other supply as apoderado: the DNI on file is legible, the poder waits
    from autogestion.services.supplies import link_supply
    from tests.unit.services.supply_helpers import pass_quiz, upload

    await pass_quiz(session, juan, MARIA_SUPPLY)
    poder = await upload(session, juan, "poder", tmp_path)
    second = await link_supply(
        session=session,
        user_id=juan.id,
        supply_number=MARIA_SUPPLY,
        dni_document_id=None,
        poder_document_id=poder,
        now=NOW,
    )
    await session.commit()
    assert second.status == LinkStatus.PENDING
    assert [i.kind for i in await items(session, status=ReviewStatus.PENDING)] == ["poder"]


async def test_a_disputed_link_goes_first_once_and_can_be_rejected(session, juan, pedro, tmp_path, ana):
    created = await link(session, pedro, MARIA_SUPPLY, tmp_path, poder=True)
    assert await review.dispute_link(session=session, link_id=created.id, holder_user_id=juan.id, now=NOW)
    assert not await review.dispute_link(session=session, link_id=created.id, holder_user_id=juan.id, now=NOW)
    await session.commit()
    [disputed] = await items(session, kind="link")
    assert disputed.priority == 1
    await review.open_item(session=session, operator_id=ana, item_id=disputed.id, now=NOW)
    await review.decide(
        session=session,
        operator_id=ana,
        item_id=disputed.id,
        decision="rechazado",
        reason="NO_COINCIDE_TITULAR",
        now=NOW,
    )
    await session.commit()
    assert (await session.get(SupplyLink, created.id, populate_existing=True)).reject_reason == "NO_COINCIDE_TITULAR"


async def test_unknown_items_and_bad_ids(session, ana):
    for item_id in (999, 0, "1", None, {"id": 1}):
        with pytest.raises(NotFound):
            await review.open_item(session=session, operator_id=ana, item_id=item_id, now=NOW)


async def test_lift_quiz_lock_is_audited_with_its_reason(session, ana):
    with pytest.raises(ValidationError):
        await review.lift_quiz_lock(session=session, operator_id=ana, supply_number=JUAN_SUPPLY, reason="", now=NOW)
    await review.lift_quiz_lock(
        session=session, operator_id=ana, supply_number=JUAN_SUPPLY, reason="El titular llamó por teléfono", now=NOW
    )
    await session.commit()
    [entry] = (await session.exec(select(AuditEntry))).all()
    assert (entry.action, entry.subject, entry.reason) == (
        "levantar_bloqueo",
        f"suministro {JUAN_SUPPLY}",
        "El titular llamó por teléfono",
    )


async def test_two_operators_deciding_at_once_exactly_one_decision_stands(engine, session, juan, tmp_path, ana):
    """Both hold what they think is the reservation (Ana's, reopened by Ana in two tabs); one UPDATE wins."""
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    [item] = await items(session)
    await review.open_item(session=session, operator_id=ana, item_id=item.id, now=NOW)
    await session.commit()
    factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    async def attempt(decision: str, reason: str) -> bool:
        async with factory() as s:
            try:
                await review.decide(
                    session=s,
                    operator_id=ana,
                    item_id=item.id,
                    decision=decision,
                    reason=reason,
                    now=NOW + timedelta(minutes=1),
                )
                await s.commit()
                return True
            except DomainError:
                await s.rollback()
                return False

    results = await asyncio.gather(attempt("legible", ""), attempt("no_legible", "NO_LEGIBLE"), attempt("legible", ""))
    assert sum(results) == 1
    decided = await session.get(ReviewItem, item.id, populate_existing=True)
    document = await session.get(Document, decided.document_id, populate_existing=True)
    expected = DocumentStatus.ACCEPTED if decided.decision == "legible" else DocumentStatus.REJECTED
    assert document.status == expected
    assert len((await session.exec(select(AuditEntry).where(AuditEntry.action == "decidir"))).all()) == 1
