"""Recovery service: the same answers for unknown documents, sessions revoked, works during a lock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autogestion.services import accounts, recovery, sessions
from autogestion.services.errors import DomainError, RefusedAttempt, WrongCredentials
from tests.unit.services.account_helpers import PASSWORD, T0, active_user, codes_in, outbox


async def test_recovery_same_answer_and_revokes_sessions(session):
    user_id = await active_user(session)
    token = await sessions.create_session(session=session, user_id=user_id, now=T0)
    await session.commit()
    known = await recovery.start_recovery(
        session=session, doc_type="DNI", doc_number="30123456", channel="email", now=T0
    )
    unknown = await recovery.start_recovery(
        session=session, doc_type="DNI", doc_number="39999999", channel="email", now=T0
    )
    assert known.split(" a ")[0] == unknown.split(" a ")[0]
    assert len([m for m in await outbox(session)]) == 1  # nothing sent for the unknown document
    code = codes_in(await outbox(session), "ana@example.com")[-1]
    new_password = "Nueva.Clave77"
    with pytest.raises(RefusedAttempt):
        await recovery.complete_recovery(
            session=session,
            doc_type="DNI",
            doc_number="30123456",
            channel="sms",
            code=code,
            password=new_password,
            password2=new_password,
            now=T0,
        )
    await recovery.complete_recovery(
        session=session,
        doc_type="DNI",
        doc_number="30123456",
        channel="email",
        code=code,
        password=new_password,
        password2=new_password,
        now=T0,
    )
    await session.commit()
    assert await sessions.resolve_session(session=session, token=token, now=T0) is None
    await accounts.authenticate(session=session, doc_type="DNI", doc_number="30123456", password=new_password, now=T0)


async def test_recovery_works_during_lockout(session):
    await active_user(session)
    for _ in range(5):
        with pytest.raises(WrongCredentials):
            await accounts.authenticate(
                session=session, doc_type="DNI", doc_number="30123456", password="Otra.Clave99", now=T0
            )
    await recovery.start_recovery(session=session, doc_type="DNI", doc_number="30123456", channel="sms", now=T0)
    code = codes_in(await outbox(session), "+5492644123456")[-1]
    await recovery.complete_recovery(
        session=session,
        doc_type="DNI",
        doc_number="30123456",
        channel="sms",
        code=code,
        password="Nueva.Clave77",
        password2="Nueva.Clave77",
        now=T0,
    )
    await accounts.authenticate(
        session=session, doc_type="DNI", doc_number="30123456", password="Nueva.Clave77", now=T0
    )


async def test_recovery_resend_within_a_minute_answers_alike_and_sends_nothing(session):
    await active_user(session)
    first = await recovery.start_recovery(
        session=session, doc_type="DNI", doc_number="30123456", channel="email", now=T0
    )
    await session.commit()
    again = await recovery.start_recovery(
        session=session, doc_type="DNI", doc_number="30123456", channel="email", now=T0 + timedelta(seconds=20)
    )
    unknown = await recovery.start_recovery(
        session=session, doc_type="DNI", doc_number="39999999", channel="email", now=T0
    )
    assert again == first
    assert again.split(" a ")[0] == unknown.split(" a ")[0]
    assert len(codes_in(await outbox(session), "ana@example.com")) == 1


@pytest.mark.parametrize(
    "password,code",
    [("debil", "123456"), ("Corta1a", "123456"), ("Password1", "123456"), (PASSWORD, "123456"), (PASSWORD, "12a")],
)
async def test_recovery_reset_step_says_the_same_for_registered_and_unknown_documents(session, password, code):
    await active_user(session)
    await recovery.start_recovery(session=session, doc_type="DNI", doc_number="30123456", channel="email", now=T0)
    await session.commit()
    answers = []
    for doc in ("30123456", "39999999"):
        with pytest.raises(DomainError) as refused:
            await recovery.complete_recovery(
                session=session,
                doc_type="DNI",
                doc_number=doc,
                channel="email",
                code=code,
                password=password,
                password2=password,
                now=T0,
            )
        answers.append((type(refused.value), refused.value.message, refused.value.field))
        await session.rollback()
    assert answers[0] == answers[1]
