"""Customer accounts: registration in three steps, login with lockout, recovery, contact and password changes."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from autogestion.clock import format_local
from autogestion.config import get_settings
from autogestion.models import Channel, CodePurpose, User, UserPublic, UserStatus, VerificationCode
from autogestion.services import codes, passwords, sessions
from autogestion.services.errors import AuthError, DomainError, NotFound, ValidationError
from autogestion.services.outbox import enqueue_email, enqueue_sms
from autogestion.services.validation import (
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
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
UNFINISHED_REGISTRATION_TTL = timedelta(days=7)
EMAIL_TAKEN = "Ese e-mail ya está registrado por otro usuario."
PHONE_TAKEN = "Ese celular ya está registrado por otro usuario."
FOOTER = "Saludos Cordiales.\n{brand}\n\nPor favor, NO responda a este mensaje, es un envío automático."


def _footer() -> str:
    return FOOTER.format(brand=get_settings().brand)


def _code(raw: object, field: str) -> str:
    try:
        return normalize_code(raw)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ValidationError(exc.message, field=field) from None


def _masked_doc(doc_number: str) -> str:
    return "*" * max(len(doc_number) - 3, 0) + doc_number[-3:]


async def _get_user(session, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("No encontramos la cuenta.")
    return user


async def _find_by_document(session, doc_type: str, doc_number: str) -> User | None:
    # populate_existing: the failure counter and lock are changed by UPDATE statements, so a cached row
    # in this session must be refreshed from the database.
    return (
        await session.execute(
            select(User).where(User.doc_type == doc_type, User.doc_number == doc_number)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def purge_unfinished(session, *, now: datetime) -> int:
    """Delete registrations left half-way for 7 days, freeing their document, e-mail and mobile."""
    stale = select(User.id).where(User.status != UserStatus.ACTIVE, User.status != UserStatus.DISABLED,
                                  User.created_at < now - UNFINISHED_REGISTRATION_TTL)
    await session.execute(delete(VerificationCode).where(VerificationCode.user_id.in_(stale)))
    result = await session.execute(
        delete(User).where(User.status != UserStatus.ACTIVE, User.status != UserStatus.DISABLED,
                           User.created_at < now - UNFINISHED_REGISTRATION_TTL)
    )
    return result.rowcount or 0


# --- registration ---------------------------------------------------------------------------------

async def start_registration(session, *, doc_type: str, doc_number: str, password: str, password2: str, now: datetime) -> int:
    """Step 1 (Registrar Cuenta): document and password. Returns the new user's id.

    The captcha is checked by the caller before this runs (it must burn even when this raises).
    """
    doc = normalize_document(doc_type, doc_number)
    validate_password(password, doc_number=doc)
    validate_password_repeat(password, password2)
    await purge_unfinished(session, now=now)
    existing = await _find_by_document(session, doc_type, doc)
    if existing is not None:
        if existing.status == UserStatus.ACTIVE:
            raise DomainError("Ya existe una cuenta con ese documento. Ingresá con tu contraseña o recuperala.", field="doc_number")
        raise DomainError("Ya empezaste el registro con ese documento. Ingresá con tu contraseña para continuarlo.", field="doc_number")
    user = User(doc_type=doc_type, doc_number=doc, password_hash=await passwords.hash_password(password), created_at=now)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise DomainError("Ya existe una cuenta con ese documento. Ingresá con tu contraseña o recuperala.", field="doc_number") from None
    log.info("registration started user=%s doc=%s", user.id, _masked_doc(doc))
    return user.id  # type: ignore[return-value]


async def _send_code(session, *, user: User, purpose: str, channel: str, destination: str, now: datetime, reason: str) -> None:
    code = await codes.issue_code(session, user_id=user.id, purpose=purpose, channel=channel, destination=destination, now=now)
    brand = get_settings().brand
    if channel == Channel.EMAIL:
        enqueue_email(
            session,
            to=destination,
            subject=f"Tu código de verificación: {code}",
            body=(
                f"Hola {user.first_names}:\n\n{reason}\n\nTu código de verificación es: {code}\n\n"
                "Vence en 10 minutos. Si no fuiste vos, ignorá este mensaje: nadie de la distribuidora te lo va a pedir.\n\n"
                + _footer()
            ),
            user_id=user.id,
        )
    else:
        enqueue_sms(session, to=destination, text=f"{brand}: tu código de verificación es {code}. Vence en 10 minutos. No lo compartas.", user_id=user.id)


async def submit_contact_data(
    session, *, user_id: int, first_names: str, last_names: str, email: str, area: str, number: str, now: datetime
) -> None:
    """Step 2 (Completá tus datos!): names, e-mail and mobile; sends a code to each."""
    user = await _get_user(session, user_id)
    if user.status not in (UserStatus.PENDING_DATA, UserStatus.PENDING_CODES):
        raise DomainError("Tu registro ya está completo. Ingresá con tu documento y contraseña.")
    errors: list[ValidationError] = []
    values: dict[str, object] = {}
    for key, fn in (
        ("first_names", lambda: normalize_name(first_names, field="first_names")),
        ("last_names", lambda: normalize_name(last_names, field="last_names")),
        ("email", lambda: normalize_email(email)),
        ("phone", lambda: normalize_mobile(area, number)),
    ):
        try:
            values[key] = fn()
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    email_display, email_norm = values["email"]  # type: ignore[misc]
    phone = values["phone"]
    await _ensure_contact_free(session, user_id=user_id, email_norm=email_norm, phone=phone)  # type: ignore[arg-type]
    user.first_names = values["first_names"]  # type: ignore[assignment]
    user.last_names = values["last_names"]  # type: ignore[assignment]
    user.email, user.email_norm, user.phone_e164 = email_display, email_norm, phone  # type: ignore[assignment]
    user.status = UserStatus.PENDING_CODES
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise DomainError(EMAIL_TAKEN + " Si es tuyo, usá otro o recuperá tu cuenta.", field="email") from None
    await send_registration_codes(session, user_id=user_id, now=now)


async def _ensure_contact_free(session, *, user_id: int, email_norm: str | None = None, phone: str | None = None) -> None:
    # The unique indexes are the real guard (concurrent registrations); this gives the precise message.
    if email_norm is not None:
        other = (await session.execute(select(User.id).where(User.email_norm == email_norm, User.id != user_id))).first()
        if other:
            raise DomainError(EMAIL_TAKEN, field="email")
    if phone is not None:
        other = (await session.execute(select(User.id).where(User.phone_e164 == phone, User.id != user_id))).first()
        if other:
            raise DomainError(PHONE_TAKEN, field="number")


async def send_registration_codes(session, *, user_id: int, now: datetime) -> None:
    """(Re)send the e-mail and SMS codes of step 3 ("Reenviar código")."""
    user = await _get_user(session, user_id)
    if user.status != UserStatus.PENDING_CODES or not user.email or not user.phone_e164:
        raise DomainError("Primero completá tus datos.")
    reason = "Para completar tu registro en el Portal de Autogestión ingresá este código en la página."
    for channel, destination in ((Channel.EMAIL, user.email), (Channel.SMS, user.phone_e164)):
        await codes.check_can_send(session, user_id=user.id, purpose=CodePurpose.REGISTRATION, channel=channel, destination=destination, now=now)
    await _send_code(session, user=user, purpose=CodePurpose.REGISTRATION, channel=Channel.EMAIL, destination=user.email, now=now, reason=reason)
    await _send_code(session, user=user, purpose=CodePurpose.REGISTRATION, channel=Channel.SMS, destination=user.phone_e164, now=now, reason=reason)


async def complete_registration(session, *, user_id: int, email_code: str, sms_code: str, now: datetime) -> UserPublic:
    """Step 3: both codes right → active account and welcome e-mail. Commit even when it raises."""
    user = await _get_user(session, user_id)
    if user.status != UserStatus.PENDING_CODES:
        raise DomainError("Primero completá tus datos.")
    entries = [
        codes.CodeEntry(Channel.EMAIL, _code(email_code, "code_email")),
        codes.CodeEntry(Channel.SMS, _code(sms_code, "code_sms")),
    ]
    destinations = await codes.verify_and_consume(session, user_id=user.id, purpose=CodePurpose.REGISTRATION, entries=entries, now=now)
    if destinations != [user.email, user.phone_e164]:  # the contact data changed after the codes were sent
        raise ValidationError("Los códigos no corresponden a tus datos actuales. Pedí uno nuevo.", field="code_email")
    user.status = UserStatus.ACTIVE
    user.activated_at = now
    brand = get_settings().brand
    enqueue_email(
        session,
        to=user.email,  # type: ignore[arg-type]
        subject="Alta de usuario en el Portal de Autogestión",
        body=(
            f"Estimado/a {user.first_names} {user.last_names}:\n\n"
            f"El día {format_local(now)} se completó el alta de usuario en el Portal de Autogestión de {brand}.\n\n"
            "Ya podés ingresar con tu documento y contraseña para asociar tus suministros y consultar, imprimir y "
            "pagar tus facturas las 24 horas.\n\n" + _footer()
        ),
        user_id=user.id,
    )
    log.info("registration completed user=%s", user.id)
    return UserPublic.from_user(user)


# --- login ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginResult:
    user_id: int
    status: str  # a UserStatus: pending ones resume the registration at their step
    dni_status: str


async def authenticate(session, *, doc_type: str, doc_number: str, password: str, now: datetime) -> LoginResult:
    """Check document and password; lock the account for 15 minutes after 5 failures.

    Unknown document, wrong password and locked account all raise the same AuthError, after the same
    bcrypt work. The caller must commit even when this raises (the failure counter).
    """
    if not isinstance(password, str) or not password or len(password.encode("utf-8", "replace")) > 1024:
        raise AuthError(LOGIN_FAILED)
    try:
        doc = normalize_document(doc_type, doc_number)
    except ValidationError:
        await passwords.dummy_verify(password)
        raise AuthError(LOGIN_FAILED) from None
    user = await _find_by_document(session, doc_type, doc)
    if user is None or user.status == UserStatus.DISABLED:
        await passwords.dummy_verify(password)
        log.info("login failed: unknown document doc=%s", _masked_doc(doc))
        raise AuthError(LOGIN_FAILED)
    ok = await passwords.verify_password(password, user.password_hash)
    if user.locked_until is not None and user.locked_until > now:
        log.info("login refused: locked user=%s", user.id)
        raise AuthError(LOGIN_FAILED)
    if not ok:
        # Counted in the database, not in Python: parallel wrong logins must not lose increments.
        failures = (
            await session.execute(
                update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
                .returning(User.failed_logins).execution_options(synchronize_session=False)
            )
        ).scalar_one()
        if failures >= MAX_FAILED_LOGINS:
            await session.execute(
                update(User).where(User.id == user.id).values(failed_logins=0, locked_until=now + LOCKOUT)
                .execution_options(synchronize_session=False)
            )
            log.warning("account locked user=%s", user.id)
            if user.email and user.status == UserStatus.ACTIVE:
                enqueue_email(
                    session,
                    to=user.email,
                    subject="Bloqueamos el ingreso a tu cuenta por 15 minutos",
                    body=(
                        f"Estimado/a {user.first_names} {user.last_names}:\n\n"
                        f"El día {format_local(now)} hubo {MAX_FAILED_LOGINS} intentos fallidos de ingreso con tu documento, "
                        "así que bloqueamos el ingreso por 15 minutos.\n\nSi no fuiste vos, te recomendamos cambiar tu "
                        "contraseña desde «¿Se te olvidó tu contraseña?».\n\n" + _footer()
                    ),
                    user_id=user.id,
                )
        raise AuthError(LOGIN_FAILED)
    user.failed_logins = 0
    user.locked_until = None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password(password)
    log.info("login ok user=%s", user.id)
    return LoginResult(user_id=user.id, status=user.status, dni_status=user.dni_status)  # type: ignore[arg-type]


async def get_user_public(session, *, user_id: int) -> UserPublic:
    """The DTO of an account (for state vars)."""
    return UserPublic.from_user(await _get_user(session, user_id))


async def dni_document_id(session, *, user_id: int) -> str | None:
    """The id of the DNI photo on file, if any (to sign a **Ver** link for its owner)."""
    return (await _get_user(session, user_id)).dni_document_id


async def registration_status(session, *, user_id: int) -> str:
    """The account's UserStatus (to resume a half-done registration at its step)."""
    return (await _get_user(session, user_id)).status


