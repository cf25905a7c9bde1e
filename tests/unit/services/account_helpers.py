"""Action helpers for the account service tests: register, activate, read codes from the outbox."""

from __future__ import annotations

import re

from sqlalchemy import select

from autogestion.clock import utcnow
from autogestion.models import OutboxMessage
from autogestion.services import accounts

PASSWORD = "Clave.Segura42"
T0 = utcnow()


def codes_in(messages: list[OutboxMessage], to: str) -> list[str]:
    found = []
    for m in messages:
        if m.recipient == to:
            match = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", m.body)
            if match:
                found.append(match.group(1))
    return found


async def outbox(session) -> list[OutboxMessage]:
    return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def start(**kwargs) -> int:
    """Registration step 1; the new account's id."""
    return (await accounts.start_registration(**kwargs)).user_id


async def register(session, *, dni="30123456", email="ana@example.com", number="4123456", now=T0) -> int:
    user_id = await start(
        session=session, doc_type="DNI", doc_number=dni, password=PASSWORD, password2=PASSWORD, now=now
    )
    await accounts.submit_contact_data(
        session=session,
        user_id=user_id,
        first_names="Ana",
        last_names="Gómez",
        email=email,
        area="264",
        number=number,
        now=now,
    )
    await session.commit()
    return user_id


async def last_codes(session, email="ana@example.com", phone="+5492644123456") -> tuple[str, str]:
    messages = await outbox(session)
    return codes_in(messages, email)[-1], codes_in(messages, phone)[-1]


async def active_user(session) -> int:
    user_id = await accounts.create_active_user(
        session=session,
        doc_type="DNI",
        doc_number="30123456",
        password=PASSWORD,
        first_names="Ana",
        last_names="Gómez",
        email="ana@example.com",
        area="264",
        number="4123456",
        now=T0,
    )
    await session.commit()
    return user_id
