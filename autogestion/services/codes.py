"""One-time 6-digit codes: stored as an HMAC bound to (user, purpose, channel, destination).

Valid 10 minutes, single use (consumed with a conditional UPDATE), 5 wrong tries kill a code, a new
code invalidates the previous one, resend after 60 s, at most 5 sends per destination per hour and 10
per day, and SMS codes stop for everyone when the portal's hourly SMS budget
(AUTOGESTION_SMS_PER_HOUR) is spent — a brake on SMS pumping.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import select

from autogestion.client import security_event
from autogestion.config import get_settings
from autogestion.models import Channel, OutboxMessage, VerificationCode
from autogestion.services.errors import RateLimited, RefusedAttempt

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
MAX_SENDS_PER_HOUR = 5
MAX_SENDS_PER_DAY = 10

CHANNEL_LABEL = {Channel.EMAIL: "e-mail", Channel.SMS: "SMS"}
SMS_BUDGET_SPENT = (
    "En este momento no podemos enviar SMS. Probá de nuevo en un rato o elegí recibir el código por e-mail."
)


async def check_sms_budget(*, session, now: datetime) -> None:
    """Raise RateLimited when the portal already sent AUTOGESTION_SMS_PER_HOUR SMS in the last hour."""
    sent = (
        await session.exec(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.channel == Channel.SMS, OutboxMessage.created_at > now - timedelta(hours=1)
            )
        )
    ).one()
    budget = get_settings().sms_per_hour
    if sent >= budget:
        security_event("sms_budget_spent", sent_last_hour=sent, budget=budget)
        raise RateLimited(SMS_BUDGET_SPENT)


def _digest(code: str, *, user_id: int, purpose: str, channel: str, destination: str) -> str:
    key = get_settings().secret_key.encode("utf-8")
    message = f"{user_id}|{purpose}|{channel}|{destination}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _live(user_id: int, purpose: str, channel: str, now: datetime):
    return (
        VerificationCode.user_id == user_id,
        VerificationCode.purpose == purpose,
        VerificationCode.channel == channel,
        VerificationCode.used_at.is_(None),
        VerificationCode.invalidated_at.is_(None),
        VerificationCode.expires_at > now,
    )


async def check_can_send(*, session, user_id: int, purpose: str, channel: str, destination: str, now: datetime) -> None:
    """Raise RateLimited when a code for this destination cannot be sent yet (or the SMS budget is spent)."""
    if channel == Channel.SMS:
        await check_sms_budget(session=session, now=now)
    last = (
        await session.exec(
            select(func.max(VerificationCode.created_at)).where(
                VerificationCode.user_id == user_id,
                VerificationCode.purpose == purpose,
                VerificationCode.channel == channel,
            )
        )
    ).one()
    if last is not None and now - last < RESEND_AFTER:
        wait = int((RESEND_AFTER - (now - last)).total_seconds()) + 1
        raise RateLimited(f"Esperá {wait} segundos para pedir otro código.")

    async def sent_since(since: datetime) -> int:
        return (
            await session.exec(
                select(func.count(VerificationCode.id)).where(
                    VerificationCode.destination == destination, VerificationCode.created_at > since
                )
            )
        ).one()

    if await sent_since(now - timedelta(hours=1)) >= MAX_SENDS_PER_HOUR:
        raise RateLimited("Ya enviamos varios códigos a ese destino. Probá de nuevo en una hora.")
    if await sent_since(now - timedelta(days=1)) >= MAX_SENDS_PER_DAY:
        raise RateLimited("Alcanzaste el máximo de códigos por hoy para ese destino. Probá mañana.")


async def issue_code(*, session, user_id: int, purpose: str, channel: str, destination: str, now: datetime) -> str:
    """Create a new code (invalidating the previous live one) and return it in clear, for the message only."""
    await check_can_send(
        session=session, user_id=user_id, purpose=purpose, channel=channel, destination=destination, now=now
    )
    await session.exec(
        update(VerificationCode).where(*_live(user_id, purpose, channel, now)).values(invalidated_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(
        VerificationCode(
            user_id=user_id,
            purpose=purpose,
            channel=channel,
            destination=destination,
            code_hash=_digest(code, user_id=user_id, purpose=purpose, channel=channel, destination=destination),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    return code


@dataclass(frozen=True)
class CodeEntry:
    channel: str
    code: str  # already normalised to 6 ASCII digits


async def verify_and_consume(
    *, session, user_id: int, purpose: str, entries: list[CodeEntry], now: datetime
) -> list[str]:
    """Check every entry against its live code; consume all of them only when all are right.

    Returns the destinations the codes were sent to (in the order of entries). A wrong code costs
    one of its 5 attempts, which the unit of work keeps (refused attempts are committed).

    Raises:
        RefusedAttempt: with field "code_<channel>" naming the first wrong, expired or dead code.
    """
    rows: list[VerificationCode] = []
    failures: list[RefusedAttempt] = []
    for entry in entries:
        label = CHANNEL_LABEL[entry.channel]
        row = (
            await session.exec(
                select(VerificationCode)
                .where(*_live(user_id, purpose, entry.channel, now))
                .order_by(VerificationCode.created_at.desc())
                .limit(1)
            )
        ).first()
        field = f"code_{entry.channel}"
        if row is None or row.attempts >= MAX_ATTEMPTS:
            failures.append(
                RefusedAttempt(f"El código recibido por {label} venció o ya no es válido. Pedí uno nuevo.", field=field)
            )
            continue
        expected = row.code_hash
        given = _digest(
            entry.code, user_id=user_id, purpose=purpose, channel=entry.channel, destination=row.destination
        )
        if not hmac.compare_digest(expected, given):
            row.attempts += 1
            left = MAX_ATTEMPTS - row.attempts
            if left <= 0:
                row.invalidated_at = now
                failures.append(
                    RefusedAttempt(
                        f"El código recibido por {label} es incorrecto y ya no es válido. Pedí uno nuevo.", field=field
                    )
                )
            else:
                failures.append(
                    RefusedAttempt(
                        f"El código recibido por {label} es incorrecto. Te quedan {left} intentos.", field=field
                    )
                )
            continue
        rows.append(row)
    if failures:
        security_event("code_refused", user=user_id, purpose=purpose, field=failures[0].field)
        raise failures[0]
    for row in rows:
        result = await session.exec(
            update(VerificationCode)
            .where(
                VerificationCode.id == row.id,
                VerificationCode.used_at.is_(None),
                VerificationCode.invalidated_at.is_(None),
                VerificationCode.attempts < MAX_ATTEMPTS,
                VerificationCode.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # a concurrent submit consumed it first
            raise RefusedAttempt("Ese código ya se usó. Pedí uno nuevo.", field=f"code_{row.channel}")
    return [row.destination for row in rows]


async def live_destination(*, session, user_id: int, purpose: str, channel: str, now: datetime) -> str | None:
    """Where the live code of that purpose and channel was sent (pending e-mail/phone changes)."""
    return (
        await session.exec(
            select(VerificationCode.destination)
            .where(*_live(user_id, purpose, channel, now))
            .order_by(VerificationCode.created_at.desc())
            .limit(1)
        )
    ).first()
