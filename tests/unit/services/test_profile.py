"""Mi Perfil service: contact changes verified by code, password change, re-authentication lock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autogestion.models import User
from autogestion.services import accounts, profile, sessions
from autogestion.services.errors import DomainError, WrongCredentials
from tests.unit.services.account_helpers import PASSWORD, T0, active_user, codes_in, outbox


async def test_email_change_keeps_old_until_verified_and_notifies(session):
    user_id = await active_user(session)
    with pytest.raises(WrongCredentials):
        await profile.request_email_change(
            session=session, user_id=user_id, new_email="nueva@example.com", password="Mala.Clave11", now=T0
        )
    await profile.request_email_change(
        session=session, user_id=user_id, new_email="nueva@example.com", password=PASSWORD, now=T0
    )
    await session.commit()
    assert (await session.get(User, user_id)).email == "ana@example.com"
    messages = await outbox(session)
    assert any(m.recipient == "ana@example.com" and "cambio de e-mail" in m.subject.lower() for m in messages)
    code = codes_in(messages, "nueva@example.com")[-1]
    user = await profile.confirm_contact_change(session=session, user_id=user_id, kind="email", code=code, now=T0)
    assert user.email == "nueva@example.com"


async def test_phone_change_refuses_taken_number(session):
    user_id = await active_user(session)
    await accounts.create_active_user(
        session=session,
        doc_type="DNI",
        doc_number="30999888",
        password=PASSWORD,
        first_names="Beto",
        last_names="Ruiz",
        email="beto@example.com",
        area="264",
        number="4999888",
        now=T0,
    )
    with pytest.raises(DomainError, match="celular ya está registrado"):
        await profile.request_phone_change(
            session=session, user_id=user_id, area="264", number="4999888", password=PASSWORD, now=T0
        )


async def test_password_change_ends_other_sessions(session):
    user_id = await active_user(session)
    mine = await sessions.create_session(session=session, user_id=user_id, now=T0)
    other = await sessions.create_session(session=session, user_id=user_id, now=T0)
    await profile.change_password(
        session=session,
        user_id=user_id,
        current_password=PASSWORD,
        new_password="Nueva.Clave77",
        new_password2="Nueva.Clave77",
        keep_token=mine,
        now=T0,
    )
    await session.commit()
    assert await sessions.resolve_session(session=session, token=mine, now=T0) == user_id
    assert await sessions.resolve_session(session=session, token=other, now=T0) is None


async def test_wrong_current_passwords_in_profile_lock_the_account_and_end_its_sessions(session):
    """Re-authentication failures count towards the login lock (5 / 15 min), and the lock ends the session."""
    user_id = await active_user(session)
    token = await sessions.create_session(session=session, user_id=user_id, now=T0)
    await session.commit()
    for _attempt in range(5):
        with pytest.raises(WrongCredentials) as refused:
            await profile.request_email_change(
                session=session, user_id=user_id, new_email="nueva@example.com", password="Mala.Clave11", now=T0
            )
        await session.commit()
    assert refused.value.message == accounts.LOCKED_OUT
    assert await sessions.resolve_session(session=session, token=token, now=T0) is None
    with pytest.raises(WrongCredentials):  # the right password does not help while locked, here or at login
        await profile.change_password(
            session=session,
            user_id=user_id,
            current_password=PASSWORD,
            new_password="Nueva.Clave77",
            new_password2="Nueva.Clave77",
            keep_token="",
            now=T0 + timedelta(minutes=1),
        )
    with pytest.raises(WrongCredentials):
        await accounts.authenticate(
            session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, now=T0 + timedelta(minutes=1)
        )
    assert any("Bloqueamos" in m.subject for m in await outbox(session))
    await accounts.authenticate(
        session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, now=T0 + timedelta(minutes=16)
    )


async def test_login_and_reauth_failures_share_one_counter(session):
    user_id = await active_user(session)
    for _ in range(3):
        with pytest.raises(WrongCredentials):
            await accounts.authenticate(
                session=session, doc_type="DNI", doc_number="30123456", password="Otra.Clave99", now=T0
            )
    for _ in range(2):
        with pytest.raises(WrongCredentials):
            await profile.request_phone_change(
                session=session, user_id=user_id, area="264", number="4555555", password="Otra.Clave99", now=T0
            )
    await session.commit()
    assert (await session.get(User, user_id)).locked_until is not None