# --- recovery -------------------------------------------------------------------------------------

RECOVERY_SENT = "Si los datos corresponden a una cuenta, te enviamos un código {where}. Vence en 10 minutos."


def _fake_destination(doc_type: str, doc: str, channel: str) -> str:
    # Stable, plausible masked destination for unknown documents, so the answer reveals nothing.
    seed = hmac.new(get_settings().secret_key.encode(), f"fake|{doc_type}|{doc}".encode(), hashlib.sha256).hexdigest()
    if channel == Channel.EMAIL:
        domains = ["gmail.com", "hotmail.com", "yahoo.com.ar", "outlook.com"]
        return mask_email(f"{chr(97 + int(seed[0:2], 16) % 26)}xxxxx@{domains[int(seed[2:4], 16) % len(domains)]}")
    return mask_phone("+549264" + str(int(seed[4:12], 16) % 10**7).rjust(7, "4"))


async def start_recovery(session, *, doc_type: str, doc_number: str, channel: str, now: datetime) -> str:
    """Send a recovery code by e-mail or SMS; the answer is the same whether the account exists or not."""
    if channel not in (Channel.EMAIL, Channel.SMS):
        raise ValidationError("Elegí cómo querés recibir el código.", field="channel")
    doc = normalize_document(doc_type, doc_number)
    user = await _find_by_document(session, doc_type, doc)
    if user is None or user.status != UserStatus.ACTIVE:
        where = "a " + _fake_destination(doc_type, doc, channel)
        log.info("recovery asked for unknown document doc=%s", _masked_doc(doc))
        return RECOVERY_SENT.format(where=where)
    destination = user.email if channel == Channel.EMAIL else user.phone_e164
    assert destination
    await _send_code(
        session, user=user, purpose=CodePurpose.RECOVERY, channel=channel, destination=destination, now=now,
        reason="Pediste recuperar tu contraseña del Portal de Autogestión. Ingresá este código para elegir una nueva.",
    )
    masked = mask_email(destination) if channel == Channel.EMAIL else mask_phone(destination)
    return RECOVERY_SENT.format(where="a " + masked)


