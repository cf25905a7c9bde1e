"""Supplies, customer side: the number check, Mis Suministros, and linking with its documents and e-mails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from autogestion import db
from autogestion.clock import format_local
from autogestion.models import DniStatus, Document, DocumentStatus, LinkStatus, SupplyLink, UserStatus
from autogestion.services import notices, supplies
from autogestion.services.documents import open_document_for_user
from autogestion.services.errors import AuthError, DomainError, NotFound, RateLimited, ValidationError
from autogestion.services.quiz import start_quiz
from autogestion.services.supplies import (
    UnknownSupply,
    check_link_ready,
    check_supply_number,
    is_holder,
    link_supply,
    list_links,
)
from tests.unit.services.supply_helpers import (
    JUAN_SUPPLY,
    MARIA_SUPPLY,
    NOW,
    OTHER_SUPPLY,
    link,
    make_user,
    outbox,
    pass_quiz,
    upload,
)

# --- N° de suministro ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("20003806A5", "El N° de suministro solo lleva números."),
        ("2000-380655", "El N° de suministro solo lleva números."),
        ("２０００３８０６５５", "El N° de suministro solo lleva números."),
        ("٢٠٠٠٣٨٠٦٥٥", "El N° de suministro solo lleva números."),
        ("2000380655\u200b", "El N° de suministro solo lleva números."),
        ("", "Ingresá el N° de suministro."),
        ("   ", "Ingresá el N° de suministro."),
        (None, "Ingresá el N° de suministro."),
        (2000380655, "Ingresá el N° de suministro."),
        ("1234567890123", "El N° de suministro tiene hasta 12 dígitos."),
    ],
)
async def test_check_supply_number_refuses_malformed_numbers(session, juan, raw, message):
    with pytest.raises(ValidationError) as error:
        await check_supply_number(session=session, user_id=juan.id, raw=raw, now=NOW)
    assert error.value.message == message


async def test_check_supply_number_accepts_a_known_supply(session, juan):
    supply = await check_supply_number(session=session, user_id=juan.id, raw=" 2000380655 ", now=NOW)
    assert supply.number == JUAN_SUPPLY


async def test_check_supply_number_reports_unknown_supplies(session, juan):
    with pytest.raises(UnknownSupply) as error:
        await check_supply_number(session=session, user_id=juan.id, raw="1999999999", now=NOW)
    assert (error.value.message, error.value.field) == (supplies.UNKNOWN_SUPPLY, "supply_number")


async def test_unknown_numbers_are_throttled_per_user(session, juan, maria, caplog):
    for n in range(supplies.MAX_UNKNOWN_NUMBERS):
        with pytest.raises(UnknownSupply):
            await check_supply_number(session=session, user_id=juan.id, raw=f"19000000{n:02d}", now=NOW)
        if n < supplies.MAX_UNKNOWN_NUMBERS - 1:
            # Typing the same unknown number again does not count twice.
            with pytest.raises(UnknownSupply):
                await check_supply_number(session=session, user_id=juan.id, raw=f"19000000{n:02d}", now=NOW)

    # Known numbers are refused too while throttled, or the check would still enumerate supplies.
    with pytest.raises(RateLimited):
        await check_supply_number(session=session, user_id=juan.id, raw=JUAN_SUPPLY, now=NOW)
    with pytest.raises(RateLimited):
        await start_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    assert "event=supply_unknown_throttled" in caplog.text and f"user_id={juan.id} supply={JUAN_SUPPLY}" in caplog.text
    # Another user is not affected, and the window moves on.
    assert (
        await check_supply_number(session=session, user_id=maria.id, raw=JUAN_SUPPLY, now=NOW)
    ).number == JUAN_SUPPLY
    later = NOW + timedelta(hours=1, seconds=1)
    assert (
        await check_supply_number(session=session, user_id=juan.id, raw=JUAN_SUPPLY, now=later)
    ).number == JUAN_SUPPLY


async def test_the_unknown_number_count_survives_the_refusal(engine, session, juan):
    # Through the real unit of work: an UnknownSupply is a refused attempt, so its count is committed.
    for n in range(supplies.MAX_UNKNOWN_NUMBERS):
        with pytest.raises(UnknownSupply):
            async with db.session_scope() as unit:
                await check_supply_number(session=unit, user_id=juan.id, raw=f"18000000{n:02d}", now=NOW)
    with pytest.raises(RateLimited):
        async with db.session_scope() as unit:
            await check_supply_number(session=unit, user_id=juan.id, raw=JUAN_SUPPLY, now=NOW)


# --- linking ---------------------------------------------------------------------------------------


async def test_link_as_holder(session, juan, tmp_path):
    created = await link(session, juan, JUAN_SUPPLY, tmp_path)

    assert (created.status, created.is_holder, created.poder_document_id) == (LinkStatus.PENDING, True, None)
    await session.refresh(juan)
    assert juan.dni_status == DniStatus.IN_REVIEW
    assert juan.dni_document_id == created.dni_document_id
    rows = await list_links(session=session, user_id=juan.id)
    assert [
        (
            r.position,
            r.number,
            r.status,
            r.tariff_group,
            r.holder_name,
            r.holder_document,
            r.collection_status,
            r.poder,
            r.link_status,
            r.link_status_label,
        )
        for r in rows
    ] == [
        (
            1,
            JUAN_SUPPLY,
            "0",
            "DT1 (TRA-RSD)",
            "Juan Perez",
            "DNI 20123456",
            "SUSP-TRAM",
            "Titular",
            LinkStatus.PENDING,
            "Pendiente de validación",
        )
    ]


async def test_link_sends_the_manuals_email(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)

    [mail] = await outbox(session)
    assert mail.recipient == juan.email and mail.user_id == juan.id
    assert mail.subject == "Asociación del Suministro N° 2000380655"
    assert mail.body == (
        "Estimado/a Juan Perez:\n\n"
        f"El día {format_local(NOW)} Ud. ha asociado al Suministro 2000380655 a su cuenta de usuario registrado en "
        "nuestro portal, y está habilitado para consultar, imprimir y pagar sus facturas.\n\n"
        "Validado el DNI del titular por nuestros operadores, será habilitado en las próximas 24 horas hábiles para "
        "suscribir Planes de Pago de manera on-line en nuestro Portal de Autogestión. Dicha habilitación le será "
        "comunicada via SMS a su teléfono celular y correo electrónico.\n\n"
        "Saludos Cordiales.\nEnergía San Juan S.A.\n\n"
        "Por favor, NO responda a este mensaje, es un envío automático."
    )
    assert "28/11/2026 12:00:00" in mail.body  # Argentine time, not UTC


def test_the_email_text_is_the_manuals_for_its_example():
    body = notices.supply_linked(
        name="Juan Perez", when=datetime(2020, 11, 9, 14, 38, 49, tzinfo=UTC), number="2000380655"
    ).body
    assert body.startswith(
        "Estimado/a Juan Perez:\n\nEl día 09/11/2020 11:38:49 Ud. ha asociado al Suministro 2000380655 a su cuenta"
    )


async def test_link_as_apoderado_needs_a_poder(session, juan, maria, tmp_path):
    await pass_quiz(session, juan, MARIA_SUPPLY)
    dni = await upload(session, juan, "dni", tmp_path)
    with pytest.raises(ValidationError) as error:
        await link_supply(
            session=session,
            user_id=juan.id,
            supply_number=MARIA_SUPPLY,
            dni_document_id=dni,
            poder_document_id=None,
            now=NOW,
        )
    assert (error.value.field, error.value.message) == ("poder", supplies.NEED_PODER)
    await session.rollback()
    await session.refresh(juan)
    await session.refresh(maria)

    poder = await upload(session, juan, "poder", tmp_path)
    created = await link_supply(
        session=session,
        user_id=juan.id,
        supply_number=MARIA_SUPPLY,
        dni_document_id=dni,
        poder_document_id=poder,
        now=NOW,
    )
    await session.commit()

    assert (created.is_holder, created.poder_document_id) == (False, poder)
    [row] = await list_links(session=session, user_id=juan.id)
    assert (row.poder, row.holder_name, row.holder_document, row.holder_doc_number) == (
        "Poder",
        "María Fernanda Gómez",
        "DNI *****678",
        "*****678",
    )
    mails = await outbox(session)
    assert [m.recipient for m in mails] == [juan.email, maria.email]
    holder_mail = mails[1]
    assert holder_mail.user_id == maria.id
    assert "2000412873" in holder_mail.subject
    assert "Ju** Pe***" in holder_mail.body and "Juan Perez" not in holder_mail.body
    assert holder_mail.body.startswith("Estimado/a María Fernanda Gómez:")


async def test_apoderado_without_a_registered_holder_sends_one_email(session, pedro, tmp_path):
    await link(session, pedro, OTHER_SUPPLY, tmp_path, poder=True)
    assert [m.recipient for m in await outbox(session)] == [pedro.email]


async def test_the_same_user_cannot_link_a_supply_twice(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)

    with pytest.raises(DomainError) as error:
        await link_supply(
            session=session,
            user_id=juan.id,
            supply_number=JUAN_SUPPLY,
            dni_document_id=None,
            poder_document_id=None,
            now=NOW,
        )
    assert error.value.message == "Ese suministro ya está asociado a tu cuenta."
    with pytest.raises(DomainError, match="ya está asociado"):
        await check_supply_number(session=session, user_id=juan.id, raw=JUAN_SUPPLY, now=NOW)
    with pytest.raises(DomainError, match="ya está asociado"):
        await start_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)


async def test_the_unique_constraint_refuses_a_concurrent_second_link(session, juan, tmp_path, monkeypatch):
    await link(session, juan, JUAN_SUPPLY, tmp_path)

    async def nobody(*args, **kwargs):  # as if the concurrent request had not committed yet at SELECT time
        return None

    monkeypatch.setattr(supplies, "_own_link", nobody)
    with pytest.raises(DomainError, match="ya está asociado"):
        await link_supply(
            session=session,
            user_id=juan.id,
            supply_number=JUAN_SUPPLY,
            dni_document_id=None,
            poder_document_id=None,
            now=NOW,
        )


async def test_another_user_can_link_the_same_supply(session, juan, maria, tmp_path):
    await link(session, juan, MARIA_SUPPLY, tmp_path, poder=True)
    as_holder = await link(session, maria, MARIA_SUPPLY, tmp_path)

    assert as_holder.is_holder
    links = (await session.exec(select(SupplyLink).where(SupplyLink.supply_number == MARIA_SUPPLY))).all()
    assert {(lnk.user_id, lnk.is_holder) for lnk in links} == {(juan.id, False), (maria.id, True)}


async def test_the_dni_on_file_is_reused(session, juan, tmp_path):
    first = await link(session, juan, JUAN_SUPPLY, tmp_path)
    second = await link(session, juan, OTHER_SUPPLY, tmp_path, poder=True, dni=False)
    assert second.dni_document_id == first.dni_document_id


async def test_a_replacement_dni_uploaded_in_asociar_becomes_the_profiles(session, juan, tmp_path):
    first = await link(session, juan, JUAN_SUPPLY, tmp_path)
    old_photo = first.dni_document_id
    juan.dni_status = DniStatus.LEGIBLE
    session.add(juan)
    await session.commit()

    second = await link(session, juan, OTHER_SUPPLY, tmp_path, poder=True)  # "Reemplazar" + a new photo

    await session.refresh(juan)
    assert second.dni_document_id != old_photo
    assert (juan.dni_document_id, juan.dni_status) == (second.dni_document_id, DniStatus.IN_REVIEW)
    # The first link, still pending, now carries the new photo as well: one photo per customer.
    await session.refresh(first)
    assert first.dni_document_id == second.dni_document_id


async def test_a_rejected_dni_on_file_is_not_reused(session, juan, tmp_path):
    first = await link(session, juan, JUAN_SUPPLY, tmp_path)
    document = await session.get(Document, first.dni_document_id)
    document.status = DocumentStatus.REJECTED
    juan.dni_status = DniStatus.NOT_LEGIBLE
    session.add_all([document, juan])
    await session.commit()

    await pass_quiz(session, juan, OTHER_SUPPLY)
    poder = await upload(session, juan, "poder", tmp_path)
    with pytest.raises(ValidationError) as error:
        await link_supply(
            session=session,
            user_id=juan.id,
            supply_number=OTHER_SUPPLY,
            dni_document_id=None,
            poder_document_id=poder,
            now=NOW,
        )
    assert error.value.field == "dni"
    with pytest.raises(ValidationError, match="rechazado"):
        await link_supply(
            session=session,
            user_id=juan.id,
            supply_number=OTHER_SUPPLY,
            dni_document_id=first.dni_document_id,
            poder_document_id=poder,
            now=NOW,
        )


async def test_documents_must_be_the_users_own_and_of_the_right_kind(session, juan, maria, tmp_path):
    await pass_quiz(session, juan, MARIA_SUPPLY)
    juans_dni = await upload(session, juan, "dni", tmp_path)
    juans_poder = await upload(session, juan, "poder", tmp_path)
    marias_dni = await upload(session, maria, "dni", tmp_path)
    marias_poder = await upload(session, maria, "poder", tmp_path)

    for dni, poder in [
        (marias_dni, juans_poder),
        (juans_dni, marias_poder),
        (juans_poder, juans_poder),  # a poder is not a DNI photo
        (juans_dni, juans_dni),  # nor the other way round
        ("../../etc/passwd", juans_poder),
        (12, juans_poder),
        (juans_dni, 12),
    ]:
        with pytest.raises(ValidationError):
            await link_supply(
                session=session,
                user_id=juan.id,
                supply_number=MARIA_SUPPLY,
                dni_document_id=dni,
                poder_document_id=poder,
                now=NOW,
            )
    assert (await session.exec(select(SupplyLink))).all() == []


async def test_linking_requires_the_quiz_passed_in_the_last_24_hours(session, juan, tmp_path):
    dni = await upload(session, juan, "dni", tmp_path)
    with pytest.raises(DomainError, match="Primero elegí"):
        await link_supply(
            session=session,
            user_id=juan.id,
            supply_number=JUAN_SUPPLY,
            dni_document_id=dni,
            poder_document_id=None,
            now=NOW,
        )

    await pass_quiz(session, juan, JUAN_SUPPLY)
    with pytest.raises(DomainError, match="Primero elegí"):
        await link_supply(
            session=session,
            user_id=juan.id,
            supply_number=JUAN_SUPPLY,
            dni_document_id=dni,
            poder_document_id=None,
            now=NOW + timedelta(hours=24, seconds=1),
        )
    created = await link_supply(
        session=session,
        user_id=juan.id,
        supply_number=JUAN_SUPPLY,
        dni_document_id=dni,
        poder_document_id=None,
        now=NOW + timedelta(hours=23),
    )
    assert created.id is not None


async def test_inactive_users_cannot_link(session, demo, tmp_path):
    pending = await make_user(session, "20123456", "Juan", "Perez", status=UserStatus.PENDING_CODES)
    with pytest.raises(AuthError):
        await link_supply(
            session=session,
            user_id=pending.id,
            supply_number=JUAN_SUPPLY,
            dni_document_id=None,
            poder_document_id=None,
            now=NOW,
        )


async def test_unknown_supply_cannot_be_linked(session, juan):
    with pytest.raises(NotFound):
        await link_supply(
            session=session,
            user_id=juan.id,
            supply_number="1999999999",
            dni_document_id=None,
            poder_document_id=None,
            now=NOW,
        )


async def test_check_link_ready_says_the_first_missing_step(session, juan, maria, tmp_path):
    async def missing(number: str, dni: str | None = None, poder: str | None = None) -> tuple[str, str]:
        with pytest.raises(DomainError) as error:
            await check_link_ready(
                session=session,
                user_id=juan.id,
                supply_number=number,
                dni_document_id=dni,
                poder_document_id=poder,
                now=NOW,
            )
        return error.value.field, error.value.message

    assert await missing("") == ("supply_number", supplies.NEED_NUMBER)
    assert await missing(MARIA_SUPPLY) == ("quiz", supplies.NEED_QUIZ)
    await pass_quiz(session, juan, MARIA_SUPPLY)
    assert await missing(MARIA_SUPPLY) == ("dni", "Subí una foto del frente de tu DNI.")
    dni = await upload(session, juan, "dni", tmp_path)
    assert await missing(MARIA_SUPPLY, dni) == ("poder", supplies.NEED_PODER)
    poder = await upload(session, juan, "poder", tmp_path)
    await check_link_ready(
        session=session,
        user_id=juan.id,
        supply_number=MARIA_SUPPLY,
        dni_document_id=dni,
        poder_document_id=poder,
        now=NOW,
    )
    # Nothing is written by the check.
    assert (await session.exec(select(SupplyLink))).all() == []


async def test_a_validated_apoderado_sees_the_holders_document(session, juan, tmp_path):
    created = await link(session, juan, MARIA_SUPPLY, tmp_path, poder=True)
    created.status = LinkStatus.VALIDATED
    session.add(created)
    await session.commit()

    [row] = await list_links(session=session, user_id=juan.id)
    assert (row.holder_document, row.link_status, row.link_status_label) == (
        "DNI 27345678",
        LinkStatus.VALIDATED,
        "Validado",
    )


async def test_mis_suministros_lists_only_the_users_links(session, juan, maria, tmp_path):
    created = await link(session, juan, JUAN_SUPPLY, tmp_path)

    assert await list_links(session=session, user_id=maria.id) == []
    with pytest.raises(NotFound):
        await open_document_for_user(
            session=session, user_id=maria.id, document_id=created.dni_document_id, storage_dir=tmp_path / "docs"
        )
    path, content_type, _ = await open_document_for_user(
        session=session, user_id=juan.id, document_id=created.dni_document_id, storage_dir=tmp_path / "docs"
    )
    assert path.is_file() and content_type == "image/jpeg"


async def test_a_rejected_link_is_listed_as_rejected(session, juan, tmp_path):
    created = await link(session, juan, JUAN_SUPPLY, tmp_path)
    created.status = LinkStatus.REJECTED
    session.add(created)
    await session.commit()

    [row] = await list_links(session=session, user_id=juan.id)
    assert (row.link_status, row.link_status_label) == (LinkStatus.REJECTED, "Rechazado")


# --- holder or apoderado ---------------------------------------------------------------------------


async def test_is_holder_compares_the_users_document_with_the_holders(session, juan, maria):
    from autogestion.models import Supply

    juans, marias = await session.get(Supply, JUAN_SUPPLY), await session.get(Supply, MARIA_SUPPLY)
    assert is_holder(juan, juans) is True
    assert is_holder(juan, marias) is False
    assert is_holder(maria, marias) is True


# --- what the customer sees of the operators' review -----------------------------------------------


async def _operator(session) -> int:
    from autogestion.models import Operator

    row = Operator(username="revisora", full_name="Revisora", password_hash="x", created_at=NOW)
    session.add(row)
    await session.commit()
    return row.id


async def _decide(session, document_id: str, decision: str, reason: str = "") -> None:
    """An operator opens the pending item of a document and decides it (committed)."""
    from autogestion.models import ReviewItem, ReviewStatus
    from autogestion.services import review

    operator_id = await _operator(session)
    item = (
        await session.exec(
            select(ReviewItem).where(ReviewItem.document_id == document_id, ReviewItem.status == ReviewStatus.PENDING)
        )
    ).one()
    await review.open_item(session=session, operator_id=operator_id, item_id=item.id, now=NOW)
    await review.decide(
        session=session, operator_id=operator_id, item_id=item.id, decision=decision, reason=reason, now=NOW
    )
    await session.commit()


async def _rejected_apoderado_link(session, user, tmp_path, reason: str = "PODER_VENCIDO") -> SupplyLink:
    created = await link(session, user, MARIA_SUPPLY, tmp_path, poder=True)
    await _decide(session, created.poder_document_id, "rechazado", reason)
    await session.refresh(created)
    assert created.status == LinkStatus.REJECTED
    return created


async def _pending_items(session, kind: str | None = None):
    from autogestion.models import ReviewItem, ReviewStatus

    query = select(ReviewItem).where(ReviewItem.status == ReviewStatus.PENDING).order_by(ReviewItem.id)
    if kind:
        query = query.where(ReviewItem.kind == kind)
    return list((await session.exec(query.execution_options(populate_existing=True))).all())


def _deadline() -> str:
    from autogestion.services.business_hours import add_business_hours

    return format_local(add_business_hours(NOW))[:16]


async def test_a_pending_link_shows_by_when_it_is_reviewed(session, juan, pedro, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    await link(session, pedro, MARIA_SUPPLY, tmp_path, poder=True)

    [row] = await list_links(session=session, user_id=juan.id)
    assert (row.link_status_label, row.review_deadline) == ("Pendiente de validación", _deadline())
    assert (row.reject_reason, row.reject_reason_text, row.dni_unreadable, row.can_replace_poder) == (
        "",
        "",
        False,
        False,  # the holder's own link never needs a poder
    )
    [row] = await list_links(session=session, user_id=pedro.id)
    assert (row.review_deadline, row.can_replace_poder) == (_deadline(), True)


async def test_a_validated_link_shows_no_deadline(session, juan, tmp_path):
    created = await link(session, juan, JUAN_SUPPLY, tmp_path)
    await _decide(session, created.dni_document_id, "legible")

    [row] = await list_links(session=session, user_id=juan.id)
    assert (row.link_status, row.link_status_label, row.review_deadline) == (LinkStatus.VALIDATED, "Validado", "")


async def test_a_rejected_link_stays_listed_with_the_reasons_text(session, pedro, tmp_path):
    from autogestion.services import review

    await _rejected_apoderado_link(session, pedro, tmp_path, reason="PODER_VENCIDO")

    [row] = await list_links(session=session, user_id=pedro.id)
    assert (row.link_status, row.link_status_label, row.reject_reason) == (
        LinkStatus.REJECTED,
        "Rechazado",
        "PODER_VENCIDO",
    )
    assert row.reject_reason_text == review.REASON_TEXTS["PODER_VENCIDO"] == "El poder está vencido."
    assert (row.review_deadline, row.can_replace_poder) == ("", True)


async def test_a_pending_link_whose_dni_photo_is_not_legible_says_so(session, pedro, tmp_path):
    created = await link(session, pedro, MARIA_SUPPLY, tmp_path, poder=True)
    await _decide(session, created.dni_document_id, "no_legible", "NO_LEGIBLE")

    [row] = await list_links(session=session, user_id=pedro.id)
    assert (row.link_status, row.dni_unreadable) == (LinkStatus.PENDING, True)
    assert row.review_deadline == _deadline()  # the poder is still in the queue


async def test_a_new_poder_reopens_a_rejected_link(session, pedro, tmp_path):
    from tests.unit.services.supply_helpers import pdf_bytes

    created = await _rejected_apoderado_link(session, pedro, tmp_path)
    old_poder = created.poder_document_id
    later = NOW + timedelta(days=2)  # Monday

    row = await supplies.replace_link_poder(
        session=session,
        user_id=pedro.id,
        supply_number=MARIA_SUPPLY,
        data=pdf_bytes(),
        filename="poder-nuevo.pdf",
        now=later,
        storage_dir=tmp_path / "docs",
    )
    await session.commit()

    await session.refresh(created)
    assert created.status == LinkStatus.PENDING and created.reject_reason == ""
    assert created.poder_document_id not in (None, old_poder)
    new_poder = await session.get(Document, created.poder_document_id)
    assert (new_poder.user_id, new_poder.kind, new_poder.status, new_poder.original_name) == (
        pedro.id,
        "poder",
        DocumentStatus.IN_REVIEW,
        "poder-nuevo.pdf",
    )
    [item] = await _pending_items(session, "poder")
    assert (item.document_id, item.supply_number, item.user_id) == (new_poder.id, MARIA_SUPPLY, pedro.id)
    from autogestion.services.business_hours import add_business_hours

    assert (row.link_status, row.link_status_label, row.reject_reason, row.reject_reason_text) == (
        LinkStatus.PENDING,
        "Pendiente de validación",
        "",
        "",
    )
    assert row.review_deadline == format_local(add_business_hours(later))[:16]


async def test_replacing_a_pending_poder_keeps_one_item_in_the_queue(session, pedro, tmp_path):
    from tests.unit.services.supply_helpers import pdf_bytes

    created = await link(session, pedro, MARIA_SUPPLY, tmp_path, poder=True)
    for _ in range(2):
        await supplies.replace_link_poder(
            session=session,
            user_id=pedro.id,
            supply_number=MARIA_SUPPLY,
            data=pdf_bytes(),
            filename="poder.pdf",
            now=NOW,
            storage_dir=tmp_path / "docs",
        )
        await session.commit()

    await session.refresh(created)
    [item] = await _pending_items(session, "poder")
    assert item.document_id == created.poder_document_id
    assert len(await _pending_items(session, "dni")) == 1


async def test_a_new_poder_takes_the_profiles_newer_dni_photo(session, pedro, tmp_path):
    from autogestion.services.documents import upload_profile_dni
    from tests.unit.services.supply_helpers import jpeg_bytes, pdf_bytes

    created = await _rejected_apoderado_link(session, pedro, tmp_path)
    newer = await upload_profile_dni(
        session=session, user_id=pedro.id, data=jpeg_bytes(), filename="dni.jpg", storage_dir=tmp_path / "docs", now=NOW
    )
    await session.commit()
    await session.refresh(created)
    assert created.dni_document_id != newer.id  # a rejected link keeps the photo it had

    await supplies.replace_link_poder(
        session=session,
        user_id=pedro.id,
        supply_number=MARIA_SUPPLY,
        data=pdf_bytes(),
        filename="poder.pdf",
        now=NOW,
        storage_dir=tmp_path / "docs",
    )
    await session.commit()
    await session.refresh(created)
    assert created.dni_document_id == newer.id


async def test_only_the_owners_apoderado_link_takes_a_new_poder(session, juan, pedro, tmp_path):
    from tests.unit.services.supply_helpers import pdf_bytes

    await _rejected_apoderado_link(session, pedro, tmp_path)
    holder_link = await link(session, juan, JUAN_SUPPLY, tmp_path)
    documents_before = len((await session.exec(select(Document))).all())

    async def replace(user, number):
        return await supplies.replace_link_poder(
            session=session,
            user_id=user.id,
            supply_number=number,
            data=pdf_bytes(),
            filename="poder.pdf",
            now=NOW,
            storage_dir=tmp_path / "docs",
        )

    # Another user's supply, or one nobody linked: not found (the two look alike).
    with pytest.raises(NotFound) as error:
        await replace(juan, MARIA_SUPPLY)
    assert error.value.message == supplies.SUPPLY_NOT_FOUND
    with pytest.raises(NotFound):
        await replace(pedro, OTHER_SUPPLY)
    with pytest.raises(ValidationError):
        await replace(pedro, "2000-412873")
    # The holder's own link needs no poder, pending or rejected.
    with pytest.raises(DomainError) as error:
        await replace(juan, JUAN_SUPPLY)
    assert error.value.message == supplies.HOLDER_NEEDS_NO_PODER
    holder_link.status = LinkStatus.REJECTED
    session.add(holder_link)
    await session.commit()
    with pytest.raises(DomainError) as error:
        await replace(juan, JUAN_SUPPLY)
    assert error.value.message == supplies.HOLDER_NEEDS_NO_PODER
    # A validated link needs nothing more.
    pedros = await supplies._own_link(session, pedro.id, MARIA_SUPPLY)
    pedros.status = LinkStatus.VALIDATED
    session.add(pedros)
    await session.commit()
    with pytest.raises(DomainError) as error:
        await replace(pedro, MARIA_SUPPLY)
    assert error.value.message == supplies.ALREADY_VALIDATED
    # Nothing was stored by any refusal.
    assert len((await session.exec(select(Document))).all()) == documents_before


async def test_a_refused_file_leaves_the_rejected_link_as_it_was(session, pedro, tmp_path):
    created = await _rejected_apoderado_link(session, pedro, tmp_path)
    with pytest.raises(ValidationError):
        await supplies.replace_link_poder(
            session=session,
            user_id=pedro.id,
            supply_number=MARIA_SUPPLY,
            data=b"<html><script>alert(1)</script></html>",
            filename="poder.pdf",
            now=NOW,
            storage_dir=tmp_path / "docs",
        )
    await session.rollback()
    await session.refresh(created)
    assert (created.status, created.reject_reason) == (LinkStatus.REJECTED, "PODER_VENCIDO")


async def test_the_invoices_page_of_a_rejected_link_explains_it(session, juan, pedro, tmp_path):
    from autogestion.services import invoices, review

    await _rejected_apoderado_link(session, pedro, tmp_path, reason="NO_COINCIDE_TITULAR")

    shown = await invoices.supply_page(session=session, user_id=pedro.id, supply_number=MARIA_SUPPLY)
    assert (shown.detail.number, shown.detail.rejected, shown.detail.link_status_label) == (
        MARIA_SUPPLY,
        True,
        "Rechazado",
    )
    assert shown.detail.reject_reason_text == review.REASON_TEXTS["NO_COINCIDE_TITULAR"]
    assert (shown.detail.can_replace_poder, shown.detail.procedures_enabled) == (True, False)
    assert shown.detail.holder_document == "DNI *****678"
    # Its invoices stay closed.
    assert (shown.invoices.rows, shown.invoices.total_rows, shown.consumption) == ([], 0, [])
    with pytest.raises(NotFound):
        await invoices.list_invoices(session=session, user_id=pedro.id, supply_number=MARIA_SUPPLY, page=1)
    # Someone else's supply is still only "Suministro no encontrado."
    with pytest.raises(NotFound) as error:
        await invoices.supply_page(session=session, user_id=juan.id, supply_number=MARIA_SUPPLY)
    assert error.value.message == "Suministro no encontrado."


async def test_the_invoices_page_of_a_pending_link_shows_its_deadline(session, pedro, tmp_path):
    from autogestion.services import invoices

    await link(session, pedro, MARIA_SUPPLY, tmp_path, poder=True)
    shown = await invoices.supply_page(session=session, user_id=pedro.id, supply_number=MARIA_SUPPLY)
    assert (shown.detail.rejected, shown.detail.review_deadline) == (False, _deadline())
    assert shown.invoices.total_rows > 0


async def test_mi_perfil_shows_by_when_the_dni_photo_is_reviewed(session, juan, tmp_path):
    from autogestion.services import profile

    created = await link(session, juan, JUAN_SUPPLY, tmp_path)
    shown = await profile.overview(session=session, user_id=juan.id, now=NOW)
    assert (shown.dni_status, shown.dni_review_deadline) == (DniStatus.IN_REVIEW, _deadline())

    await _decide(session, created.dni_document_id, "legible")
    shown = await profile.overview(session=session, user_id=juan.id, now=NOW)
    assert (shown.dni_status, shown.dni_review_deadline) == (DniStatus.LEGIBLE, "")
