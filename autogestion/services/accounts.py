"""Customer accounts: registration in three steps, login with lockout, recovery, contact and password changes.

Rules (DESIGN.md, SECURITY.md):
- Login: one generic message for unknown document, wrong password and locked account, after the same
  bcrypt work; 5 consecutive failures lock the account for 15 minutes, end its sessions and e-mail the
  owner. Wrong current passwords in Mi Perfil count towards the same lock.
- Every successful credential check (login, registration steps) returns a `LoginTicket`: the only way to
  get a browser tab logged in (see services/sessions.py).
- Registration step 2 can change the e-mail / mobile of a pending registration at most 3 times a day and
  5 times in all (after the first entry): each try can reveal whether an address is registered and sends
  an SMS.
- Recovery answers the same visible text, in comparable time, for registered and unknown documents, at
  every step; a resend inside 60 s answers like a first request and simply sends nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from autogestion.client import security_event
from autogestion.config import get_settings
from autogestion.models import (
    Channel,
    CodePurpose,
    DniStatus,
    ProfilePublic,
    SessionKind,
    User,
    UserPublic,
    UserStatus,
    VerificationCode,
)
from autogestion.services import codes, notices, passwords, sessions, throttle
from autogestion.services.errors import (
    DomainError,
    NotFound,
    RateLimited,
    RefusedAttempt,
    ValidationError,
    WrongCredentials,
)
from autogestion.services.formatting import format_mobile
from autogestion.services.outbox import enqueue_email, enqueue_sms
from autogestion.services.sessions import LoginTicket
from autogestion.services.validation import (
    document_label,
    mask_document,
    mask_email,
    mask_phone,
    normalize_code,
    normalize_document,
    normalize_email,
    normalize_mobile,
    normalize_name,
    validate_password,
    validate_password_repeat,
)

log = logging.getLogger(__name__)

LOGIN_FAILED = "Documento o contraseña incorrectos."
WRONG_CURRENT_PASSWORD = "La contraseña actual no es correcta."
LOCKED_OUT = "Por seguridad bloqueamos el ingreso a tu cuenta por 15 minutos y cerramos tu sesión."
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
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
RECOVERY_SENT = "Si los datos corresponden a una cuenta, te enviamos un código {where}. Vence en 10 minutos."
RECOVERY_CODE_REFUSED = "El código no es válido o venció. Pedí uno nuevo."


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


def _code(raw: object, field: str) -> str:
    try:
        return normalize_code(raw)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ValidationError(exc.message, field=field) from None


def _name(user: User) -> str:
    return f"{user.first_names} {user.last_names}".strip()


async def _get_user(session, user_id: int) -> User:
    # populate_existing: counters and locks change through UPDATE statements, never through this object.
    user = await session.get(User, user_id, populate_existing=True) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound("No encontramos la cuenta.")
    return user


async def _find_by_document(session, doc_type: str, doc_number: str) -> User | None:
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
    failures = (
        await session.exec(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
            .execution_options(synchronize_session=False)
        )
    ).one()[0]
    security_event("password_refused", where=where, user=user.id, doc=mask_document(user.doc_number), failures=failures)
    if failures < MAX_FAILED_LOGINS:
        return False
    await session.exec(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=0, locked_until=now + LOCKOUT)
        .execution_options(synchronize_session=False)
    )
    await sessions.revoke_all(session=session, user_id=user.id, now=now)  # type: ignore[arg-type]
    security_event("account_locked", where=where, user=user.id, doc=mask_document(user.doc_number))
    if user.email and user.status == UserStatus.ACTIVE:
        notice = notices.account_locked(
            name=_name(user), when=now, failures=MAX_FAILED_LOGINS, minutes=int(LOCKOUT.total_seconds() // 60)
        )
        enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)
    return True


def _is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


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
    existing = await _find_by_document(session, doc_type, doc)
    if existing is not None:
        raise DomainError(DOCUMENT_TAKEN if existing.status == UserStatus.ACTIVE else REGISTRATION_STARTED, field="doc_number")
    user = User(doc_type=doc_type, doc_number=doc, password_hash=await passwords.hash_password(password), created_at=now)
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:  # a concurrent registration of the same document won
        raise DomainError(DOCUMENT_TAKEN, field="doc_number") from None
    log.info("registration started user=%s doc=%s", user.id, mask_document(doc))
    return _result(user, now)


async def _send_code(session, *, user: User, purpose: str, channel: str, destination: str, now: datetime, reason: str) -> None:
    code = await codes.issue_code(
        session=session, user_id=user.id, purpose=purpose, channel=channel, destination=destination, now=now  # type: ignore[arg-type]
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
    total = await throttle.count(session=session, key=key, window=UNFINISHED_REGISTRATION_TTL + timedelta(days=1), now=now)
    if today >= CONTACT_CHANGES_PER_DAY + 1 or total >= CONTACT_CHANGES_TOTAL + 1:
        security_event("registration_contact_limit", user=user.id, doc=mask_document(user.doc_number))
        raise RateLimited(CONTACT_CHANGES_LIMIT)
    await throttle.hit(
        session=session, key=key, limit=CONTACT_CHANGES_TOTAL + 1, window=UNFINISHED_REGISTRATION_TTL + timedelta(days=1),
        now=now, message=CONTACT_CHANGES_LIMIT,
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
    user = await _get_user(session, user_id)
    if user.status not in (UserStatus.PENDING_DATA, UserStatus.PENDING_CODES):
        raise DomainError("Tu registro ya está completo. Ingresá con tu documento y contraseña.")
    first = normalize_name(first_names, field="first_names")
    last = normalize_name(last_names, field="last_names")
    email_display, email_norm = normalize_email(email)
    phone = normalize_mobile(area, number)
    await codes.check_sms_budget(session=session, now=now)
    await _count_contact_change(session, user=user, email_norm=email_norm, phone=phone, now=now)
    await _ensure_contact_free(session, user_id=user_id, email_norm=email_norm, phone=phone)
    try:
        async with session.begin_nested():
            user.first_names, user.last_names = first, last
            user.email, user.email_norm, user.phone_e164 = email_display, email_norm, phone
            user.status = UserStatus.PENDING_CODES
    except IntegrityError:  # a concurrent registration took the address between the check and the write
        raise RefusedAttempt(EMAIL_TAKEN + " Si es tuyo, usá otro o recuperá tu cuenta.", field="email") from None
    await send_registration_codes(session=session, user_id=user_id, now=now)


async def _ensure_contact_free(session, *, user_id: int, email_norm: str | None = None, phone: str | None = None) -> None:
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
    user = await _get_user(session, user_id)
    if user.status != UserStatus.PENDING_CODES or not user.email or not user.phone_e164:
        raise DomainError("Primero completá tus datos.")
    reason = notices.CODE_REASON_REGISTRATION
    for channel, destination in ((Channel.EMAIL, user.email), (Channel.SMS, user.phone_e164)):
        await codes.check_can_send(
            session=session, user_id=user.id, purpose=CodePurpose.REGISTRATION, channel=channel, destination=destination, now=now  # type: ignore[arg-type]
        )
    await _send_code(session, user=user, purpose=CodePurpose.REGISTRATION, channel=Channel.EMAIL, destination=user.email, now=now, reason=reason)
    await _send_code(session, user=user, purpose=CodePurpose.REGISTRATION, channel=Channel.SMS, destination=user.phone_e164, now=now, reason=reason)


async def registration_contact(*, session, user_id: int) -> UserPublic:
    """What the registration steps show of the pending account (names, e-mail, mobile)."""
    return UserPublic.from_user(await _get_user(session, user_id))


async def complete_registration(*, session, user_id: int, email_code: object, sms_code: object, now: datetime) -> LoginResult:
    """Step 3: both codes right → active account, welcome e-mail, and a fresh ticket for the tab.

    Raises:
        ValidationError: A code is not 6 digits.
        RefusedAttempt: A wrong, expired or used code (its try counted).
    """
    user = await _get_user(session, user_id)
    if user.status != UserStatus.PENDING_CODES:
        raise DomainError("Primero completá tus datos.")
    entries = [
        codes.CodeEntry(Channel.EMAIL, _code(email_code, "code_email")),
        codes.CodeEntry(Channel.SMS, _code(sms_code, "code_sms")),
    ]
    destinations = await codes.verify_and_consume(
        session=session, user_id=user.id, purpose=CodePurpose.REGISTRATION, entries=entries, now=now  # type: ignore[arg-type]
    )
    if destinations != [user.email, user.phone_e164]:  # the contact data changed after the codes were sent
        raise ValidationError("Los códigos no corresponden a tus datos actuales. Pedí uno nuevo.", field="code_email")
    user.status = UserStatus.ACTIVE
    user.activated_at = now
    notice = notices.welcome(name=_name(user), when=now)
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
    user = await _find_by_document(session, doc_type, doc)
    if user is None or user.status == UserStatus.DISABLED:
        await passwords.dummy_verify(password)
        security_event("login_refused", reason="unknown document", doc=mask_document(doc))
        raise WrongCredentials(LOGIN_FAILED)
    ok = await passwords.verify_password(password, user.password_hash)
    if _is_locked(user, now):
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


async def _reauthenticate(session, *, user: User, password: object, now: datetime) -> None:
    """The current password, asked again before a sensitive change; failures count towards the login lock."""
    if _is_locked(user, now):
        raise WrongCredentials(LOCKED_OUT, field="current_password")
    if not isinstance(password, str) or not password or len(password.encode("utf-8", "replace")) > 1024:
        raise ValidationError(WRONG_CURRENT_PASSWORD, field="current_password")
    if await passwords.verify_password(password, user.password_hash):
        if user.failed_logins:
            user.failed_logins = 0
        return
    locked = await _count_failure(session, user=user, now=now, where="reauth")
    raise WrongCredentials(LOCKED_OUT if locked else WRONG_CURRENT_PASSWORD, field="current_password")


# --- recovery -------------------------------------------------------------------------------------

def _fake_destination(doc_type: str, doc: str, channel: str) -> str:
    # Stable, plausible masked destination for unknown documents, so the answer reveals nothing.
    seed = hmac.new(get_settings().secret_key.encode(), f"fake|{doc_type}|{doc}".encode(), hashlib.sha256).hexdigest()
    if channel == Channel.EMAIL:
        domains = ["gmail.com", "hotmail.com", "yahoo.com.ar", "outlook.com"]
        return mask_email(f"{chr(97 + int(seed[0:2], 16) % 26)}xxxxx@{domains[int(seed[2:4], 16) % len(domains)]}")
    return mask_phone("+549264" + str(int(seed[4:12], 16) % 10**7).rjust(7, "4"))


def _check_channel(channel: object) -> str:
    if channel not in (Channel.EMAIL, Channel.SMS):
        raise ValidationError("Elegí cómo querés recibir el código.", field="channel")
    return channel  # type: ignore[return-value]


async def start_recovery(*, session, doc_type: str, doc_number: str, channel: str, now: datetime) -> str:
    """Send a recovery code by e-mail or SMS; the answer is the same whether the account exists or not.

    A code asked for again too soon, or past the per-destination limits, is simply not sent: the answer
    does not change (the person can still use the previous code).

    Raises:
        ValidationError: Malformed document or channel (the same for every document).
        RateLimited: The portal's SMS budget for this hour is spent (told before any lookup).
    """
    channel = _check_channel(channel)
    doc = normalize_document(doc_type, doc_number)
    if channel == Channel.SMS:
        await codes.check_sms_budget(session=session, now=now)
    user = await _find_by_document(session, doc_type, doc)
    if user is None or user.status != UserStatus.ACTIVE:
        security_event("recovery_asked", known=False, doc=mask_document(doc))
        return RECOVERY_SENT.format(where="a " + _fake_destination(doc_type, doc, channel))
    destination = (user.email if channel == Channel.EMAIL else user.phone_e164) or ""
    masked = mask_email(destination) if channel == Channel.EMAIL else mask_phone(destination)
    try:
        await _send_code(
            session, user=user, purpose=CodePurpose.RECOVERY, channel=channel, destination=destination, now=now,
            reason=notices.CODE_REASON_RECOVERY,
        )
    except RateLimited as exc:
        security_event("recovery_not_sent", user=user.id, reason=exc.message)
    else:
        security_event("recovery_asked", known=True, user=user.id, doc=mask_document(doc))
    return RECOVERY_SENT.format(where="a " + masked)


async def complete_recovery(
    *, session, doc_type: str, doc_number: str, channel: str, code: object, password: str, password2: str, now: datetime
) -> None:
    """Code + new password: sets it, ends every session, sends a confirmation.

    Registered and unknown documents go through the same checks in the same order (password policy on
    the document alone, then the code) and get the same messages.

    Raises:
        ValidationError: Malformed input or a password the policy refuses.
        RefusedAttempt: The code is wrong, expired or not for this document (its try counted).
    """
    channel = _check_channel(channel)
    doc = normalize_document(doc_type, doc_number)
    normalized = _code(code, "code")
    validate_password(password, doc_number=doc)
    validate_password_repeat(password, password2)
    user = await _find_by_document(session, doc_type, doc)
    known = user is not None and user.status == UserStatus.ACTIVE
    try:
        await codes.verify_and_consume(
            session=session, user_id=user.id if known else 0, purpose=CodePurpose.RECOVERY,  # type: ignore[union-attr]
            entries=[codes.CodeEntry(channel, normalized)], now=now,
        )
    except RefusedAttempt:
        raise RefusedAttempt(RECOVERY_CODE_REFUSED, field="code") from None
    if not known:  # pragma: no cover - no code is ever issued to user 0
        raise RefusedAttempt(RECOVERY_CODE_REFUSED, field="code")
    user.password_hash = await passwords.hash_password(password)  # type: ignore[union-attr]
    user.failed_logins = 0  # type: ignore[union-attr]
    user.locked_until = None  # type: ignore[union-attr]
    await sessions.revoke_all(session=session, user_id=user.id, now=now)  # type: ignore[union-attr, arg-type]
    notice = notices.password_recovered(name=_name(user), when=now)  # type: ignore[arg-type]
    enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[union-attr, arg-type]
    security_event("password_recovered", user=user.id)  # type: ignore[union-attr]


# --- profile --------------------------------------------------------------------------------------

async def profile(*, session, user_id: int, now: datetime) -> ProfilePublic:
    """Everything Mi Perfil shows, in one call."""
    user = await _get_user(session, user_id)
    email = await codes.live_destination(session=session, user_id=user_id, purpose=CodePurpose.CHANGE_EMAIL, channel=Channel.EMAIL, now=now)
    phone = await codes.live_destination(session=session, user_id=user_id, purpose=CodePurpose.CHANGE_PHONE, channel=Channel.SMS, now=now)
    return ProfilePublic(
        full_name=_name(user),
        document=document_label(user.doc_type, user.doc_number),
        email=user.email or "",
        phone=format_mobile(user.phone_e164 or ""),
        dni_status=user.dni_status,
        dni_on_file=bool(user.dni_document_id) and user.dni_status != DniStatus.NONE,
        pending_email=mask_email(email) if email else "",
        pending_phone=mask_phone(phone) if phone else "",
    )


async def profile_dni_id(*, session, user_id: int) -> str | None:
    """The id of the DNI photo on file, if any (to sign a **Ver** link for its owner)."""
    user = await _get_user(session, user_id)
    return user.dni_document_id if user.dni_status != DniStatus.NONE else None


async def request_email_change(*, session, user_id: int, new_email: str, password: object, now: datetime) -> str:
    """Send a code to the new e-mail; the old one stays valid until it is verified. Returns it masked."""
    user = await _get_user(session, user_id)
    display, norm = normalize_email(new_email)
    await _reauthenticate(session, user=user, password=password, now=now)
    if norm == user.email_norm:
        raise ValidationError("Ese ya es tu e-mail.", field="email")
    await _ensure_contact_free(session, user_id=user_id, email_norm=norm)
    await _send_code(session, user=user, purpose=CodePurpose.CHANGE_EMAIL, channel=Channel.EMAIL, destination=display, now=now,
                     reason=notices.CODE_REASON_CHANGE_EMAIL)
    notice = notices.email_change_requested(name=_name(user), when=now, new_masked=mask_email(display))
    enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[arg-type]
    return mask_email(display)


async def request_phone_change(*, session, user_id: int, area: str, number: str, password: object, now: datetime) -> str:
    """Send an SMS code to the new mobile; the old one stays valid until it is verified. Returns it masked."""
    user = await _get_user(session, user_id)
    phone = normalize_mobile(area, number)
    await _reauthenticate(session, user=user, password=password, now=now)
    if phone == user.phone_e164:
        raise ValidationError("Ese ya es tu celular.", field="number")
    await _ensure_contact_free(session, user_id=user_id, phone=phone)
    await _send_code(session, user=user, purpose=CodePurpose.CHANGE_PHONE, channel=Channel.SMS, destination=phone, now=now, reason="")
    if user.phone_e164:
        enqueue_sms(session, to=user.phone_e164, text=notices.phone_change_requested_sms(new_masked=mask_phone(phone)), user_id=user.id)
    return mask_phone(phone)


async def confirm_contact_change(*, session, user_id: int, kind: str, code: object, now: datetime) -> UserPublic:
    """Verify the code sent to the new e-mail (kind "email") or mobile (kind "phone") and switch to it."""
    user = await _get_user(session, user_id)
    if kind not in ("email", "phone"):
        raise ValidationError("Cambio desconocido.")
    purpose, channel = (CodePurpose.CHANGE_EMAIL, Channel.EMAIL) if kind == "email" else (CodePurpose.CHANGE_PHONE, Channel.SMS)
    normalized = _code(code, "code")
    try:
        [destination] = await codes.verify_and_consume(
            session=session, user_id=user.id, purpose=purpose, entries=[codes.CodeEntry(channel, normalized)], now=now  # type: ignore[arg-type]
        )
    except RefusedAttempt as exc:
        raise RefusedAttempt(exc.message, field="code") from None
    old_email, old_phone = user.email, user.phone_e164
    try:
        async with session.begin_nested():
            if kind == "email":
                display, norm = normalize_email(destination)
                await _ensure_contact_free(session, user_id=user_id, email_norm=norm)
                user.email, user.email_norm = display, norm
            else:
                await _ensure_contact_free(session, user_id=user_id, phone=destination)
                user.phone_e164 = destination
    except IntegrityError:
        raise DomainError(EMAIL_TAKEN if kind == "email" else PHONE_TAKEN, field="code") from None
    except RefusedAttempt as exc:  # taken meanwhile: the code is spent, the change is refused
        raise DomainError(exc.message, field="code") from None
    what = "e-mail" if kind == "email" else "celular"
    notice = notices.contact_changed(name=_name(user), when=now, what=what)
    enqueue_email(session, to=old_email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[arg-type]
    if kind == "email":
        enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[arg-type]
    elif old_phone:
        enqueue_sms(session, to=old_phone, text=notices.phone_changed_sms(), user_id=user.id)
    return UserPublic.from_user(user)


async def change_password(
    *, session, user_id: int, current_password: object, new_password: str, new_password2: str, keep_token: str, now: datetime
) -> None:
    """Current password required; every other session ends; e-mail and SMS notices (no secrets)."""
    user = await _get_user(session, user_id)
    await _reauthenticate(session, user=user, password=current_password, now=now)
    validate_password(new_password, doc_number=user.doc_number, email=user.email or "", phone=user.phone_e164 or "")
    validate_password_repeat(new_password, new_password2)
    user.password_hash = await passwords.hash_password(new_password)
    await sessions.revoke_all(session=session, user_id=user.id, now=now, keep_token=keep_token)  # type: ignore[arg-type]
    notice = notices.password_changed(name=_name(user), when=now)
    enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[arg-type]
    if user.phone_e164:
        enqueue_sms(session, to=user.phone_e164, text=notices.password_changed_sms(), user_id=user.id)


async def create_active_user(
    *, session, doc_type: str, doc_number: str, password: str, first_names: str, last_names: str, email: str,
    area: str, number: str, now: datetime,
) -> int:
    """An already verified account (demo data and tests); the same validation as registration."""
    doc = normalize_document(doc_type, doc_number)
    validate_password(password, doc_number=doc)
    display, norm = normalize_email(email)
    user = User(
        doc_type=doc_type, doc_number=doc, password_hash=await passwords.hash_password(password),
        first_names=normalize_name(first_names, field="first_names"), last_names=normalize_name(last_names, field="last_names"),
        email=display, email_norm=norm, phone_e164=normalize_mobile(area, number), status=UserStatus.ACTIVE,
        created_at=now, activated_at=now,
    )
    session.add(user)
    await session.flush()
    return user.id  # type: ignore[return-value]
