"""Notification outbox: rows enqueued in the caller's transaction, delivered by a worker with retries and backoff."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from autogestion import db
from autogestion.adapters.sms import FileSmsSender, HttpSmsSender
from autogestion.adapters.smtp import SmtpMailer, refuse_line_breaks
from autogestion.clock import utcnow
from autogestion.config import Settings, get_settings
from autogestion.models import Channel, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


# Delay before the next try after the 1st, 2nd, … failure (Kratos courier's defaults).
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
# Kratos' message_retries default: the 5th failed attempt abandons the message.
MAX_ATTEMPTS = 5
# A claim outlives any single send (SEND_TIMEOUT), so a live worker never has its row taken over.
CLAIM_DURATION = timedelta(minutes=2)
SEND_TIMEOUT_SECONDS = 60.0
MAX_ERROR_CHARS = 500

_CODE = re.compile(r"(?<![0-9A-Za-z_-])[0-9]{6}(?![0-9A-Za-z_-])")  # not inside a token or a longer number
REDACTED = "••••••"
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")
_BEARER = re.compile(r"(?i)\bbearer\s+\S+")
_SECRET_PARAM = re.compile(r"(?i)\b(token|key|password|passwd|secret|auth)=[^&\s]+")


def redact_codes(text: str) -> str:
    """Hide 6-digit verification codes: they leave the database once delivered (and never reach a page)."""
    return _CODE.sub(REDACTED, text)


class Sender(Protocol):
    """What deliver_due needs of a mailer or an SMS sender."""

    async def send(self, msg: OutboxMessage) -> None: ...


def _db_time(moment: datetime) -> datetime:
    """moment as aware UTC (the columns refuse naive values; a naive one given by a caller means UTC)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def enqueue_email(
    session: AsyncSession, *, to: str, subject: str, body: str, user_id: int | None = None
) -> OutboxMessage:
    """Add an e-mail to the outbox; the caller commits it together with its business change.

    Args:
        session: The caller's session (nothing is flushed or committed here).
        to: Recipient address.
        subject: Subject line (no line breaks, at most 200 characters).
        body: Plain-text body.
        user_id: The user the message concerns, for the Notificaciones page.

    Returns:
        The pending row (its id is set once the session flushes).

    Raises:
        ValueError: The recipient or subject is malformed (a bug in the caller, not user input).
    """
    # Refused here, in the caller's transaction, rather than abandoned five attempts later.
    refuse_line_breaks("to", to)
    refuse_line_breaks("subject", subject)
    if not to or len(to) > 254 or "@" not in to:
        raise ValueError("to must be an e-mail address of at most 254 characters")
    if len(subject) > 200:
        raise ValueError("subject must be at most 200 characters")
    return _add(session, channel=Channel.EMAIL, to=to, subject=subject, body=body, user_id=user_id)


def enqueue_sms(session: AsyncSession, *, to: str, text: str, user_id: int | None = None) -> OutboxMessage:
    """Add an SMS to the outbox; the caller commits it together with its business change.

    Args:
        session: The caller's session (nothing is flushed or committed here).
        to: Mobile number in E.164 (+549…).
        text: Message text.
        user_id: The user the message concerns, for the Notificaciones page.

    Returns:
        The pending row.

    Raises:
        ValueError: The number is not in E.164.
    """
    if not _E164.match(to):
        raise ValueError("to must be a phone number in E.164 format")
    return _add(session, channel=Channel.SMS, to=to, subject="", body=text, user_id=user_id)


def _add(
    session: AsyncSession, *, channel: str, to: str, subject: str, body: str, user_id: int | None
) -> OutboxMessage:
    now = _db_time(utcnow())
    row = OutboxMessage(
        channel=channel,
        recipient=to,
        subject=subject,
        body=body,
        user_id=user_id,
        status=OutboxStatus.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    return row


def _error_text(exc: BaseException) -> str:
    """A one-line description of a send failure, without credentials, fit for last_error and logs."""
    detail = str(exc)
    text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    text = _URL_CREDENTIALS.sub(r"\1***@", text)
    text = _BEARER.sub("Bearer ***", text)
    text = _SECRET_PARAM.sub(r"\1=***", text)
    text = " ".join(text.split())
    return text[:MAX_ERROR_CHARS]


def _due(at: datetime):
    return (
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= at,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < at),
    )


async def _claim(
    session_factory: Callable[[], Any], row_id: int, at: datetime
) -> tuple[OutboxMessage, datetime] | None:
    """Claim one row in its own committed transaction; None when another worker got it first."""
    claim = at + CLAIM_DURATION
    async with session_factory() as session:
        # The WHERE repeats the due test: on PostgreSQL a concurrent claimer blocks on the row and then
        # re-checks it; on SQLite writers are serialised. Either way exactly one UPDATE matches.
        result = await session.exec(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, *_due(at))
            .values(claimed_until=claim)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        if result.rowcount != 1:
            return None
        msg = await session.get(OutboxMessage, row_id)
        if msg is None:
            return None
        session.expunge(msg)
        return msg, claim


