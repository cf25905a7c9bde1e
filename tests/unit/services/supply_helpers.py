"""What the supplies tests share (test_supplies, test_quiz, test_invoices): demo numbers, customers, actions.

The fixtures built on these (demo, juan, maria, pedro) are in this folder's conftest.py.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from fpdf import FPDF
from PIL import Image
from sqlmodel import select

from autogestion.models import Invoice, OutboxMessage, QuizChallenge, SupplyLink, User, UserStatus
from autogestion.services.documents import store_upload
from autogestion.services.quiz import answer_quiz, start_quiz
from autogestion.services.supplies import link_supply

TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 15, 0, 0, tzinfo=UTC)  # 12:00 in San Juan
JUAN_SUPPLY = "2000380655"  # holder Juan Perez, DNI 20123456
MARIA_SUPPLY = "2000412873"  # holder María Fernanda Gómez, DNI 27345678
OTHER_SUPPLY = "2000157420"  # holder Carlos Alberto Quiroga, no account
ALL_SUPPLIES = [
    "2000380655",
    "2000412873",
    "2000157420",
    "2000298811",
    "2000523067",
    "2000634155",
    "2000745210",
    "2000856302",
    "2000967418",
    "2001078526",
    "2001189634",
    "2001290742",
]


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
        session=session,
        user_id=user.id,
        kind=kind,
        data=data,
        filename=f"{kind}.bin",
        storage_dir=tmp_path / "docs",
        now=NOW,
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
    await start_quiz(session=session, user_id=user.id, supply_number=number, now=now)
    correct = (await challenge_of(session, user, number)).correct_index
    result = await answer_quiz(session=session, user_id=user.id, supply_number=number, option_index=correct, now=now)
    assert result.right
    await session.commit()


async def answer_wrong(session, user: User, number: str, now: datetime = NOW):
    """Start the quiz and pick a wrong option; commits, as the handler's unit of work does."""
    quiz = await start_quiz(session=session, user_id=user.id, supply_number=number, now=now)
    assert not quiz.locked, quiz.message
    correct = (await challenge_of(session, user, number)).correct_index
    result = await answer_quiz(
        session=session, user_id=user.id, supply_number=number, option_index=(correct + 1) % 4, now=now
    )
    await session.commit()
    return result


async def link(session, user: User, number: str, tmp_path, *, poder: bool = False, dni: bool = True) -> SupplyLink:
    await pass_quiz(session, user, number)
    dni_id = await upload(session, user, "dni", tmp_path) if dni else None
    poder_id = await upload(session, user, "poder", tmp_path) if poder else None
    created = await link_supply(
        session=session,
        user_id=user.id,
        supply_number=number,
        dni_document_id=dni_id,
        poder_document_id=poder_id,
        now=NOW,
    )
    await session.commit()
    return created


async def outbox(session) -> list[OutboxMessage]:
    return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())