async def complete_recovery(
    session, *, doc_type: str, doc_number: str, channel: str, code: str, password: str, password2: str, now: datetime
) -> None:
    """Code + new password: sets it, ends every session, sends a confirmation. Commit even when it raises."""
    if channel not in (Channel.EMAIL, Channel.SMS):
        raise ValidationError("Elegí cómo querés recibir el código.", field="channel")
    doc = normalize_document(doc_type, doc_number)
    normalized = _code(code, "code")
    user = await _find_by_document(session, doc_type, doc)
    if user is None or user.status != UserStatus.ACTIVE:
        raise ValidationError("El código no es válido o venció. Pedí uno nuevo.", field="code")
    validate_password(password, doc_number=doc, email=user.email or "")
    validate_password_repeat(password, password2)
    try:
        await codes.verify_and_consume(session, user_id=user.id, purpose=CodePurpose.RECOVERY,
                                       entries=[codes.CodeEntry(channel, normalized)], now=now)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="code") from None
    user.password_hash = await passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    await sessions.revoke_all(session, user_id=user.id, now=now)
    enqueue_email(
        session,
        to=user.email,  # type: ignore[arg-type]
        subject="Cambiaste tu contraseña del Portal de Autogestión",
        body=(
            f"Estimado/a {user.first_names} {user.last_names}:\n\nEl día {format_local(now)} se cambió la contraseña de tu "
            "cuenta y se cerraron todas las sesiones abiertas.\n\nSi no fuiste vos, comunicate con nuestro centro de "
            "atención.\n\n" + _footer()
        ),
        user_id=user.id,
    )
    log.info("password recovered user=%s", user.id)


