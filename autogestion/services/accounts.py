"""Customer accounts: registration in three steps, login with lockout, and what recovery and Mi Perfil share.

Rules (DESIGN.md, SECURITY.md):
- Login: one generic message for unknown document, wrong password and locked account, after the same
  bcrypt work; 5 consecutive failures lock the account for 15 minutes, end its sessions and e-mail the
  owner. Wrong current passwords in Mi Perfil count towards the same lock.
- Every successful credential check (login, registration steps) returns a `LoginTicket`: the only way to
  get a browser tab logged in (see services/sessions.py).
- Registration step 2 can change the e-mail / mobile of a pending registration at most 3 times a day and
  5 times in all (after the first entry): each try can reveal whether an address is registered and sends
  an SMS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from autogestion.client import security_event
from autogestion.models import (
    Channel,
    CodePurpose,
    SessionKind,
    User,
    UserPublic,
    UserStatus,
    VerificationCode,
)
from autogestion.services import codes, lockout, notices, passwords, sessions, throttle
from autogestion.services.errors import (
    DomainError,
    NotFound,
    RateLimited,
    RefusedAttempt,
    ValidationError,
    WrongCredentials,
)
from autogestion.services.formatting import mask_document
from autogestion.services.outbox import enqueue_email, enqueue_sms
from autogestion.services.passwords import validate_password, validate_password_repeat
from autogestion.services.sessions import LoginTicket
from autogestion.services.validation import (
    normalize_code,
    normalize_document,
    normalize_email,
    normalize_mobile,
    normalize_name,
)

log = logging.getLogger(__name__)

LOGIN_FAILED = "Documento o contraseña incorrectos."
WRONG_CURRENT_PASSWORD = "La contraseña actual no es correcta."
LOCKED_OUT = "Por seguridad bloqueamos el ingreso a tu cuenta por 15 minutos y cerramos tu sesión."
MAX_FAILED_LOGINS = lockout.MAX_FAILURES
LOCKOUT = lockout.LOCKOUT
UNFINISHED_REGISTRATION_TTL = timedelta(days=7)
EMAIL_TAKEN = "Ese e-mail ya está registrado por otro usuario."
PHONE_TAKEN = "Ese celular ya está registrado por otro usuario."
DOCUMENT_TAKEN = "Ya existe una cuenta con ese documento. Ingresá con tu contraseña o recuperala."
REGISTRATION_STARTED = "Ya empezaste el registro con ese documento. Ingresá con tu contraseña para continuarlo."
# Registration step 2: the first entry plus CONTACT_CHANGES_PER_DAY changes a day, CONTACT_CHANGES_TOTAL in all.
CONTACT_CHANGES_PER_DAY = 3
CONTACT_CHANGES_TOTAL = 5
CONTACT_CHANGES_LIMIT = (
    "Cambiaste tus datos de contacto demasiadas veces. Probá mañana o comunicate con nuestro centro de atención."
)


@dataclass(frozen=True)
class LoginResult:
    """A successful credential check: where the account stands, and the ticket that logs the tab in."""

    user_id: int
    status: str  # a UserStatus: pending ones resume the registration at their step
    dni_status: str
    ticket: LoginTicket


def _result(user: User, now: datetime) -> LoginResult:
    ticket = sessions.issue_ticket(user_id=user.id, kind=SessionKind.CUSTOMER, now=now)  # type: ignore[arg-type]
    return LoginResult(user_id=user.id, status=user.status, dni_status=user.dni_status, ticket=ticket)  # type: ignore[arg-type]


def code_field(raw: object, field: str) -> str:
    try:
        return normalize_code(raw)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ValidationError(exc.message, field=field) from None


def full_name(user: User) -> str:
    return f"{user.first_names} {user.last_names}".strip()


async def get_user(session, user_id: int) -> User:
    # populate_existing: counters and locks change through UPDATE statements, never through this object.
    user = await session.get(User, user_id, populate_existing=True) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound("No encontramos la cuenta.")
    return user


async def find_by_document(session, doc_type: str, doc_number: str) -> User | None:
    # populate_existing: the failure counter and lock are changed by UPDATE statements, so a cached row
    # in this session must be refreshed from the database.
    return (
        await session.exec(
            select(User)
            .where(User.doc_type == doc_type, User.doc_number == doc_number)
            .execution_options(populate_existing=True)
        )
    ).first()


async def purge_unfinished(*, session, now: datetime) -> int:
    """Delete registrations left half-way for 7 days, freeing their document, e-mail and mobile."""
    stale = (
        User.status != UserStatus.ACTIVE,
        User.status != UserStatus.DISABLED,
        User.created_at < now - UNFINISHED_REGISTRATION_TTL,
    )
    await session.exec(delete(VerificationCode).where(VerificationCode.user_id.in_(select(User.id).where(*stale))))  # type: ignore[attr-defined]
    result = await session.exec(delete(User).where(*stale))
    return result.rowcount or 0


# --- failures and locks ---------------------------------------------------------------------------


async def _count_failure(session, *, user: User, now: datetime, where: str) -> bool:
    """Count one wrong password for user (atomically, in the database); lock at the 5th. True when locked now.

    A lock ends every session of the account and e-mails its owner.
    """
    failures, locked = await lockout.count_failure(session=session, table=User, row_id=user.id, now=now)
    security_event("password_refused", where=where, user=user.id, doc=mask_document(user.doc_number), failures=failures)
    if not locked:
        return False
    await sessions.revoke_all(session=session, user_id=user.id, now=now)  # type: ignore[arg-type]
    security_event("account_locked", where=where, user=user.id, doc=mask_document(user.doc_number))
    if user.email and user.status == UserStatus.ACTIVE:
        notice = notices.account_locked(
            name=full_name(user), when=now, failures=MAX_FAILED_LOGINS, minutes=int(LOCKOUT.total_seconds() // 60)
        )
        enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)
    return True


# --- registration ---------------------------------------------------------------------------------


async def start_registration(
    *, session, doc_type: str, doc_number: str, password: str, password2: str, now: datetime
) -> LoginResult:
    """Step 1 (Registrar Cuenta): document and password. Returns the new account, logged in at step 2.

    The captcha is checked before this runs (captcha.check_captcha), so a refusal here costs no bcrypt.
    """
    doc = normalize_document(doc_type, doc_number)
    validate_password(password, doc_number=doc)
    validate_password_repeat(password, password2)
    await purge_unfinished(session=session, now=now)
    existing = await find_by_document(session, doc_type, doc)
    if existing is not None:
        raise DomainError(
            DOCUMENT_TAKEN if existing.status == UserStatus.ACTIVE else REGISTRATION_STARTED, field="doc_number"
        )
    user = User(
        doc_type=doc_type, doc_number=doc, password_hash=await passwords.hash_password(password), created_at=now
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:  # a concurrent registration of the same document won
        raise DomainError(DOCUMENT_TAKEN, field="doc_number") from None
    log.info("registration started user=%s doc=%s", user.id, mask_document(doc))
    return _result(user, now)


async def send_code(
    session, *, user: User, purpose: str, channel: str, destination: str, now: datetime, reason: str
) -> None:
    code = await codes.issue_code(
        session=session,
        user_id=user.id,
        purpose=purpose,
        channel=channel,
        destination=destination,
        now=now,  # type: ignore[arg-type]
    )
    if channel == Channel.EMAIL:
        notice = notices.code_email(first_names=user.first_names, code=code, reason=reason)
        enqueue_email(session, to=destination, subject=notice.subject, body=notice.body, user_id=user.id)
    else:
        enqueue_sms(session, to=destination, text=notices.code_sms(code=code), user_id=user.id)


async def _count_contact_change(session, *, user: User, email_norm: str, phone: str, now: datetime) -> None:
    """Count a new e-mail/mobile for a pending registration; refuse past the daily and total limits.

    The count is written before anything can refuse the data, and refusals that follow are
    RefusedAttempts, so an address probe always costs one of the few tries.
    """
    if user.email_norm == email_norm and user.phone_e164 == phone:
        return  # the same data again (e.g. after going back): not a change
    key = f"reg-contact:{user.id}"
    today = await throttle.count(session=session, key=key, window=timedelta(days=1), now=now)
    total = await throttle.count(
        session=session, key=key, window=UNFINISHED_REGISTRATION_TTL + timedelta(days=1), now=now
    )
    if today >= CONTACT_CHANGES_PER_DAY + 1 or total >= CONTACT_CHANGES_TOTAL + 1:
        security_event("registration_contact_limit", user=user.id, doc=mask_document(user.doc_number))
        raise RateLimited(CONTACT_CHANGES_LIMIT)
    await throttle.hit(
        session=session,
        key=key,
        limit=CONTACT_CHANGES_TOTAL + 1,
        window=UNFINISHED_REGISTRATION_TTL + timedelta(days=1),
        now=now,
        message=CONTACT_CHANGES_LIMIT,
    )


async def submit_contact_data(
    *, session, user_id: int, first_names: str, last_names: str, email: str, area: str, number: str, now: datetime
) -> None:
    """Step 2 (Completá tus datos!): names, e-mail and mobile; sends a code to each.

    Raises:
        ValidationError: A malformed field (nothing counted, nothing changed).
        RateLimited: Too many changes of e-mail/mobile for this registration, or the SMS budget is spent.
        RefusedAttempt: The e-mail or mobile belongs to another account (the try stays counted).
    """
    user = await get_user(session, user_id)
    if user.status not in (UserStatus.PENDING_DATA, UserStatus.PENDING_CODES):
        raise DomainError("Tu registro ya está completo. Ingresá con tu documento y contraseña.")
    first = normalize_name(first_names, field="first_names")
    last = normalize_name(last_names, field="last_names")
    email_display, email_norm = normalize_email(email)
    phone = normalize_mobile(area, number)
    await codes.check_sms_budget(session=session, now=now)
    await _count_contact_change(session, user=user, email_norm=email_norm, phone=phone, now=now)
    await ensure_contact_free(session, user_id=user_id, email_norm=email_norm, phone=phone)
    try:
        async with session.begin_nested():
            user.first_names, user.last_names = first, last
            user.email, user.email_norm, user.phone_e164 = email_display, email_norm, phone
            user.status = UserStatus.PENDING_CODES
    except IntegrityError:  # a concurrent registration took the address between the check and the write
        raise RefusedAttempt(EMAIL_TAKEN + " Si es tuyo, usá otro o recuperá tu cuenta.", field="email") from None
    await send_registration_codes(session=session, user_id=user_id, now=now)


async def ensure_contact_free(
    session, *, user_id: int, email_norm: str | None = None, phone: str | None = None
) -> None:
    # The unique indexes are the real guard (concurrent registrations); this gives the precise message.
    if email_norm is not None:
        other = (await session.exec(select(User.id).where(User.email_norm == email_norm, User.id != user_id))).first()
        if other:
            raise RefusedAttempt(EMAIL_TAKEN, field="email")
    if phone is not None:
        other = (await session.exec(select(User.id).where(User.phone_e164 == phone, User.id != user_id))).first()
        if other:
            raise RefusedAttempt(PHONE_TAKEN, field="number")


async def send_registration_codes(*, session, user_id: int, now: datetime) -> None:
    """(Re)send the e-mail and SMS codes of step 3 ("Reenviar código")."""
    user = await get_user(session, user_id)
    if user.status != UserStatus.PENDING_CODES or not user.email or not user.phone_e164:
        raise DomainError("Primero completá tus datos.")
    reason = notices.CODE_REASON_REGISTRATION
    for channel, destination in ((Channel.EMAIL, user.email), (Channel.SMS, user.phone_e164)):
        await codes.check_can_send(
            session=session,
            user_id=user.id,
            purpose=CodePurpose.REGISTRATION,
            channel=channel,
            destination=destination,
            now=now,  # type: ignore[arg-type]
        )
    await send_code(
        session,
        user=user,
        purpose=CodePurpose.REGISTRATION,
        channel=Channel.EMAIL,
        destination=user.email,
        now=now,
        reason=reason,
    )
    await send_code(
        session,
        user=user,
        purpose=CodePurpose.REGISTRATION,
        channel=Channel.SMS,
        destination=user.phone_e164,
        now=now,
        reason=reason,
    )


async def registration_contact(*, session, user_id: int) -> UserPublic:
    """What the registration steps show of the pending account (names, e-mail, mobile)."""
    return UserPublic.from_user(await get_user(session, user_id))


async def complete_registration(
    *, session, user_id: int, email_code: object, sms_code: object, now: datetime
) -> LoginResult:
    """Step 3: both codes right → active account, welcome e-mail, and a fresh ticket for the tab.

    Raises:
        ValidationError: A code is not 6 digits.
        RefusedAttempt: A wrong, expired or used code (its try counted).
    """
    user = await get_user(session, user_id)
    if user.status != UserStatus.PENDING_CODES:
        raise DomainError("Primero completá tus datos.")
    entries = [
        codes.CodeEntry(Channel.EMAIL, code_field(email_code, "code_email")),
        codes.CodeEntry(Channel.SMS, code_field(sms_code, "code_sms")),
    ]
    destinations = await codes.verify_and_consume(
        session=session,
        user_id=user.id,
        purpose=CodePurpose.REGISTRATION,
        entries=entries,
        now=now,  # type: ignore[arg-type]
    )
    if destinations != [user.email, user.phone_e164]:  # the contact data changed after the codes were sent
        raise ValidationError("Los códigos no corresponden a tus datos actuales. Pedí uno nuevo.", field="code_email")
    user.status = UserStatus.ACTIVE
    user.activated_at = now
    notice = notices.welcome(name=full_name(user), when=now)
    enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[arg-type]
    log.info("registration completed user=%s", user.id)
    return _result(user, now)


# --- login ----------------------------------------------------------------------------------------


async def authenticate(*, session, doc_type: str, doc_number: str, password: str, now: datetime) -> LoginResult:
    """Check document and password; lock the account for 15 minutes after 5 failures.

    Raises:
        WrongCredentials: Unknown document, wrong password or locked account, all with the same message
            after the same bcrypt work (the failure is counted and committed).
    """
    if not isinstance(password, str) or not password or len(password.encode("utf-8", "replace")) > 1024:
        raise WrongCredentials(LOGIN_FAILED)
    try:
        doc = normalize_document(doc_type, doc_number)
    except ValidationError:
        await passwords.dummy_verify(password)
        raise WrongCredentials(LOGIN_FAILED) from None
    user = await find_by_document(session, doc_type, doc)
    if user is None or user.status == UserStatus.DISABLED:
        await passwords.dummy_verify(password)
        security_event("login_refused", reason="unknown document", doc=mask_document(doc))
        raise WrongCredentials(LOGIN_FAILED)
    ok = await passwords.verify_password(password, user.password_hash)
    if lockout.is_locked(user, now):
        security_event("login_refused", reason="locked", user=user.id, doc=mask_document(doc))
        raise WrongCredentials(LOGIN_FAILED)
    if not ok:
        await _count_failure(session, user=user, now=now, where="login")
        raise WrongCredentials(LOGIN_FAILED)
    user.failed_logins = 0
    user.locked_until = None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password(password)
    log.info("login ok user=%s", user.id)
    return _result(user, now)


async def reauthenticate(session, *, user: User, password: object, now: datetime) -> None:
    """The current password, asked again before a sensitive change; failures count towards the login lock."""
    if lockout.is_locked(user, now):
        raise WrongCredentials(LOCKED_OUT, field="current_password")
    if not isinstance(password, str) or not password or len(password.encode("utf-8", "replace")) > 1024:
        raise ValidationError(WRONG_CURRENT_PASSWORD, field="current_password")
    if await passwords.verify_password(password, user.password_hash):
        if user.failed_logins:
            user.failed_logins = 0
        return
    locked = await _count_failure(session, user=user, now=now, where="reauth")
    raise WrongCredentials(LOCKED_OUT if locked else WRONG_CURRENT_PASSWORD, field="current_password")


async def create_active_user(
    *,
    session,
    doc_type: str,
    doc_number: str,
    password: str,
    first_names: str,
    last_names: str,
    email: str,
    area: str,
    number: str,
    now: datetime,
) -> int:
    """An already verified account (demo data and tests); the same validation as registration."""
    doc = normalize_document(doc_type, doc_number)
    validate_password(password, doc_number=doc)
    display, norm = normalize_email(email)
    user = User(
        doc_type=doc_type,
        doc_number=doc,
        password_hash=await passwords.hash_password(password),
        first_names=normalize_name(first_names, field="first_names"),
        last_names=normalize_name(last_names, field="last_names"),
        email=display,
        email_norm=norm,
        phone_e164=normalize_mobile(area, number),
        status=UserStatus.ACTIVE,
        created_at=now,
        activated_at=now,
    )
    session.add(user)
    await session.flush()
    return user.id  # type: ignore[return-value]
