"""Operator accounts of the back office (`/operador`): creation, login with lockout, the live operator.

Operators are people of the distributor, never customers: their own table (`operators`), their own
session kind (`SessionKind.OPERATOR`) and cookie (`ag_op`), created only from the command line
(`autogestion create-operator`). Rules, the same as for customers (SECURITY.md):
- Passwords follow the customers' policy (`passwords.validate_password`, the username in the place of
  the document number) and are hashed with bcrypt.
- Login: one generic message for an unknown user, a wrong password, an inactive or a locked account,
  after the same bcrypt work; 5 consecutive failures lock the account for 15 minutes (counted with an
  atomic UPDATE) and end its sessions. Every refusal is a `WrongCredentials` (a `RefusedAttempt`), so
  the unit of work commits the count.
- A successful check returns a `LoginTicket` of kind operator: the only way to log a tab in.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from autogestion.client import security_event
from autogestion.config import get_settings
from autogestion.models import Operator, OperatorPublic, OperatorRole, SessionKind
from autogestion.services import lockout, passwords, sessions
from autogestion.services.errors import DomainError, NotFound, ValidationError, WrongCredentials
from autogestion.services.sessions import LoginTicket
from autogestion.services.validation import normalize_name

log = logging.getLogger(__name__)

LOGIN_FAILED = "Usuario o contraseña incorrectos."
USERNAME_TAKEN = "Ya existe un operador con ese usuario."
USERNAME_RULE = (
    "El usuario debe tener entre 3 y 32 caracteres: letras minúsculas sin tilde, números, punto, guion o guion bajo."
)
PASSWORD_HAS_USERNAME = "La contraseña no puede contener el usuario."
USERNAME_MIN, USERNAME_MAX = 3, 32
_USERNAME = re.compile(r"[a-z0-9._-]{3,32}")


@dataclass(frozen=True)
class OperatorLogin:
    """A successful operator login: who, with which role, and the ticket that logs the tab in."""

    operator_id: int
    role: str
    ticket: LoginTicket


def normalize_username(raw: object) -> str:
    """An operator's username, trimmed and lower-cased: 3-32 ASCII letters, digits, ".", "-" or "_".

    Raises:
        ValidationError: on field "username", when anything else is left.
    """
    if not isinstance(raw, str) or len(raw) > 4 * USERNAME_MAX:
        raise ValidationError(USERNAME_RULE, field="username")
    text = raw.strip()
    if not text:
        raise ValidationError("Ingresá el usuario.", field="username")
    # ASCII first: str.lower() would turn some non-ASCII letters (the Kelvin sign) into ASCII ones.
    if not text.isascii():
        raise ValidationError(USERNAME_RULE, field="username")
    text = text.lower()
    if not _USERNAME.fullmatch(text):
        raise ValidationError(USERNAME_RULE, field="username")
    return text


def mask_username(raw: object) -> str:
    """For the security log: the first two characters, the rest as asterisks ("ana.perez" -> "an*******")."""
    text = raw[:USERNAME_MAX] if isinstance(raw, str) else ""
    return text[:2] + "*" * max(len(text) - 2, 0)


def _role(raw: object) -> str:
    try:
        return OperatorRole(raw)
    except ValueError:
        raise ValidationError("El rol debe ser operador o supervisor.", field="role") from None


async def _find(session, username: str) -> Operator | None:
    # populate_existing: the failure counter and lock change through UPDATE statements.
    return (
        await session.exec(
            select(Operator).where(Operator.username == username).execution_options(populate_existing=True)
        )
    ).first()


async def create_operator(
    *,
    session,
    username: str,
    password: str,
    full_name: str = "",
    role: str = OperatorRole.OPERADOR,
    now: datetime,
) -> OperatorPublic:
    """A new, active operator account (the CLI's `create-operator`, tests).

    The customers' password policy, with the username in the place of the document number.

    Raises:
        ValidationError: A malformed username, name or role, or a password outside the policy.
        DomainError: The username is taken (field "username").
    """
    name = normalize_username(username)
    role, display = _role(role), _full_name(full_name)
    passwords.validate_password(password)
    try:
        passwords.validate_password(password, doc_number=name)
    except ValidationError:  # every other rule passed above: the username is inside the password
        raise ValidationError(PASSWORD_HAS_USERNAME, field="password") from None
    return await _insert(session, username=name, password=password, full_name=display, role=role, now=now)


async def create_demo_operator(*, session, username: str, password: str, now: datetime) -> OperatorPublic | None:
    """The demo supervisor of `autogestion seed-demo` (never in production); None when it already exists.

    Raises:
        DomainError: In production.
        ValidationError: The password does not meet the policy (the demo follows it like everyone).
    """
    if get_settings().env == "production":
        raise DomainError("No se crean operadores de demostración en producción.")
    if await _find(session, normalize_username(username)) is not None:
        return None
    return await create_operator(
        session=session,
        username=username,
        password=password,
        full_name="Operador Demo",
        role=OperatorRole.SUPERVISOR,
        now=now,
    )


def _full_name(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        return ""
    return normalize_name(raw, field="full_name")


async def _insert(session, *, username: str, password: str, full_name: str, role: str, now: datetime) -> OperatorPublic:
    """Store a new operator (every value already checked by the caller)."""
    if await _find(session, username) is not None:  # the unique index is the guard; this gives the message
        raise DomainError(USERNAME_TAKEN, field="username")
    operator = Operator(
        username=username,
        full_name=full_name,
        password_hash=await passwords.hash_password(password),
        role=role,
        active=True,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(operator)
    except IntegrityError:  # a concurrent creation of the same username won
        raise DomainError(USERNAME_TAKEN, field="username") from None
    log.info("operator created id=%s user=%s role=%s", operator.id, mask_username(username), role)
    return OperatorPublic.from_operator(operator)


async def _count_failure(session, *, operator: Operator, now: datetime) -> bool:
    """Count one wrong password (atomically, in the database); lock at the 5th and end the operator's
    sessions. True when locked now."""
    failures, locked = await lockout.count_failure(session=session, table=Operator, row_id=operator.id, now=now)
    security_event(
        "operator_login_refused",
        reason="wrong password",
        operator=operator.id,
        user=mask_username(operator.username),
        failures=failures,
    )
    if not locked:
        return False
    await sessions.revoke_all(session=session, user_id=operator.id, now=now, kind=SessionKind.OPERATOR)  # type: ignore[arg-type]
    security_event("operator_locked", operator=operator.id, user=mask_username(operator.username))
    return True


async def authenticate(*, session, username: str, password: str, now: datetime) -> OperatorLogin:
    """Check an operator's username and password; lock the account for 15 minutes after 5 failures.

    Raises:
        WrongCredentials: Unknown user, wrong password, inactive or locked account, all with the same
            message after the same bcrypt work (a wrong password is counted, and committed).
    """
    if not isinstance(password, str) or not password or len(password.encode("utf-8", "replace")) > 1024:
        raise WrongCredentials(LOGIN_FAILED)
    try:
        name = normalize_username(username)
    except ValidationError:
        await passwords.dummy_verify(password)
        security_event("operator_login_refused", reason="malformed user", user=mask_username(username))
        raise WrongCredentials(LOGIN_FAILED) from None
    operator = await _find(session, name)
    if operator is None or not operator.active:
        await passwords.dummy_verify(password)
        reason = "unknown user" if operator is None else "inactive"
        security_event("operator_login_refused", reason=reason, user=mask_username(name))
        raise WrongCredentials(LOGIN_FAILED)
    ok = await passwords.verify_password(password, operator.password_hash)
    if lockout.is_locked(operator, now):
        security_event("operator_login_refused", reason="locked", operator=operator.id, user=mask_username(name))
        raise WrongCredentials(LOGIN_FAILED)
    if not ok:
        await _count_failure(session, operator=operator, now=now)
        raise WrongCredentials(LOGIN_FAILED)
    operator.failed_logins = 0
    operator.locked_until = None
    if passwords.needs_rehash(operator.password_hash):
        operator.password_hash = await passwords.hash_password(password)
    log.info("operator login ok operator=%s", operator.id)
    ticket = sessions.issue_ticket(user_id=operator.id, kind=SessionKind.OPERATOR, now=now)  # type: ignore[arg-type]
    return OperatorLogin(operator_id=operator.id, role=operator.role, ticket=ticket)  # type: ignore[arg-type]


async def get_operator(*, session, operator_id: int) -> OperatorPublic:
    """An operator by id.

    Raises:
        NotFound: No such operator.
    """
    operator = await session.get(Operator, operator_id) if isinstance(operator_id, int) else None
    if operator is None:
        raise NotFound("No encontramos el operador.")
    return OperatorPublic.from_operator(operator)


async def resolve_operator(*, session, token: object, now: datetime) -> OperatorPublic | None:
    """The active operator behind an operator-session token (the `ag_op` cookie), or None: unknown,
    revoked, idle (30 min) or too old (12 h) session, a customer session, an inactive operator."""
    return await sessions.resolve_operator_viewer(session=session, token=token, now=now)