# --- profile --------------------------------------------------------------------------------------

async def _reauthenticate(user: User, password: str) -> None:
    if not isinstance(password, str) or not await passwords.verify_password(password, user.password_hash):
        raise ValidationError("La contraseña actual no es correcta.", field="current_password")


async def request_email_change(session, *, user_id: int, new_email: str, password: str, now: datetime) -> str:
    """Send a code to the new e-mail; the old one stays valid until it is verified. Returns it masked."""
    user = await _get_user(session, user_id)
    display, norm = normalize_email(new_email)
    await _reauthenticate(user, password)
    if norm == user.email_norm:
        raise ValidationError("Ese ya es tu e-mail.", field="email")
    await _ensure_contact_free(session, user_id=user_id, email_norm=norm)
    await _send_code(session, user=user, purpose=CodePurpose.CHANGE_EMAIL, channel=Channel.EMAIL, destination=display, now=now,
                     reason="Pediste cambiar el e-mail de tu cuenta del Portal de Autogestión a esta dirección.")
    enqueue_email(
        session, to=user.email, subject="Pedido de cambio de e-mail",  # type: ignore[arg-type]
        body=(f"Estimado/a {user.first_names} {user.last_names}:\n\nEl día {format_local(now)} se pidió cambiar el e-mail de tu "
              f"cuenta a {mask_email(display)}. Tu e-mail actual sigue valiendo hasta que se verifique el nuevo.\n\n"
              "Si no fuiste vos, cambiá tu contraseña.\n\n" + _footer()),
        user_id=user.id,
    )
    return mask_email(display)


