"""Password recovery ("¿Se te olvidó tu contraseña?"): a code by e-mail or SMS, then a new password.

Registered and unknown documents get the same visible answers at both steps, in comparable time: the
unknown ones a stable fake masked destination, the same password checks (on the typed document) and the
same single message for any code failure. A code asked for again too soon is simply not sent.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from autogestion.client import security_event
from autogestion.config import get_settings
from autogestion.models import Channel, CodePurpose, UserStatus
from autogestion.services import accounts, codes, notices, passwords, sessions
from autogestion.services.errors import RateLimited, RefusedAttempt, ValidationError
from autogestion.services.formatting import mask_document, mask_email, mask_phone
from autogestion.services.outbox import enqueue_email
from autogestion.services.passwords import validate_password, validate_password_repeat
from autogestion.services.validation import normalize_document

RECOVERY_SENT = "Si los datos corresponden a una cuenta, te enviamos un código {where}. Vence en 10 minutos."
RECOVERY_CODE_REFUSED = "El código no es válido o venció. Pedí uno nuevo."


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
    user = await accounts.find_by_document(session, doc_type, doc)
    if user is None or user.status != UserStatus.ACTIVE:
        security_event("recovery_asked", known=False, doc=mask_document(doc))
        return RECOVERY_SENT.format(where="a " + _fake_destination(doc_type, doc, channel))
    destination = (user.email if channel == Channel.EMAIL else user.phone_e164) or ""
    masked = mask_email(destination) if channel == Channel.EMAIL else mask_phone(destination)
    try:
        await accounts.send_code(
            session,
            user=user,
            purpose=CodePurpose.RECOVERY,
            channel=channel,
            destination=destination,
            now=now,
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
    normalized = accounts.code_field(code, "code")
    validate_password(password, doc_number=doc)
    validate_password_repeat(password, password2)
    user = await accounts.find_by_document(session, doc_type, doc)
    known = user is not None and user.status == UserStatus.ACTIVE
    try:
        await codes.verify_and_consume(
            session=session,
            user_id=user.id if known else 0,
            purpose=CodePurpose.RECOVERY,  # type: ignore[union-attr]
            entries=[codes.CodeEntry(channel, normalized)],
            now=now,
        )
    except RefusedAttempt:
        raise RefusedAttempt(RECOVERY_CODE_REFUSED, field="code") from None
    if not known:  # pragma: no cover - no code is ever issued to user 0
        raise RefusedAttempt(RECOVERY_CODE_REFUSED, field="code")
    user.password_hash = await passwords.hash_password(password)  # type: ignore[union-attr]
    user.failed_logins = 0  # type: ignore[union-attr]
    user.locked_until = None  # type: ignore[union-attr]
    await sessions.revoke_all(session=session, user_id=user.id, now=now)  # type: ignore[union-attr, arg-type]
    notice = notices.password_recovered(name=accounts.full_name(user), when=now)  # type: ignore[arg-type]
    enqueue_email(session, to=user.email, subject=notice.subject, body=notice.body, user_id=user.id)  # type: ignore[union-attr, arg-type]
    security_event("password_recovered", user=user.id)  # type: ignore[union-attr]
