"""Supplies, customer side: number check, invoice quiz, linking with documents, invoices and authorisation."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from PIL import Image
from fpdf import FPDF
from sqlmodel import select

from autogestion.clock import format_local
from autogestion.models import (
    DniStatus,
    Document,
    DocumentStatus,
    Invoice,
    LinkStatus,
    OutboxMessage,
    QuizChallenge,
    SupplyLink,
    User,
    UserStatus,
)
from autogestion.services import supplies
from autogestion.services.demo import seed_demo
from autogestion.services.documents import open_document_for_user, store_upload
from autogestion.services.errors import AuthError, DomainError, NotFound, RateLimited, ValidationError
from autogestion.services.supplies import (
    QuizOption,
    answer_quiz,
    build_quiz_options,
    check_supply_number,
    consumption_series,
    get_invoice_for_user,
    get_quiz,
    get_supply_detail,
    invoice_pdf_for_user,
    link_supply,
    list_invoices,
    list_links,
)

TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 15, 0, 0, tzinfo=timezone.utc)  # 12:00 in San Juan
JUAN_SUPPLY = "2000380655"  # holder Juan Perez, DNI 20123456
MARIA_SUPPLY = "2000412873"  # holder María Fernanda Gómez, DNI 27345678
OTHER_SUPPLY = "2000157420"
LABEL = re.compile(r"\$ [0-9]{1,3}(\.[0-9]{3})*,[0-9]{2} — vence [0-9]{2}/[0-9]{2}/[0-9]{4}")


# --- fixtures and helpers --------------------------------------------------------------------------

@pytest.fixture
async def demo(session):
    info = await seed_demo(session=session, today=TODAY)
    await session.commit()
    return info


async def make_user(session, doc_number: str, first: str, last: str, *, status: str = UserStatus.ACTIVE) -> User:
    user = User(
        doc_type="DNI",
        doc_number=doc_number,
        password_hash="x",
        first_names=first,
        last_names=last,
        email=f"{first.lower()}.{doc_number}@example.com",
        email_norm=f"{first.lower()}.{doc_number}@example.com",
        phone_e164=f"+549264{doc_number[-7:]}",
        status=status,
        created_at=NOW - timedelta(days=30),
    )
    session.add(user)
    await session.commit()
    return user


@pytest.fixture
async def juan(session, demo) -> User:
    return await make_user(session, "20123456", "Juan", "Perez")


@pytest.fixture
async def maria(session, demo) -> User:
    return await make_user(session, "27345678", "María Fernanda", "Gómez")


@pytest.fixture
async def pedro(session, demo) -> User:
    return await make_user(session, "30111222", "Pedro", "Lucero")


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), (120, 130, 140)).save(out, format="JPEG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", size=12)
    doc.cell(text="Poder")
    return bytes(doc.output())


async def upload(session, user: User, kind: str, tmp_path) -> str:
    data = jpeg_bytes() if kind == "dni" else pdf_bytes()
    doc = await store_upload(
        session=session, user_id=user.id, kind=kind, data=data, filename=f"{kind}.bin", storage_dir=tmp_path / "docs", now=NOW
    )
    await session.commit()
    return doc.id


async def recent_invoices(session, number: str) -> list[Invoice]:
    return list(
        (
            await session.exec(
                select(Invoice).where(Invoice.supply_number == number).order_by(Invoice.issued_on.desc()).limit(3)
            )
        ).all()
    )


async def challenge_of(session, user: User, number: str) -> QuizChallenge:
    return (
        await session.exec(
            select(QuizChallenge)
            .where(QuizChallenge.user_id == user.id, QuizChallenge.supply_number == number)
            .execution_options(populate_existing=True)
        )
    ).one()


async def pass_quiz(session, user: User, number: str, now: datetime = NOW) -> None:
    await get_quiz(session=session, user_id=user.id, supply_number=number, now=now)
    correct = (await challenge_of(session, user, number)).correct_index
    assert await answer_quiz(session=session, user_id=user.id, supply_number=number, option_index=correct, now=now)
    await session.commit()


async def link(session, user: User, number: str, tmp_path, *, poder: bool = False, dni: bool = True) -> SupplyLink:
    await pass_quiz(session, user, number)
    dni_id = await upload(session, user, "dni", tmp_path) if dni else None
    poder_id = await upload(session, user, "poder", tmp_path) if poder else None
    created = await link_supply(
        session=session, user_id=user.id, supply_number=number, dni_document_id=dni_id, poder_document_id=poder_id, now=NOW
    )
    await session.commit()
    return created


async def outbox(session) -> list[OutboxMessage]:
    return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


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
    assert await check_supply_number(session=session, user_id=juan.id, raw=" 2000380655 ", now=NOW) == JUAN_SUPPLY


async def test_check_supply_number_reports_unknown_supplies(session, juan):
    with pytest.raises(NotFound):
        await check_supply_number(session=session, user_id=juan.id, raw="1999999999", now=NOW)


async def test_unknown_numbers_are_throttled_per_user(session, juan, maria):
    for n in range(supplies.MAX_UNKNOWN_NUMBERS):
        with pytest.raises(NotFound):
            await check_supply_number(session=session, user_id=juan.id, raw=f"19000000{n:02d}", now=NOW)
        if n < supplies.MAX_UNKNOWN_NUMBERS - 1:
            # Typing the same unknown number again does not count twice.
            with pytest.raises(NotFound):
                await check_supply_number(session=session, user_id=juan.id, raw=f"19000000{n:02d}", now=NOW)

    # Known numbers are refused too while throttled, or the check would still enumerate supplies.
    with pytest.raises(RateLimited):
        await check_supply_number(session=session, user_id=juan.id, raw=JUAN_SUPPLY, now=NOW)
    with pytest.raises(RateLimited):
        await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    # Another user is not affected, and the window moves on.
    assert await check_supply_number(session=session, user_id=maria.id, raw=JUAN_SUPPLY, now=NOW) == JUAN_SUPPLY
    later = NOW + timedelta(hours=1, seconds=1)
    assert await check_supply_number(session=session, user_id=juan.id, raw=JUAN_SUPPLY, now=later) == JUAN_SUPPLY


async def test_the_throttle_count_survives_the_callers_rollback(session, juan):
    for n in range(supplies.MAX_UNKNOWN_NUMBERS):
        with pytest.raises(NotFound):
            await check_supply_number(session=session, user_id=juan.id, raw=f"18000000{n:02d}", now=NOW)
        await session.rollback()  # what db.session_scope does when the handler gets the exception
    with pytest.raises(RateLimited):
        await check_supply_number(session=session, user_id=juan.id, raw=JUAN_SUPPLY, now=NOW)


# --- the quiz --------------------------------------------------------------------------------------

async def test_quiz_has_four_options_and_exactly_one_real_invoice(session, juan, demo):
    for number in [JUAN_SUPPLY, MARIA_SUPPLY, OTHER_SUPPLY, "2000745210", "2001189634"]:
        options = await get_quiz(session=session, user_id=juan.id, supply_number=number, now=NOW)
        recent = await recent_invoices(session, number)
        real_labels = {f"{supplies.format_money(i.amount_cents)} — vence {supplies.format_date(i.due_on)}" for i in recent[:2]}

        assert [o.id for o in options] == [0, 1, 2, 3]
        assert all(LABEL.fullmatch(o.label) for o in options)
        matching = [o for o in options if o.label in real_labels]
        assert len(matching) == 1
        assert matching[0].id == (await challenge_of(session, juan, number)).correct_index


def _cents(amount: str) -> int:
    return int(amount.removeprefix("$ ").replace(".", "").replace(",", ""))


def _date(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


async def test_decoys_are_distinct_plausible_and_never_a_real_invoice(session, juan, demo):
    numbers = [
        "2000380655", "2000412873", "2000157420", "2000298811", "2000523067", "2000634155",
        "2000745210", "2000856302", "2000967418", "2001078526", "2001189634", "2001290742",
    ]
    for number in numbers:
        options = await get_quiz(session=session, user_id=juan.id, supply_number=number, now=NOW)
        correct = options[(await challenge_of(session, juan, number)).correct_index]
        recent = await recent_invoices(session, number)
        decoys = [o for o in options if o is not correct]
        real_cents = _cents(correct.amount)

        assert len({o.amount for o in options}) == 4
        assert len({o.label for o in options}) == 4
        for decoy in decoys:
            shift = abs(_cents(decoy.amount) - real_cents) / real_cents
            assert 0.05 - 0.001 <= shift <= 0.50 + 0.001, (number, decoy, correct)
            assert 1 <= abs((_date(decoy.due_on) - _date(correct.due_on)).days) <= 12
            assert _date(decoy.due_on).weekday() < 5
            assert _cents(decoy.amount) not in {i.amount_cents for i in recent}
            assert _date(decoy.due_on) not in {i.due_on for i in recent}


@pytest.mark.parametrize("amount", [0, 1, 50, 4_999, 5_000, 100_000, 1_234_567, 2_000_000, 99_999_999])
def test_decoys_for_any_amount_are_positive_and_distinct(amount):
    invoice = Invoice(
        id="f" * 32, supply_number="1", number="0001-00000001", period="2026-10",
        issued_on=date(2026, 11, 5), due_on=date(2026, 11, 20), amount_cents=amount, status="impaga",
    )
    options, correct = build_quiz_options([invoice])

    assert options[correct] == (amount, date(2026, 11, 20))
    assert len({a for a, _ in options}) == 4
    assert all(a > 0 for a, _ in options if (a, _) != options[correct])
    if amount % 100 == 0 and amount:
        assert all(a % 100 == 0 for a, _ in options)  # whole-peso bills get whole-peso decoys


async def test_option_dtos_never_carry_the_answer(session, juan):
    assert set(QuizOption.model_fields) == {"id", "label", "amount", "due_on"}
    options = await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    assert "correct" not in repr(options)


async def test_quiz_is_stable_for_24_hours_then_regenerated(session, juan, maria):
    first = await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    await session.commit()
    created = (await challenge_of(session, juan, JUAN_SUPPLY)).created_at

    again = await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW + timedelta(hours=23, minutes=59))
    assert again == first
    assert (await challenge_of(session, juan, JUAN_SUPPLY)).created_at == created

    later = NOW + timedelta(hours=24, seconds=1)
    regenerated = await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=later)
    await session.commit()
    assert (await challenge_of(session, juan, JUAN_SUPPLY)).created_at == later
    # The four amounts stay the same set (only the order may change): comparing the option sets of two
    # days, or of two accounts, must never single out the real invoice.
    assert {o.label for o in regenerated} == {o.label for o in first}
    other_account = await get_quiz(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY, now=NOW)
    assert {o.label for o in other_account} == {o.label for o in first}


async def test_the_right_answer_passes(session, juan):
    await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    challenge = await challenge_of(session, juan, JUAN_SUPPLY)

    assert await answer_quiz(
        session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=challenge.correct_index, now=NOW
    )
    await session.commit()
    after = await challenge_of(session, juan, JUAN_SUPPLY)
    assert after.passed_at == NOW and after.wrong_attempts == 0


async def test_three_wrong_answers_lock_the_supply_for_24_hours(session, juan, maria):
    await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    correct = (await challenge_of(session, juan, JUAN_SUPPLY)).correct_index
    wrong = [i for i in range(4) if i != correct]

    for attempt, option in enumerate(wrong, start=1):
        assert not await answer_quiz(
            session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=option, now=NOW
        )
        await session.commit()
        assert (await challenge_of(session, juan, JUAN_SUPPLY)).wrong_attempts == attempt

    assert (await challenge_of(session, juan, JUAN_SUPPLY)).locked_until == NOW + timedelta(hours=24)
    assert await supplies.quiz_attempts_left(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW) == 0
    # Even the right answer is refused while locked, and no new options are handed out.
    with pytest.raises(RateLimited) as error:
        await answer_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=correct, now=NOW)
    assert error.value.message == "Superaste los intentos para este suministro. Probá de nuevo en 24 horas."
    with pytest.raises(RateLimited):
        await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW + timedelta(hours=23))
    # The lock is per user and supply.
    assert len(await get_quiz(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY, now=NOW)) == 4
    assert len(await get_quiz(session=session, user_id=juan.id, supply_number=MARIA_SUPPLY, now=NOW)) == 4

    after = NOW + timedelta(hours=24, seconds=1)
    assert len(await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=after)) == 4
    await session.commit()
    assert (await challenge_of(session, juan, JUAN_SUPPLY)).wrong_attempts == 0


async def test_two_wrong_then_right_passes(session, juan):
    await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    correct = (await challenge_of(session, juan, JUAN_SUPPLY)).correct_index
    for option in [i for i in range(4) if i != correct][:2]:
        assert not await answer_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=option, now=NOW)
    assert await answer_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=correct, now=NOW)
    await session.commit()
    assert (await challenge_of(session, juan, JUAN_SUPPLY)).wrong_attempts == 2


@pytest.mark.parametrize("option", [-1, 4, 99, "1", "0", None, 1.0, True, [0], {"id": 0}])
async def test_answers_that_are_not_an_option_are_refused(session, juan, option):
    await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    with pytest.raises(ValidationError) as error:
        await answer_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=option, now=NOW)
    assert error.value.message == "Elegí una de las opciones."
    assert (await challenge_of(session, juan, JUAN_SUPPLY)).wrong_attempts == 0


async def test_answering_without_options_or_after_they_expired(session, juan):
    with pytest.raises(DomainError):
        await answer_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=0, now=NOW)
    await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    with pytest.raises(DomainError):
        await answer_quiz(
            session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=0, now=NOW + timedelta(hours=25)
        )


async def test_a_supply_without_invoices_cannot_be_quizzed(session, juan):
    from autogestion.services.billing_import import upsert_supplies

    await upsert_supplies(session, [dict(number="7", status="0", tariff_group="", holder_name="X", holder_doc_type="DNI",
                                         holder_doc_number="1234567", collection_status="", address="")])
    await session.commit()
    with pytest.raises(DomainError) as error:
        await get_quiz(session=session, user_id=juan.id, supply_number="7", now=NOW)
    assert "no tiene facturas" in error.value.message


# --- linking ---------------------------------------------------------------------------------------

async def test_link_as_holder(session, juan, tmp_path):
    created = await link(session, juan, JUAN_SUPPLY, tmp_path)

    assert (created.status, created.is_holder, created.poder_document_id) == (LinkStatus.PENDING, True, None)
    await session.refresh(juan)
    assert juan.dni_status == DniStatus.IN_REVIEW
    assert juan.dni_document_id == created.dni_document_id
    rows = await list_links(session=session, user_id=juan.id)
    assert [(r.position, r.number, r.status, r.tariff_group, r.holder_name, r.holder_document, r.collection_status,
             r.poder, r.link_status_label) for r in rows] == [
        (1, JUAN_SUPPLY, "0", "DT1 (TRA-RSD)", "Juan Perez", "DNI 20123456", "SUSP-TRAM", "Titular", "Pendiente de validación")
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
    body = supplies.LINK_EMAIL_BODY.format(
        name="Juan Perez", when=format_local(datetime(2020, 11, 9, 14, 38, 49, tzinfo=timezone.utc)), number="2000380655", brand="Energía San Juan S.A."
    )
    assert body.startswith(
        "Estimado/a Juan Perez:\n\nEl día 09/11/2020 11:38:49 Ud. ha asociado al Suministro 2000380655 a su cuenta"
    )


async def test_link_as_apoderado_needs_a_poder(session, juan, maria, tmp_path):
    await pass_quiz(session, juan, MARIA_SUPPLY)
    dni = await upload(session, juan, "dni", tmp_path)
    with pytest.raises(ValidationError) as error:
        await link_supply(
            session=session, user_id=juan.id, supply_number=MARIA_SUPPLY, dni_document_id=dni, poder_document_id=None, now=NOW
        )
    assert error.value.field == "poder"
    await session.rollback()
    await session.refresh(juan)
    await session.refresh(maria)

    poder = await upload(session, juan, "poder", tmp_path)
    created = await link_supply(
        session=session, user_id=juan.id, supply_number=MARIA_SUPPLY, dni_document_id=dni, poder_document_id=poder, now=NOW
    )
    await session.commit()

    assert (created.is_holder, created.poder_document_id) == (False, poder)
    [row] = await list_links(session=session, user_id=juan.id)
    assert (row.poder, row.holder_name, row.holder_document) == ("Poder", "María Fernanda Gómez", "DNI *****678")
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
            session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, dni_document_id=None, poder_document_id=None, now=NOW
        )
    assert error.value.message == "Ese suministro ya está asociado a tu cuenta."
    with pytest.raises(DomainError, match="ya está asociado"):
        await check_supply_number(session=session, user_id=juan.id, raw=JUAN_SUPPLY, now=NOW)
    with pytest.raises(DomainError, match="ya está asociado"):
        await get_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)


async def test_the_unique_constraint_refuses_a_concurrent_second_link(session, juan, tmp_path, monkeypatch):
    await link(session, juan, JUAN_SUPPLY, tmp_path)

    async def nobody(*args, **kwargs):  # as if the concurrent request had not committed yet at SELECT time
        return None

    monkeypatch.setattr(supplies, "_own_link", nobody)
    with pytest.raises(DomainError, match="ya está asociado"):
        await link_supply(
            session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, dni_document_id=None, poder_document_id=None, now=NOW
        )


async def test_another_user_can_link_the_same_supply(session, juan, maria, tmp_path):
    await link(session, juan, MARIA_SUPPLY, tmp_path, poder=True)
    as_holder = await link(session, maria, MARIA_SUPPLY, tmp_path)

    assert as_holder.is_holder
    links = (await session.exec(select(SupplyLink).where(SupplyLink.supply_number == MARIA_SUPPLY))).all()
    assert {(l.user_id, l.is_holder) for l in links} == {(juan.id, False), (maria.id, True)}


async def test_the_dni_on_file_is_reused(session, juan, tmp_path):
    first = await link(session, juan, JUAN_SUPPLY, tmp_path)
    second = await link(session, juan, OTHER_SUPPLY, tmp_path, poder=True, dni=False)
    assert second.dni_document_id == first.dni_document_id


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
            session=session, user_id=juan.id, supply_number=OTHER_SUPPLY, dni_document_id=None, poder_document_id=poder, now=NOW
        )
    assert error.value.field == "dni"
    with pytest.raises(ValidationError, match="rechazado"):
        await link_supply(
            session=session, user_id=juan.id, supply_number=OTHER_SUPPLY,
            dni_document_id=first.dni_document_id, poder_document_id=poder, now=NOW,
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
        (juans_dni, 12),
    ]:
        with pytest.raises(ValidationError):
            await link_supply(
                session=session, user_id=juan.id, supply_number=MARIA_SUPPLY, dni_document_id=dni, poder_document_id=poder, now=NOW
            )
    assert (await session.exec(select(SupplyLink))).all() == []


async def test_linking_requires_the_quiz_passed_in_the_last_24_hours(session, juan, tmp_path):
    dni = await upload(session, juan, "dni", tmp_path)
    with pytest.raises(DomainError, match="Primero elegí"):
        await link_supply(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, dni_document_id=dni, poder_document_id=None, now=NOW)

    await pass_quiz(session, juan, JUAN_SUPPLY)
    with pytest.raises(DomainError, match="Primero elegí"):
        await link_supply(
            session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, dni_document_id=dni, poder_document_id=None,
            now=NOW + timedelta(hours=24, seconds=1),
        )
    created = await link_supply(
        session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, dni_document_id=dni, poder_document_id=None,
        now=NOW + timedelta(hours=23),
    )
    assert created.id is not None


async def test_inactive_users_cannot_link(session, demo, tmp_path):
    pending = await make_user(session, "20123456", "Juan", "Perez", status=UserStatus.PENDING_CODES)
    with pytest.raises(AuthError):
        await link_supply(
            session=session, user_id=pending.id, supply_number=JUAN_SUPPLY, dni_document_id=None, poder_document_id=None, now=NOW
        )


async def test_unknown_supply_cannot_be_linked(session, juan):
    with pytest.raises(NotFound):
        await link_supply(
            session=session, user_id=juan.id, supply_number="1999999999", dni_document_id=None, poder_document_id=None, now=NOW
        )


# --- invoices --------------------------------------------------------------------------------------

async def test_invoices_are_paginated_newest_first_with_labels(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)

    first = await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=1, today=TODAY)
    second = await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=2, today=TODAY)
    beyond = await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=9, today=TODAY)

    assert (first.total_rows, first.total_pages, len(first.rows), len(second.rows)) == (24, 2, 12, 12)
    assert beyond.page == 2 and beyond.rows == second.rows
    assert first.rows[0].period == "10/2026"
    assert second.rows[-1].period == "11/2024"
    newest = first.rows[0]
    assert re.fullmatch(r"\$ [0-9.]+,[0-9]{2}", newest.amount)
    assert re.fullmatch(r"[0-9]{2}/[0-9]{2}/[0-9]{4}", newest.due_on)
    assert (newest.status, newest.status_label, newest.payable) == ("vencida", "Vencida", True)
    labels = {row.status_label for row in first.rows + second.rows}
    assert labels <= {"Pagada", "Impaga", "Vencida"} and "Pagada" in labels
    # The same bill before its due date is "Impaga".
    early = await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=1, today=date(2026, 11, 19))
    assert early.rows[0].status_label == "Impaga"


@pytest.mark.parametrize(("page", "size"), [(0, 12), (-1, 12), ("1", 12), (None, 12), (1.0, 12), (1, 0), (1, 101), (1, "12")])
async def test_bad_paging_is_refused(session, juan, tmp_path, page, size):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    with pytest.raises(ValidationError):
        await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=page, page_size=size)


async def test_consumption_series_covers_the_last_24_periods_oldest_first(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)

    series = await consumption_series(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY)

    assert len(series) == 24
    assert series[0]["period"] == "11/2024" and series[-1]["period"] == "10/2026"
    assert all(isinstance(point["kwh"], int) and point["kwh"] > 0 for point in series)
    summer = next(p["kwh"] for p in series if p["period"] == "01/2026")
    spring = next(p["kwh"] for p in series if p["period"] == "09/2026")
    assert summer > spring  # air conditioning in San Juan's summer


async def test_supply_detail(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    detail = await get_supply_detail(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY)
    assert (detail.number, detail.holder_name, detail.is_holder, detail.link_status_label, detail.procedures_enabled) == (
        JUAN_SUPPLY, "Juan Perez", True, "Pendiente de validación", False,
    )
    assert "Rivadavia" in detail.address or "San Juan" in detail.address


async def test_invoice_pdf_for_the_owner(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    row = (await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=1)).rows[0]

    pdf, name = await invoice_pdf_for_user(session=session, user_id=juan.id, invoice_id=row.id)

    assert pdf.startswith(b"%PDF") and name == f"factura-{row.number}.pdf"


# --- authorisation ---------------------------------------------------------------------------------

async def test_user_b_cannot_reach_user_as_supply_invoices_or_documents(session, juan, maria, tmp_path):
    created = await link(session, juan, JUAN_SUPPLY, tmp_path)
    invoice = (await list_invoices(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, page=1)).rows[0]

    assert await list_links(session=session, user_id=maria.id) == []
    with pytest.raises(NotFound, match="Suministro no encontrado."):
        await get_supply_detail(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY)
    with pytest.raises(NotFound, match="Suministro no encontrado."):
        await list_invoices(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY, page=1)
    with pytest.raises(NotFound):
        await consumption_series(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY)
    with pytest.raises(NotFound):
        await get_invoice_for_user(session=session, user_id=maria.id, invoice_id=invoice.id)
    with pytest.raises(NotFound):
        await invoice_pdf_for_user(session=session, user_id=maria.id, invoice_id=invoice.id)
    with pytest.raises(NotFound):
        await open_document_for_user(
            session=session, user_id=maria.id, document_id=created.dni_document_id, storage_dir=tmp_path / "docs"
        )
    # The owner gets all of it.
    invoice_row, supply = await get_invoice_for_user(session=session, user_id=juan.id, invoice_id=invoice.id)
    assert (invoice_row.number, supply.number) == (invoice.number, JUAN_SUPPLY)
    path, content_type, _ = await open_document_for_user(
        session=session, user_id=juan.id, document_id=created.dni_document_id, storage_dir=tmp_path / "docs"
    )
    assert path.is_file() and content_type == "image/jpeg"


async def test_a_linked_supply_does_not_open_other_supplies_invoices(session, juan, tmp_path):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    other = (await recent_invoices(session, MARIA_SUPPLY))[0]
    with pytest.raises(NotFound):
        await get_invoice_for_user(session=session, user_id=juan.id, invoice_id=other.id)


@pytest.mark.parametrize("bad", ["../2000380655", "2000380655 OR 1=1", "", None, 2000380655, ["2000380655"]])
async def test_malformed_supply_numbers_in_urls_are_not_found(session, juan, tmp_path, bad):
    await link(session, juan, JUAN_SUPPLY, tmp_path)
    with pytest.raises(NotFound):
        await get_supply_detail(session=session, user_id=juan.id, supply_number=bad)


@pytest.mark.parametrize("bad", ["1", "' OR 1=1 --", "A" * 32, None, 7, "a" * 33])
async def test_malformed_invoice_ids_are_not_found(session, juan, bad):
    with pytest.raises(NotFound):
        await get_invoice_for_user(session=session, user_id=juan.id, invoice_id=bad)


async def test_a_rejected_link_closes_the_supply(session, juan, tmp_path):
    created = await link(session, juan, JUAN_SUPPLY, tmp_path)
    created.status = LinkStatus.REJECTED
    session.add(created)
    await session.commit()

    [row] = await list_links(session=session, user_id=juan.id)
    assert row.link_status_label == "Rechazado"
    with pytest.raises(NotFound):
        await get_supply_detail(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY)


async def test_a_validated_apoderado_sees_the_holders_document(session, juan, tmp_path):
    created = await link(session, juan, MARIA_SUPPLY, tmp_path, poder=True)
    created.status = LinkStatus.VALIDATED
    session.add(created)
    await session.commit()

    [row] = await list_links(session=session, user_id=juan.id)
    assert (row.holder_document, row.link_status_label) == ("DNI 27345678", "Validado")
    detail = await get_supply_detail(session=session, user_id=juan.id, supply_number=MARIA_SUPPLY)
    assert detail.procedures_enabled


# --- holder or apoderado ---------------------------------------------------------------------------

async def test_is_holder_of_compares_the_users_document_with_the_holders(session, juan, maria):
    assert await supplies.is_holder_of(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY) is True
    assert await supplies.is_holder_of(session=session, user_id=juan.id, supply_number=MARIA_SUPPLY) is False
    assert await supplies.is_holder_of(session=session, user_id=maria.id, supply_number=MARIA_SUPPLY) is True


async def test_is_holder_of_refuses_unknown_or_malformed_numbers_and_inactive_users(session, juan, demo):
    with pytest.raises(NotFound):
        await supplies.is_holder_of(session=session, user_id=juan.id, supply_number="1999999999")
    with pytest.raises(ValidationError):
        await supplies.is_holder_of(session=session, user_id=juan.id, supply_number="2000A80655")
    pending = await make_user(session, "31222333", "Rosa", "Díaz", status=UserStatus.PENDING_CODES)
    with pytest.raises(AuthError):
        await supplies.is_holder_of(session=session, user_id=pending.id, supply_number=JUAN_SUPPLY)


def test_real_option_does_not_stand_out():
    """Over many bills, the real option is the lowest/highest or the most isolated about 1 time in 4."""
    extremes_amount = extremes_date = isolated = 0
    runs = 400
    for i in range(runs):
        invoice = Invoice(
            id=f"{i:032x}", supply_number=str(2_000_000_000 + i), number=f"0012-{i:08d}", period="2026-10",
            issued_on=date(2026, 11, 5), due_on=date(2026, 11, 20), amount_cents=2_000_000 + 997 * i, status="impaga",
        )
        options, correct = build_quiz_options([invoice])
        amounts = sorted(a for a, _ in options)
        dues = sorted(d for _, d in options)
        extremes_amount += options[correct][0] in (amounts[0], amounts[-1])
        extremes_date += options[correct][1] in (dues[0], dues[-1])
        gaps = [min(abs(a - b) for j, (b, _) in enumerate(options) if j != k) for k, (a, _) in enumerate(options)]
        isolated += gaps.index(max(gaps)) == correct
    # uniform placement: an extreme 2 times in 4, the most isolated 1 time in 4 (generous margins)
    assert 0.35 < extremes_amount / runs < 0.65
    assert 0.35 < extremes_date / runs < 0.65
    assert isolated / runs < 0.35