async def request_phone_change(session, *, user_id: int, area: str, number: str, password: str, now: datetime) -> str:
    """Send an SMS code to the new mobile; the old one stays valid until it is verified."""
    user = await _get_user(session, user_id)
    phone = normalize_mobile(area, number)
    await _reauthenticate(user, password)
    if phone == user.phone_e164:
        raise ValidationError("Ese ya es tu celular.", field="number")
    await _ensure_contact_free(session, user_id=user_id, phone=phone)
    await _send_code(session, user=user, purpose=CodePurpose.CHANGE_PHONE, channel=Channel.SMS, destination=phone, now=now, reason="")
    if user.phone_e164:
        enqueue_sms(session, to=user.phone_e164, user_id=user.id,
                    text=f"{get_settings().brand}: se pidió cambiar el celular de tu cuenta a {mask_phone(phone)}. Si no fuiste vos, cambiá tu contraseña.")
    return mask_phone(phone)


async def confirm_contact_change(session, *, user_id: int, kind: str, code: str, now: datetime) -> UserPublic:
    """Verify the code sent to the new e-mail (kind "email") or mobile (kind "phone") and switch to it."""
    user = await _get_user(session, user_id)
    if kind not in ("email", "phone"):
        raise ValidationError("Cambio desconocido.")
    purpose, channel = (CodePurpose.CHANGE_EMAIL, Channel.EMAIL) if kind == "email" else (CodePurpose.CHANGE_PHONE, Channel.SMS)
    normalized = _code(code, "code")
    try:
        [destination] = await codes.verify_and_consume(session, user_id=user.id, purpose=purpose,
                                                       entries=[codes.CodeEntry(channel, normalized)], now=now)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="code") from None
    old_email, old_phone = user.email, user.phone_e164
    if kind == "email":
        display, norm = normalize_email(destination)
        await _ensure_contact_free(session, user_id=user_id, email_norm=norm)
        user.email, user.email_norm = display, norm
    else:
        await _ensure_contact_free(session, user_id=user_id, phone=destination)
        user.phone_e164 = destination
    try:
        await session.flush()
    except IntegrityError:
        raise DomainError(EMAIL_TAKEN if kind == "email" else PHONE_TAKEN, field="code") from None
    what = "e-mail" if kind == "email" else "celular"
    notice = (f"Estimado/a {user.first_names} {user.last_names}:\n\nEl día {format_local(now)} se cambió el {what} de tu cuenta "
              "del Portal de Autogestión.\n\nSi no fuiste vos, comunicate con nuestro centro de atención.\n\n" + _footer())
    enqueue_email(session, to=old_email, subject=f"Cambiaste tu {what}", body=notice, user_id=user.id)  # type: ignore[arg-type]
    if kind == "email":
        enqueue_email(session, to=user.email, subject=f"Cambiaste tu {what}", body=notice, user_id=user.id)  # type: ignore[arg-type]
    elif old_phone:
        enqueue_sms(session, to=old_phone, user_id=user.id, text=f"{get_settings().brand}: se cambió el celular de tu cuenta.")
    return UserPublic.from_user(user)