async def _mark_sent(session_factory: Callable[[], Any], msg: OutboxMessage, at: datetime) -> None:
    async with session_factory() as session:
        await session.exec(
            update(OutboxMessage)
            .where(OutboxMessage.id == msg.id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(
                status=OutboxStatus.SENT,
                sent_at=at,
                claimed_until=None,
                last_error="",
                # The code has done its job: it is not kept in clear once the message left.
                subject=redact_codes(msg.subject),
                body=redact_codes(msg.body),
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def _mark_failed(
    session_factory: Callable[[], Any], msg: OutboxMessage, claim: datetime, at: datetime, error: str
) -> str:
    attempts = msg.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_error": error, "claimed_until": None}
    if attempts >= MAX_ATTEMPTS:
        values.update(status=OutboxStatus.ABANDONED, subject=redact_codes(msg.subject), body=redact_codes(msg.body))
    else:
        values["next_attempt_at"] = at + BACKOFF[attempts - 1]
    async with session_factory() as session:
        # Only while our claim stands: if it expired and another worker took the row, its outcome wins.
        await session.exec(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == msg.id,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.claimed_until == claim,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
    return values.get("status", OutboxStatus.PENDING)


async def deliver_due(
    *,
    session_factory: Callable[[], Any],
    mailer: Sender,
    sms_sender: Sender,
    now: datetime | None = None,
    batch: int = 50,
) -> int:
    """Deliver the pending messages that are due, each at most once at a time across workers.

    Each row is claimed (claimed_until = now + 2 min) in a committed UPDATE that matches only if the row
    is still pending, due and unclaimed, then sent, then marked sent. A failure counts an attempt and
    schedules the next one after 1 min, 5 min, 30 min, 2 h; the 5th failure abandons the message. A
    crash between sending and marking leaves the claim to expire and the row is sent again, with the same
    Message-ID.

    Args:
        session_factory: Returns a new AsyncSession usable as ``async with`` (an async_sessionmaker).
        mailer: Sends rows of channel "email" (``await mailer.send(msg)``).
        sms_sender: Sends rows of channel "sms".
        now: UTC time (naive, or aware) to use instead of the clock (tests); None reads the clock for
            every step.
        batch: At most this many rows per call.

    Returns:
        How many messages were sent.
    """

    def clock() -> datetime:
        return _db_time(now if now is not None else utcnow())

    start = clock()
    async with session_factory() as session:
        result = await session.exec(
            select(OutboxMessage.id)
            .where(*_due(start))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(batch)
        )
        row_ids = list(result.all())

    sent = 0
    for row_id in row_ids:
        # Claim right before sending, not the whole batch up front: a slow batch must not outlive claims.
        claimed = await _claim(session_factory, row_id, clock())
        if claimed is None:
            continue
        msg, claim = claimed
        try:
            sender = {Channel.EMAIL: mailer, Channel.SMS: sms_sender}.get(msg.channel)
            if sender is None:
                raise ValueError(f"unknown channel {msg.channel!r}")
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                await sender.send(msg)
        except Exception as exc:  # noqa: BLE001 (any failure of the outside world is retried)
            error = _error_text(exc)
            status = await _mark_failed(session_factory, msg, claim, clock(), error)
            # Only the row id and channel: bodies carry verification codes that must not reach logs.
            if status == OutboxStatus.ABANDONED:
                log.error("outbox %s (%s) abandoned after %s attempts: %s", msg.id, msg.channel, MAX_ATTEMPTS, error)
            else:
                log.warning("outbox %s (%s) attempt %s failed: %s", msg.id, msg.channel, msg.attempts + 1, error)
            continue
        await _mark_sent(session_factory, msg, clock())
        sent += 1
        log.info("outbox %s (%s) sent", msg.id, msg.channel)
    return sent


def build_mailer(settings: Settings) -> SmtpMailer:
    """The SMTP mailer the settings describe.

    Args:
        settings: The process settings.

    Returns:
        An SmtpMailer for the configured relay (or the local sink).
    """
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_user,
        settings.smtp_password,
        settings.smtp_tls,
        settings.mail_from,
        settings.brand,
    )


def build_sms_sender(settings: Settings) -> HttpSmsSender | FileSmsSender:
    """The SMS sender the settings describe.

    Args:
        settings: The process settings.

    Returns:
        HttpSmsSender for the configured gateway, or FileSmsSender writing ``<data dir>/sms/outbox.jsonl``
        when no gateway URL is set (config refuses that in production).
    """
    if settings.sms_gateway_url:
        return HttpSmsSender(settings.sms_gateway_url, settings.sms_gateway_token)
    return FileSmsSender(settings.sms_outbox)


async def run_worker(*, stop: asyncio.Event | None = None, interval: float = 1.0) -> None:
    """Deliver the outbox until stop is set (or the task is cancelled); log failures, never raise.

    Meant to run as a Reflex lifespan task and as the ``autogestion worker`` command.

    Args:
        stop: Set it to end the loop; None runs until the task is cancelled.
        interval: Seconds to wait between rounds that found less than a full batch.
    """
    stop = stop or asyncio.Event()
    batch = 50
    mailer: Sender | None = None
    sms_sender: Sender | None = None
    failing = False
    while not stop.is_set():
        sent = 0
        try:
            if mailer is None or sms_sender is None:
                settings = get_settings()
                mailer, sms_sender = build_mailer(settings), build_sms_sender(settings)
            # Built per round from the current engine, so tests and db.set_engine() are honoured.
            factory = db.get_factory()
            sent = await deliver_due(session_factory=factory, mailer=mailer, sms_sender=sms_sender, batch=batch)
            if failing:
                log.info("outbox worker recovered")
                failing = False
        except Exception as exc:
            # One traceback per outage, then one line per round, so a long outage does not flood the log.
            if not failing:
                log.exception("outbox worker round failed; retrying every %s s", interval)
                failing = True
            else:
                log.warning("outbox worker round failed again: %s", _error_text(exc))
        if sent >= batch:
            continue  # more may be due: do not wait
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
