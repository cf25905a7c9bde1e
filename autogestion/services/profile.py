"""Mi Perfil: what the customer sees of their account, e-mail and mobile changes verified by a code to the
new destination (the old one keeps working until then and is told), and password changes.

Each change asks for the current password again; wrong ones count towards the login lock
(`accounts.reauthenticate`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from autogestion.models import Channel, CodePurpose, DniStatus, ProfilePublic, UserPublic
from autogestion.services import accounts, codes, notices, passwords, review, sessions
from autogestion.services.errors import DomainError, RefusedAttempt, ValidationError
from autogestion.services.formatting import document_label, format_mobile, mask_email, mask_phone
from autogestion.services.outbox import enqueue_email, enqueue_sms
from autogestion.services.passwords import validate_password, validate_password_repeat
from autogestion.services.validation import normalize_email, normalize_mobile


async def overview(*, session, user_id: int, now: datetime) -> ProfilePublic:
    """Everything Mi Perfil shows, in one call."""
    user = await accounts.get_user(session, user_id)
    email = await codes.live_destination(
        session=session, user_id=user_id, purpose=CodePurpose.CHANGE_EMAIL, channel=Channel.EMAIL, now=now
    )
    phone = await codes.live_destination(
        session=session, user_id=user_id, purpose=CodePurpose.CHANGE_PHONE, channel=Channel.SMS, now=now
    )
    in_review = user.dni_status == DniStatus.IN_REVIEW
    deadline = (
        await review.review_deadline(session=session, user_id=user_id, document_id=user.dni_document_id)
        if in_review
        else ""
    )
    return ProfilePublic(
        full_name=accounts.full_name(user),
        document=document_label(user.doc_type, user.doc_number),
        email=user.email or "",
        phone=format_mobile(user.phone_e164 or ""),
        dni_status=user.dni_status,
        dni_on_file=bool(user.dni_document_id) and user.dni_status != DniStatus.NONE,
        pending_email=mask_email(email) if email else "",
        pending_phone=mask_phone(phone) if phone else "",
        dni_review_deadline=deadline,
    )


async def dni_document_id(*, session, user_id: int) -> str | None:
    """The id of the DNI photo on file, if any (to sign a **Ver** link for its owner)."""
    user = await accounts.get_user(session, user_id)
    return user.dni_document_id if user.dni_status != DniStatus.NONE else None


async def request_email_change(*, session, user_id: int, new_email: str, password: object, now: datetime) -> str:
    """Send a code to the new e-mail; the old one stays valid until it is verified. Returns it masked."""
    user = await accounts.get_user(session, user_id)
    display, norm = normalize_email(new_email)
    await accounts.reauthenticate(session, user=user, password=password, now=now)
    if norm == user.email_norm:
        raise ValidationError("Ese ya es tu e-mail.", field="email")
    await accounts.ensure_contact_free(session, user_id=user_id, email_norm=norm)
    await accounts.send_code(
        session,
        user=user,
        purpose=CodePurpose.CHANGE_EMAIL,
        channel=Channel.EMAIL,
        destination=display,
        now=now,
        reason=notices.CODE_REASON_CHANGE_EMAIL,
    )
    notice = notices.email_change_requested(name=accounts.full_name(user), when=now, new_masked=mask_email(display))
    enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[arg-type]
    return mask_email(display)


async def request_phone_change(
    *, session, user_id: int, area: str, number: str, password: object, now: datetime
) -> str:
    """Send an SMS code to the new mobile; the old one stays valid until it is verified. Returns it masked."""
    user = await accounts.get_user(session, user_id)
    phone = normalize_mobile(area, number)
    await accounts.reauthenticate(session, user=user, password=password, now=now)
    if phone == user.phone_e164:
        raise ValidationError("Ese ya es tu celular.", field="number")
    await accounts.ensure_contact_free(session, user_id=user_id, phone=phone)
    await accounts.send_code(
        session, user=user, purpose=CodePurpose.CHANGE_PHONE, channel=Channel.SMS, destination=phone, now=now, reason=""
    )
    if user.phone_e164:
        enqueue_sms(
            session,
            to=user.phone_e164,
            text=notices.phone_change_requested_sms(new_masked=mask_phone(phone)),
            user_id=user.id,
        )
    return mask_phone(phone)


async def confirm_contact_change(*, session, user_id: int, kind: str, code: object, now: datetime) -> UserPublic:
    """Verify the code sent to the new e-mail (kind "email") or mobile (kind "phone") and switch to it."""
    user = await accounts.get_user(session, user_id)
    if kind not in ("email", "phone"):
        raise ValidationError("Cambio desconocido.")
    purpose, channel = (
        (CodePurpose.CHANGE_EMAIL, Channel.EMAIL) if kind == "email" else (CodePurpose.CHANGE_PHONE, Channel.SMS)
    )
    normalized = accounts.code_field(code, "code")
    try:
        [destination] = await codes.verify_and_consume(
            session=session,
            user_id=user.id,
            purpose=purpose,
            entries=[codes.CodeEntry(channel, normalized)],
            now=now,  # type: ignore[arg-type]
        )
    except RefusedAttempt as exc:
        raise RefusedAttempt(exc.message, field="code") from None
    old_email, old_phone = user.email, user.phone_e164
    try:
        async with session.begin_nested():
            if kind == "email":
                display, norm = normalize_email(destination)
                await accounts.ensure_contact_free(session, user_id=user_id, email_norm=norm)
                user.email, user.email_norm = display, norm
            else:
                await accounts.ensure_contact_free(session, user_id=user_id, phone=destination)
                user.phone_e164 = destination
    except IntegrityError:
        raise DomainError(accounts.EMAIL_TAKEN if kind == "email" else accounts.PHONE_TAKEN, field="code") from None
    except RefusedAttempt as exc:  # taken meanwhile: the code is spent, the change is refused
        raise DomainError(exc.message, field="code") from None
    what = "e-mail" if kind == "email" else "celular"
    notice = notices.contact_changed(name=accounts.full_name(user), when=now, what=what)
    enqueue_email(session, to=old_email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[arg-type]
    if kind == "email":
        enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[arg-type]
    elif old_phone:
        enqueue_sms(session, to=old_phone, text=notices.phone_changed_sms(), user_id=user.id)
    return UserPublic.from_user(user)


async def change_password(
    *,
    session,
    user_id: int,
    current_password: object,
    new_password: str,
    new_password2: str,
    keep_token: str,
    now: datetime,
) -> None:
    """Current password required; every other session ends; e-mail and SMS notices (no secrets)."""
    user = await accounts.get_user(session, user_id)
    await accounts.reauthenticate(session, user=user, password=current_password, now=now)
    validate_password(new_password, doc_number=user.doc_number, email=user.email or "", phone=user.phone_e164 or "")
    validate_password_repeat(new_password, new_password2)
    user.password_hash = await passwords.hash_password(new_password)
    await sessions.revoke_all(session=session, user_id=user.id, now=now, keep_token=keep_token)  # type: ignore[arg-type]
    notice = notices.password_changed(name=accounts.full_name(user), when=now)
    enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[arg-type]
    if user.phone_e164:
        enqueue_sms(session, to=user.phone_e164, text=notices.password_changed_sms(), user_id=user.id)