async def pending_contact_changes(session, *, user_id: int, now: datetime) -> dict[str, str]:
    """Masked new e-mail / mobile waiting for their code, by kind."""
    pending: dict[str, str] = {}
    email = await codes.live_destination(session, user_id=user_id, purpose=CodePurpose.CHANGE_EMAIL, channel=Channel.EMAIL, now=now)
    phone = await codes.live_destination(session, user_id=user_id, purpose=CodePurpose.CHANGE_PHONE, channel=Channel.SMS, now=now)
    if email:
        pending["email"] = mask_email(email)
    if phone:
        pending["phone"] = mask_phone(phone)
    return pending


async def change_password(
    session, *, user_id: int, current_password: str, new_password: str, new_password2: str, keep_token: str, now: datetime
) -> None:
    """Current password required; every other session ends; e-mail and SMS notices (no secrets)."""
    user = await _get_user(session, user_id)
    await _reauthenticate(user, current_password)
    validate_password(new_password, doc_number=user.doc_number, email=user.email or "", phone=user.phone_e164 or "")
    validate_password_repeat(new_password, new_password2)
    user.password_hash = await passwords.hash_password(new_password)
    await sessions.revoke_all(session, user_id=user.id, now=now, keep_token=keep_token)
    enqueue_email(
        session, to=user.email, subject="Cambiaste tu contraseña del Portal de Autogestión",  # type: ignore[arg-type]
        body=(f"Estimado/a {user.first_names} {user.last_names}:\n\nEl día {format_local(now)} se cambió la contraseña de tu "
              "cuenta y se cerraron las demás sesiones abiertas.\n\nSi no fuiste vos, comunicate con nuestro centro de "
              "atención.\n\n" + _footer()),
        user_id=user.id,
    )
    if user.phone_e164:
        enqueue_sms(session, to=user.phone_e164, user_id=user.id,
                    text=f"{get_settings().brand}: se cambió la contraseña de tu cuenta. Si no fuiste vos, llamanos.")


async def create_active_user(
    session, *, doc_type: str, doc_number: str, password: str, first_names: str, last_names: str, email: str,
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
