"""Operator accounts: creation with the password policy, login with the customers' lockout, operator sessions
that never mix with customer sessions, and the operator cookie `ag_op`."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from autogestion.clock import utcnow
from autogestion.http import OPERATOR_COOKIE, SESSION_COOKIE, build_api
from autogestion.models import Operator, OperatorRole, SessionKind, User
from autogestion.services import operators, sessions
from autogestion.services.errors import DomainError, ValidationError, WrongCredentials
from tests.unit.services.account_helpers import T0, active_user

OP_PASSWORD = "Mesa.Entrada42"


async def make_operator(session, username="ana.perez", role=OperatorRole.OPERADOR, **kwargs):
    created = await operators.create_operator(
        session=session, username=username, password=OP_PASSWORD, role=role, now=T0, **kwargs
    )
    await session.commit()
    return created


async def login(session, username="ana.perez", password=OP_PASSWORD, now=T0):
    return await operators.authenticate(session=session, username=username, password=password, now=now)


async def operator_token(session, operator_id: int, now=T0) -> str:
    token = await sessions.create_session(session=session, user_id=operator_id, kind=SessionKind.OPERATOR, now=now)
    await session.commit()
    return token


# --- usernames and creation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("ana.perez", "ana.perez"),
        ("  Ana_Perez-2 ", "ana_perez-2"),
        ("a.b", "a.b"),
        ("ana\n", "ana"),
        ("x" * 32, "x" * 32),
    ],
)
def test_username_normalised(raw, expected):
    assert operators.normalize_username(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ab",
        "x" * 33,
        "ana perez",
        "ana@perez",
        "josé",
        "ana\u0661",  # an Arabic-Indic digit: \d would take it
        "\u212aarina",  # the Kelvin sign, which str.lower() turns into an ASCII k
        "ana\nperez",
        None,
        123,
    ],
)
def test_bad_usernames_refused(raw):
    with pytest.raises(ValidationError) as refused:
        operators.normalize_username(raw)
    assert refused.value.field == "username" and refused.value.message


async def test_create_applies_the_password_policy(session):
    for weak in ("corta1A", "sinnumeros.A", "SINMINUSCULAS1", "Ana.Perez.2026"):
        with pytest.raises(ValidationError) as refused:
            await operators.create_operator(session=session, username="ana.perez", password=weak, now=T0)
        assert refused.value.field == "password"
    with pytest.raises(ValidationError, match="no puede contener el usuario"):
        await operators.create_operator(session=session, username="ana.perez", password="Ana.Perez.2026", now=T0)
    with pytest.raises(ValidationError):
        await operators.create_operator(
            session=session, username="ana.perez", password=OP_PASSWORD, role="jefe", now=T0
        )
    assert (await session.exec(select(func.count()).select_from(Operator))).scalar_one() == 0


async def test_create_and_duplicate(session):
    created = await make_operator(session, full_name="Ana Pérez")
    assert created.username == "ana.perez" and created.full_name == "Ana Pérez"
    assert created.role == OperatorRole.OPERADOR and not created.is_supervisor
    row = await session.get(Operator, created.id)
    assert row.active and row.password_hash.startswith("$2") and OP_PASSWORD not in row.password_hash
    with pytest.raises(DomainError) as taken:
        await operators.create_operator(session=session, username=" ANA.PEREZ ", password="Otra.Clave.77", now=T0)
    assert taken.value.message == "Ya existe un operador con ese usuario."
    boss = await make_operator(session, username="jefa", role=OperatorRole.SUPERVISOR)
    assert boss.is_supervisor and (await operators.get_operator(session=session, operator_id=boss.id)) == boss
    # operators are not customers: no row of users
    assert (await session.exec(select(func.count()).select_from(User))).scalar_one() == 0


# --- login and lockout ----------------------------------------------------------------------------


async def test_login_generic_message_and_lockout(session):
    created = await make_operator(session)
    token = await operator_token(session, created.id)
    refusals = []
    for username, password in (("nadie", OP_PASSWORD), ("no válido!", OP_PASSWORD), ("ana.perez", "")):
        with pytest.raises(WrongCredentials) as refused:
            await login(session, username, password)
        refusals.append(refused.value.message)
    for _ in range(5):
        with pytest.raises(WrongCredentials) as wrong:
            await login(session, password="Otra.Clave99")
        refusals.append(wrong.value.message)
        await session.commit()
    assert set(refusals) == {"Usuario o contraseña incorrectos."}
    # the 5th failure locked the account and ended its sessions
    assert await operators.resolve_operator(session=session, token=token, now=T0) is None
    with pytest.raises(WrongCredentials) as locked:  # the right password, still locked
        await login(session, now=T0 + timedelta(minutes=14))
    assert locked.value.message == operators.LOGIN_FAILED
    result = await login(session, now=T0 + timedelta(minutes=16))
    assert result.operator_id == created.id and result.role == OperatorRole.OPERADOR


async def test_failures_are_counted_in_the_database(session):
    created = await make_operator(session)
    for expected in (1, 2, 3):
        with pytest.raises(WrongCredentials):
            await login(session, password="Otra.Clave99")
        await session.commit()
        row = (
            await session.exec(
                select(Operator).where(Operator.id == created.id).execution_options(populate_existing=True)
            )
        ).scalar_one()
        assert row.failed_logins == expected and row.locked_until is None


async def test_success_resets_failure_counter(session):
    await make_operator(session)
    for _ in range(4):
        with pytest.raises(WrongCredentials):
            await login(session, password="Otra.Clave99")
    await login(session)
    with pytest.raises(WrongCredentials):
        await login(session, password="Otra.Clave99")
    await login(session)


async def test_inactive_operator_refused_and_its_session_ends(session):
    created = await make_operator(session)
    token = await operator_token(session, created.id)
    assert (await operators.resolve_operator(session=session, token=token, now=T0)).id == created.id
    row = await session.get(Operator, created.id)
    row.active = False
    await session.commit()
    with pytest.raises(WrongCredentials) as refused:
        await login(session)
    assert refused.value.message == operators.LOGIN_FAILED
    assert await operators.resolve_operator(session=session, token=token, now=T0) is None


async def test_security_log_masks_the_username_and_never_has_the_password(session, caplog):
    await make_operator(session)
    caplog.set_level(logging.INFO, logger="autogestion.security")
    for _ in range(5):
        with pytest.raises(WrongCredentials):
            await login(session, password="Secreto.Equivocado9")
    with pytest.raises(WrongCredentials):
        await login(session, username="desconocido", password="Secreto.Equivocado9")
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "autogestion.security")
    assert "operator_login_refused" in text and "operator_locked" in text
    assert "Secreto.Equivocado9" not in text and "ana.perez" not in text and "desconocido" not in text
    assert "an*******" in text


# --- tickets and sessions: operators and customers never mix --------------------------------------


async def test_the_ticket_is_of_kind_operator_and_makes_an_operator_session(session):
    created = await make_operator(session)
    result = await login(session)
    assert result.ticket.kind == SessionKind.OPERATOR and result.ticket.user_id == created.id
    nonce = await sessions.create_claim(session=session, ticket=result.ticket, client_token="tab-token-1234", now=T0)
    token, kind = await sessions.redeem_claim(session=session, client_token="tab-token-1234", nonce=nonce, now=T0)
    assert kind == SessionKind.OPERATOR
    who = await operators.resolve_operator(session=session, token=token, now=T0)
    assert who.id == created.id and who.username == "ana.perez"
    # the customers' idle timeout applies
    assert await operators.resolve_operator(session=session, token=token, now=T0 + timedelta(minutes=31)) is None


async def test_customer_and_operator_sessions_never_mix(session):
    user_id = await active_user(session)
    created = await make_operator(session)
    assert user_id == created.id  # the same number in two tables: only the session's kind tells them apart
    customer_token = await sessions.create_session(session=session, user_id=user_id, now=T0)
    op_token = await operator_token(session, created.id)
    assert await operators.resolve_operator(session=session, token=customer_token, now=T0) is None
    assert await sessions.resolve_viewer(session=session, token=op_token, now=T0) is None
    assert await sessions.resolve_session(session=session, token=op_token, now=T0) is None
    assert (await operators.resolve_operator(session=session, token=op_token, now=T0)).id == created.id
    assert (await sessions.resolve_viewer(session=session, token=customer_token, now=T0)).user_id == user_id


async def test_unknown_or_forged_tokens_resolve_to_nobody(session):
    await make_operator(session)
    for token in ("", None, 42, "x" * 43, "y" * 500):
        assert await operators.resolve_operator(session=session, token=token, now=T0) is None


# --- the operator cookie over HTTP ----------------------------------------------------------------

SAME_ORIGIN = {"Origin": "http://localhost:3000"}


def client(cookies: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_api()), base_url="http://localhost:3000", cookies=cookies or {}
    )


async def test_operator_login_sets_ag_op_and_never_ag_sid(session):
    await make_operator(session)
    now = utcnow()  # the endpoint redeems the claim at the real time
    ticket = (await login(session, now=now)).ticket
    nonce = await sessions.create_claim(session=session, ticket=ticket, client_token="tab-token-abcdef", now=now)
    await session.commit()
    async with client() as c:
        ok = await c.post(
            "/api/sesion", headers={"X-Client-Token": "tab-token-abcdef", "X-Login-Nonce": nonce, **SAME_ORIGIN}
        )
    assert ok.status_code == 200
    set_cookie = ok.headers["set-cookie"].lower()
    assert set_cookie.startswith(f"{OPERATOR_COOKIE}=") and "httponly" in set_cookie and "samesite=strict" in set_cookie
    assert "path=/" in set_cookie and SESSION_COOKIE not in ok.cookies


async def test_logout_clears_only_the_cookie_of_its_kind(session):
    user_id = await active_user(session)
    created = await make_operator(session)
    customer_token = await sessions.create_session(session=session, user_id=user_id, now=T0)
    op_token = await operator_token(session, created.id)
    both = {SESSION_COOKIE: customer_token, OPERATOR_COOKIE: op_token}
    async with client(both) as c:
        out = await c.delete("/api/sesion?tipo=operador", headers=SAME_ORIGIN)
    assert out.status_code == 200 and out.headers["set-cookie"].startswith(f"{OPERATOR_COOKIE}=")
    session.expire_all()
    assert await operators.resolve_operator(session=session, token=op_token, now=T0) is None
    assert (await sessions.resolve_viewer(session=session, token=customer_token, now=T0)).user_id == user_id
    op_token = await operator_token(session, created.id)
    async with client({SESSION_COOKIE: customer_token, OPERATOR_COOKIE: op_token}) as c:
        out = await c.delete("/api/sesion", headers=SAME_ORIGIN)
    assert out.headers["set-cookie"].startswith(f"{SESSION_COOKIE}=")
    session.expire_all()
    assert await sessions.resolve_viewer(session=session, token=customer_token, now=T0) is None
    assert (await operators.resolve_operator(session=session, token=op_token, now=T0)).id == created.id
