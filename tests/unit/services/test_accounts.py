"""Accounts service: registration, codes, login lockout, tickets and sessions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from autogestion.models import AuthSession, OutboxMessage, User, UserStatus, VerificationCode
from autogestion.services import accounts, recovery, sessions
from autogestion.services.errors import DomainError, RateLimited, RefusedAttempt, ValidationError, WrongCredentials
from tests.unit.services.account_helpers import PASSWORD, T0, active_user, last_codes, outbox, register, start


async def test_full_registration_activates_and_welcomes(session):
    user_id = await register(session)
    email_code, sms_code = await last_codes(session)
    result = await accounts.complete_registration(
        session=session, user_id=user_id, email_code=email_code, sms_code=sms_code, now=T0
    )
    await session.commit()
    assert result.user_id == user_id and result.ticket.user_id == user_id
    row = await session.get(User, user_id)
    assert row.status == UserStatus.ACTIVE and row.phone_e164 == "+5492644123456"
    subjects = [m.subject for m in await outbox(session)]
    assert "Alta de usuario en el Portal de Autogestión" in subjects


async def test_codes_are_stored_only_as_hashes(session):
    await register(session)
    email_code, sms_code = await last_codes(session)
    hashes = [c.code_hash for c in (await session.exec(select(VerificationCode))).scalars()]
    assert hashes and all(email_code not in h and sms_code not in h and len(h) == 64 for h in hashes)


async def test_wrong_code_counts_and_five_kill_the_code(session):
    user_id = await register(session)
    email_code, sms_code = await last_codes(session)
    wrong = "000000" if email_code != "000000" else "111111"
    for _attempt in range(5):
        with pytest.raises(RefusedAttempt):
            await accounts.complete_registration(
                session=session, user_id=user_id, email_code=wrong, sms_code=sms_code, now=T0
            )
        await session.commit()
    with pytest.raises(RefusedAttempt, match="ya no es válido|venció"):
        await accounts.complete_registration(
            session=session, user_id=user_id, email_code=email_code, sms_code=sms_code, now=T0
        )
    assert (await session.get(User, user_id)).status == UserStatus.PENDING_CODES


async def test_expired_code_refused_and_fresh_one_accepted(session):
    user_id = await register(session)
    email_code, sms_code = await last_codes(session)
    with pytest.raises(RefusedAttempt, match="venció"):
        await accounts.complete_registration(
            session=session,
            user_id=user_id,
            email_code=email_code,
            sms_code=sms_code,
            now=T0 + timedelta(minutes=10, seconds=1),
        )
    result = await accounts.complete_registration(
        session=session,
        user_id=user_id,
        email_code=email_code,
        sms_code=sms_code,
        now=T0 + timedelta(minutes=9, seconds=59),
    )
    assert result.user_id == user_id


async def test_replayed_code_refused(session):
    user_id = await register(session)
    email_code, sms_code = await last_codes(session)
    await accounts.complete_registration(
        session=session, user_id=user_id, email_code=email_code, sms_code=sms_code, now=T0
    )
    await session.commit()
    with pytest.raises(DomainError):
        await accounts.complete_registration(
            session=session, user_id=user_id, email_code=email_code, sms_code=sms_code, now=T0
        )


async def test_resend_invalidates_old_code_and_is_limited(session):
    user_id = await register(session)
    old_email, old_sms = await last_codes(session)
    with pytest.raises(RateLimited, match="Esperá"):
        await accounts.send_registration_codes(session=session, user_id=user_id, now=T0 + timedelta(seconds=30))
    now = T0
    for _i in range(4):  # 1 initial + 4 resends = 5 per hour per destination
        now = now + timedelta(seconds=61)
        await accounts.send_registration_codes(session=session, user_id=user_id, now=now)
        await session.commit()
    with pytest.raises(RateLimited, match="una hora"):
        await accounts.send_registration_codes(session=session, user_id=user_id, now=now + timedelta(seconds=61))
    new_email, new_sms = await last_codes(session)
    if (old_email, old_sms) != (new_email, new_sms):
        with pytest.raises(RefusedAttempt):
            await accounts.complete_registration(
                session=session, user_id=user_id, email_code=old_email, sms_code=old_sms, now=now
            )
    await accounts.complete_registration(
        session=session, user_id=user_id, email_code=new_email, sms_code=new_sms, now=now
    )


async def test_code_of_other_purpose_or_user_refused(session):
    a = await register(session)
    b = await register(session, dni="30999888", email="beto@example.com", number="4999888")
    a_email, a_sms = await last_codes(session)
    b_email, b_sms = await last_codes(session, "beto@example.com", "+5492644999888")
    if (a_email, a_sms) != (b_email, b_sms):
        with pytest.raises(RefusedAttempt):
            await accounts.complete_registration(session=session, user_id=b, email_code=a_email, sms_code=a_sms, now=T0)
    # an e-mail code used on the SMS field is bound to the other channel
    if a_email != a_sms:
        with pytest.raises(RefusedAttempt):
            await accounts.complete_registration(session=session, user_id=a, email_code=a_sms, sms_code=a_email, now=T0)


async def test_twenty_concurrent_registrations_same_email_give_one_account(engine):
    factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    ids = []
    for i in range(20):
        async with factory() as s:
            ids.append(
                await start(
                    session=s,
                    doc_type="DNI",
                    doc_number=str(31000000 + i),
                    password=PASSWORD,
                    password2=PASSWORD,
                    now=T0,
                )
            )
            await s.commit()

    async def attempt(i: int, user_id: int) -> bool:
        email = "Juan@Mail.com" if i % 2 else "juan@mail.com"
        async with factory() as s:
            try:
                await accounts.submit_contact_data(
                    session=s,
                    user_id=user_id,
                    first_names="Juan",
                    last_names="Pérez",
                    email=email,
                    area="264",
                    number=str(4100000 + i),
                    now=T0,
                )
                await s.commit()
                return True
            except DomainError:
                await s.rollback()
                return False

    results = await asyncio.gather(*(attempt(i, uid) for i, uid in enumerate(ids)))
    assert sum(results) == 1
    async with factory() as s:
        count = (
            await s.exec(select(func.count()).select_from(User).where(User.email_norm == "juan@mail.com"))
        ).scalar_one()
    assert count == 1


async def test_duplicate_document_refused(session):
    await register(session)
    with pytest.raises(DomainError, match="Ya empezaste"):
        await start(
            session=session, doc_type="DNI", doc_number="30.123.456", password=PASSWORD, password2=PASSWORD, now=T0
        )


async def test_unfinished_registration_expires_and_frees_data(session):
    await register(session)
    later = T0 + timedelta(days=7, minutes=1)
    user_id = await start(
        session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, password2=PASSWORD, now=later
    )
    await accounts.submit_contact_data(
        session=session,
        user_id=user_id,
        first_names="Ana",
        last_names="Gómez",
        email="ana@example.com",
        area="264",
        number="4123456",
        now=later,
    )


@pytest.mark.parametrize(
    "email,number,message",
    [
        ("ANA@example.com", "4555555", "e-mail ya está registrado"),
        ("otro@example.com", "4123456", "celular ya está registrado"),
    ],
)
async def test_email_and_mobile_unique(session, email, number, message):
    await register(session)
    other = await start(
        session=session, doc_type="DNI", doc_number="30999888", password=PASSWORD, password2=PASSWORD, now=T0
    )
    with pytest.raises(DomainError, match=message):
        await accounts.submit_contact_data(
            session=session,
            user_id=other,
            first_names="Beto",
            last_names="Ruiz",
            email=email,
            area="264",
            number=number,
            now=T0,
        )


async def test_login_generic_message_and_lockout(session):
    user_id = await active_user(session)
    with pytest.raises(WrongCredentials) as unknown:
        await accounts.authenticate(session=session, doc_type="DNI", doc_number="39999999", password=PASSWORD, now=T0)
    for _ in range(5):
        with pytest.raises(WrongCredentials) as wrong:
            await accounts.authenticate(
                session=session, doc_type="DNI", doc_number="30123456", password="Otra.Clave99", now=T0
            )
        await session.commit()
    assert unknown.value.message == wrong.value.message == accounts.LOGIN_FAILED
    with pytest.raises(WrongCredentials) as locked:  # right password, still locked
        await accounts.authenticate(
            session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, now=T0 + timedelta(minutes=14)
        )
    assert locked.value.message == accounts.LOGIN_FAILED
    assert any("Bloqueamos" in m.subject for m in await outbox(session))
    result = await accounts.authenticate(
        session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, now=T0 + timedelta(minutes=16)
    )
    assert result.user_id == user_id and result.status == UserStatus.ACTIVE


async def test_success_resets_failure_counter(session):
    await active_user(session)
    for _ in range(4):
        with pytest.raises(WrongCredentials):
            await accounts.authenticate(
                session=session, doc_type="DNI", doc_number="30123456", password="Otra.Clave99", now=T0
            )
    await accounts.authenticate(session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, now=T0)
    with pytest.raises(WrongCredentials):
        await accounts.authenticate(
            session=session, doc_type="DNI", doc_number="30123456", password="Otra.Clave99", now=T0
        )
    await accounts.authenticate(session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, now=T0)


@pytest.mark.parametrize("password", ["", "x" * 2000, "clave.segura42", PASSWORD + " "])
async def test_login_refuses_bad_passwords_without_error(session, password):
    await active_user(session)
    with pytest.raises(WrongCredentials):
        await accounts.authenticate(session=session, doc_type="DNI", doc_number="30123456", password=password, now=T0)


async def test_session_idle_and_absolute_timeouts(session):
    user_id = await active_user(session)
    token = await sessions.create_session(session=session, user_id=user_id, now=T0)
    assert await sessions.resolve_session(session=session, token=token, now=T0 + timedelta(minutes=29)) == user_id
    assert await sessions.resolve_session(session=session, token=token, now=T0 + timedelta(minutes=29 + 31)) is None
    token = await sessions.create_session(session=session, user_id=user_id, now=T0)
    t = T0
    for _ in range(25):  # stays active every 29 minutes, still cut at 12 h
        t += timedelta(minutes=29)
        await sessions.resolve_session(session=session, token=token, now=t)
    assert await sessions.resolve_session(session=session, token=token, now=T0 + timedelta(hours=12, minutes=1)) is None
    assert await sessions.resolve_session(session=session, token="forged-token-" + "x" * 30, now=T0) is None
    rows = (await session.exec(select(AuthSession.token_hash))).scalars().all()
    assert token not in rows


async def test_login_claim_needs_tab_and_nonce_and_is_single_use(session):
    user_id = await active_user(session)
    ticket = (
        await accounts.authenticate(session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, now=T0)
    ).ticket
    nonce = await sessions.create_claim(session=session, ticket=ticket, client_token="tab-token-1234", now=T0)
    assert await sessions.redeem_claim(session=session, client_token="other-tab-123", nonce=nonce, now=T0) is None
    assert await sessions.redeem_claim(session=session, client_token="tab-token-1234", nonce="x" * 43, now=T0) is None
    token, kind = await sessions.redeem_claim(session=session, client_token="tab-token-1234", nonce=nonce, now=T0)
    assert kind == "customer" and await sessions.resolve_session(session=session, token=token, now=T0) == user_id
    assert (
        await sessions.redeem_claim(session=session, client_token="tab-token-1234", nonce=nonce, now=T0) is None
    )  # replay
    nonce = await sessions.create_claim(session=session, ticket=ticket, client_token="tab-token-1234", now=T0)
    late = T0 + timedelta(seconds=61)
    assert await sessions.redeem_claim(session=session, client_token="tab-token-1234", nonce=nonce, now=late) is None


@pytest.mark.parametrize("forged", [{"user_id": 1, "kind": "customer"}, 1, "ticket", None])
async def test_only_a_ticket_from_a_credential_check_makes_a_claim(session, forged):
    """What a websocket client can send (JSON) is never a LoginTicket, and one cannot be built by hand."""
    await active_user(session)
    with pytest.raises(TypeError):
        await sessions.create_claim(session=session, ticket=forged, client_token="tab-token-1234", now=T0)
    with pytest.raises(TypeError):
        sessions.LoginTicket(user_id=1, kind="customer", issued_at=T0)


async def test_stale_ticket_refused(session):
    await active_user(session)
    ticket = (
        await accounts.authenticate(session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, now=T0)
    ).ticket
    with pytest.raises(ValueError):
        await sessions.create_claim(
            session=session, ticket=ticket, client_token="tab-token-1234", now=T0 + timedelta(minutes=2)
        )


@pytest.mark.parametrize(
    "doc,password,password2",
    [
        ("30A23456", PASSWORD, PASSWORD),
        ("３０１２３４５６", PASSWORD, PASSWORD),
        ("301234", PASSWORD, PASSWORD),
        ("301234567", PASSWORD, PASSWORD),
        ("30 12\u00a03456", PASSWORD, PASSWORD),
        ("30123456", "Corta1a", "Corta1a"),
        ("30123456", "sinmayuscula1", "sinmayuscula1"),
        ("30123456", "SINMINUSCULA1", "SINMINUSCULA1"),
        ("30123456", "SinNumeroAlguno", "SinNumeroAlguno"),
        ("30123456", "Aa1" + "x" * 70, "Aa1" + "x" * 70),
        ("30123456", "Clave30123456", "Clave30123456"),
        ("30123456", "Password1", "Password1"),
        ("30123456", PASSWORD, PASSWORD + "x"),
    ],
)
async def test_bad_step_one_input_stores_nothing(session, doc, password, password2):
    with pytest.raises(ValidationError):
        await start(session=session, doc_type="DNI", doc_number=doc, password=password, password2=password2, now=T0)
    await session.rollback()
    assert (await session.exec(select(func.count()).select_from(User))).scalar_one() == 0


@pytest.mark.parametrize(
    "email,area,number",
    [
        ("a@b.com\r\nBcc: x@y.com", "264", "4123456"),
        ("no-es-un-email", "264", "4123456"),
        ("ana@example.com", "0264", "4123456"),
        ("ana@example.com", "264", "154123456"),
        ("ana@example.com", "264", "41234567"),
        ("ana@example.com", "26a", "4123456"),
    ],
)
async def test_bad_step_two_input_changes_nothing(session, email, area, number):
    user_id = await start(
        session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, password2=PASSWORD, now=T0
    )
    await session.commit()
    with pytest.raises(ValidationError):
        await accounts.submit_contact_data(
            session=session,
            user_id=user_id,
            first_names="Ana",
            last_names="Gómez",
            email=email,
            area=area,
            number=number,
            now=T0,
        )
    await session.rollback()
    user = await session.get(User, user_id)
    assert user.status == UserStatus.PENDING_DATA and user.email is None and user.phone_e164 is None
    assert (await session.exec(select(func.count()).select_from(OutboxMessage))).scalar_one() == 0


async def test_parallel_wrong_logins_do_not_lose_count(engine):
    factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    async with factory() as s:
        await active_user(s)

    async def wrong() -> None:
        async with factory() as s:
            try:
                await accounts.authenticate(
                    session=s, doc_type="DNI", doc_number="30123456", password="Otra.Clave99", now=T0
                )
            except WrongCredentials:
                await s.commit()

    await asyncio.gather(*(wrong() for _ in range(5)))
    async with factory() as s:
        with pytest.raises(WrongCredentials):  # locked, even with the right password
            await accounts.authenticate(session=s, doc_type="DNI", doc_number="30123456", password=PASSWORD, now=T0)


async def test_registration_contact_changes_are_limited(session):
    """Each new e-mail/mobile of a pending registration counts, refused ones too (an address probe)."""
    user_id = await start(
        session=session, doc_type="DNI", doc_number="30123456", password=PASSWORD, password2=PASSWORD, now=T0
    )
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
    await session.commit()
    now = T0
    # the first entry + 3 changes a day; a probe of a taken address is one of them
    for i, email in enumerate(["a1@example.com", "beto@example.com", "a3@example.com", "a4@example.com"]):
        now += timedelta(minutes=2)
        try:
            await accounts.submit_contact_data(
                session=session,
                user_id=user_id,
                first_names="Ana",
                last_names="Gómez",
                email=email,
                area="264",
                number=str(4100001 + i),
                now=now,
            )
        except RefusedAttempt:
            assert email == "beto@example.com"
        await session.commit()
    with pytest.raises(RateLimited, match="demasiadas veces"):
        await accounts.submit_contact_data(
            session=session,
            user_id=user_id,
            first_names="Ana",
            last_names="Gómez",
            email="a5@example.com",
            area="264",
            number="4100009",
            now=now + timedelta(minutes=2),
        )
    await session.rollback()
    # the same data again is not a change
    await accounts.submit_contact_data(
        session=session,
        user_id=user_id,
        first_names="Ana",
        last_names="Gómez",
        email="a4@example.com",
        area="264",
        number="4100004",
        now=now + timedelta(minutes=3),
    )
    await session.commit()
    # a day later two more changes, then the total (5 changes after the first entry) is spent
    later = now + timedelta(days=1, minutes=5)
    for i in range(2):
        later += timedelta(minutes=2)
        await accounts.submit_contact_data(
            session=session,
            user_id=user_id,
            first_names="Ana",
            last_names="Gómez",
            email=f"b{i}@example.com",
            area="264",
            number=str(4200001 + i),
            now=later,
        )
        await session.commit()
    with pytest.raises(RateLimited):
        await accounts.submit_contact_data(
            session=session,
            user_id=user_id,
            first_names="Ana",
            last_names="Gómez",
            email="c@example.com",
            area="264",
            number="4300001",
            now=later + timedelta(minutes=2),
        )


async def test_hourly_sms_budget_stops_codes_for_everyone(session, monkeypatch):
    from autogestion.clock import utcnow
    from autogestion.config import get_settings

    monkeypatch.setenv("AUTOGESTION_SMS_PER_HOUR", "2")
    get_settings.cache_clear()
    # The outbox stamps rows with the real clock: this test's "now" is the real now, not the module's T0 (a
    # long test session would otherwise put the SMS less than an hour before T0 + 1 h).
    now = utcnow()
    await register(session, now=now)  # one SMS
    await register(session, dni="30999888", email="beto@example.com", number="4999888", now=now)  # two
    with pytest.raises(RateLimited, match="no podemos enviar SMS"):
        await register(session, dni="30555666", email="caro@example.com", number="4555666", now=now)
    await session.rollback()
    with pytest.raises(RateLimited, match="no podemos enviar SMS"):  # recovery by SMS too, known or not
        await recovery.start_recovery(session=session, doc_type="DNI", doc_number="39999999", channel="sms", now=now)
    # an hour later the budget is there again
    await register(
        session, dni="30555666", email="caro@example.com", number="4555666", now=now + timedelta(hours=1, minutes=1)
    )
