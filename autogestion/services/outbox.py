"""Notification outbox: rows enqueued in the caller's transaction, delivered by a worker with retries and backoff."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, or_, update
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
# A claim outlives any single send, so a live worker never has its row taken over: the send is cut off at
# SEND_TIMEOUT_SECONDS, and never later than CLAIM_SEND_SHARE of the claim (the rest is left for marking the
# row sent, retried while the claim stands), whatever the timeout passed in.
CLAIM_DURATION = timedelta(minutes=2)
SEND_TIMEOUT_SECONDS = 60.0
CLAIM_SEND_SHARE = 0.5
MAX_ERROR_CHARS = 500
# After this many failures in a row on one channel, a round leaves that channel's other rows alone: an SMTP
# server that is down (or hangs until the timeout) costs one round a few tries, not one per queued message,
# and the untried rows keep their attempts for when it is back.
CHANNEL_FAILURES_PER_ROUND = 3
# A gateway that throttles (HTTP 429) is waited for as long as it asks, within these bounds; a throttled try
# is not a failed attempt, and the channel pauses for everyone in this worker.
THROTTLE_DEFAULT = timedelta(seconds=60)
THROTTLE_MIN = timedelta(seconds=1)
THROTTLE_MAX = timedelta(hours=1)

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


def _retry_after(exc: BaseException) -> timedelta | None:
    """How long a throttling sender asked to wait (its ``retry_after`` seconds), within bounds; None if it
    did not throttle."""
    if not getattr(exc, "throttled", False):
        return None
    seconds = getattr(exc, "retry_after", None)
    wait = THROTTLE_DEFAULT if seconds is None else timedelta(seconds=float(seconds))
    return min(max(wait, THROTTLE_MIN), THROTTLE_MAX)


def _due(at: datetime):
    return (
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= at,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < at),
    )


async def _claim(
    session_factory: Callable[[], Any], row_id: int, at: datetime, claim_for: timedelta = CLAIM_DURATION
) -> tuple[OutboxMessage, datetime] | None:
    """Claim one row in its own committed transaction; None when another worker got it first."""
    claim = at + claim_for
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


async def _mark_sent(
    session_factory: Callable[[], Any], msg: OutboxMessage, at: datetime, *, retry_until: float = 0.0
) -> None:
    """Mark the row sent; a database hiccup is retried until retry_until (time.monotonic()), the end of the
    claim: once the claim lapses another worker sends the message again, so giving up early only adds
    duplicates."""
    while True:
        try:
            await _mark_sent_once(session_factory, msg, at)
            return
        except Exception as exc:
            remaining = retry_until - time.monotonic()
            if remaining <= 0:
                raise
            log.warning("outbox %s sent but not yet marked (%s); retrying", msg.id, _error_text(exc))
            await asyncio.sleep(min(1.0, remaining))


async def _mark_sent_once(session_factory: Callable[[], Any], msg: OutboxMessage, at: datetime) -> None:
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
    session_factory: Callable[[], Any],
    msg: OutboxMessage,
    claim: datetime,
    at: datetime,
    error: str,
    *,
    backoff: Sequence[timedelta] = BACKOFF,
    throttled_for: timedelta | None = None,
) -> str:
    values: dict[str, Any] = {"last_error": error, "claimed_until": None}
    if throttled_for is not None:
        # The gateway asked us to slow down: the message is not at fault, its attempts are kept.
        values["next_attempt_at"] = at + throttled_for
    else:
        attempts = msg.attempts + 1
        values["attempts"] = attempts
        if attempts >= MAX_ATTEMPTS:
            values.update(status=OutboxStatus.ABANDONED, subject=redact_codes(msg.subject), body=redact_codes(msg.body))
        else:
            values["next_attempt_at"] = at + backoff[min(attempts, len(backoff)) - 1]
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


class ChannelPauses:
    """Per-channel pauses a worker keeps across rounds (a throttling gateway asked it to wait)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def pause(self, channel: str, wait: timedelta) -> None:
        self._until[channel] = max(self._until.get(channel, 0.0), time.monotonic() + wait.total_seconds())

    def paused(self, channel: str) -> bool:
        return self._until.get(channel, 0.0) > time.monotonic()


async def _database_offset(session_factory: Callable[[], Any]) -> timedelta:
    """How far the database's clock is ahead of this host's (PostgreSQL only; zero for SQLite).

    Claims are compared across workers on different hosts: reading every claim time from one clock, the
    database's, keeps a host whose clock runs fast from taking over a row that another host still holds.
    """
    async with session_factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            return timedelta(0)
        before = _db_time(utcnow())
        db_now = (await session.exec(select(func.clock_timestamp()))).one()
        after = _db_time(utcnow())
    return _db_time(db_now) - (before + (after - before) / 2)


async def deliver_due(
    *,
    session_factory: Callable[[], Any],
    mailer: Sender,
    sms_sender: Sender,
    now: datetime | None = None,
    batch: int = 50,
    clock: Callable[[], datetime] | None = None,
    backoff: Sequence[timedelta] = BACKOFF,
    claim_for: timedelta = CLAIM_DURATION,
    send_timeout: float = SEND_TIMEOUT_SECONDS,
    stop: asyncio.Event | None = None,
    pauses: ChannelPauses | None = None,
) -> int:
    """Deliver the pending messages that are due, each at most once at a time across workers.

    Each row is claimed (claimed_until = now + 2 min) in a committed UPDATE that matches only if the row
    is still pending, due and unclaimed, then sent, then marked sent. The send is cut off well before the
    claim ends (at most half of it, and at most ``send_timeout``), so no other worker can take the row over
    while it is in flight; marking it sent is retried until the claim ends. A failure counts an attempt and
    schedules the next one after 1 min, 5 min, 30 min, 2 h; the 5th failure abandons the message. A
    throttled try (the SMS gateway's 429) counts no attempt: the row waits as long as the gateway asked.
    A crash between sending and marking leaves the claim to expire and the row is sent again, with the same
    Message-ID (SMS: the same id and Idempotency-Key), which is the one duplicate this design allows.

    Args:
        session_factory: Returns a new AsyncSession usable as ``async with`` (an async_sessionmaker).
        mailer: Sends rows of channel "email" (``await mailer.send(msg)``).
        sms_sender: Sends rows of channel "sms".
        now: UTC time (naive, or aware) to use instead of the clock (tests); None reads the clock for
            every step.
        batch: At most this many rows per call.
        clock: Returns the current UTC time (tests run a fast clock); None uses the host's clock corrected
            to the database's (PostgreSQL).
        backoff: Delays before the 2nd, 3rd, … try (tests pass short ones).
        claim_for: How long a claim holds a row.
        send_timeout: Seconds a single send may take (bounded by the claim, see above).
        stop: When set, no further row is claimed; the one in flight is finished (graceful stop).
        pauses: The worker's channel pauses, kept across rounds.

    Returns:
        How many messages were sent.
    """
    if now is not None:
        fixed = _db_time(now)
        read_clock: Callable[[], datetime] = lambda: fixed  # noqa: E731
    elif clock is not None:
        read_clock = lambda: _db_time(clock())  # noqa: E731
    else:
        offset = await _database_offset(session_factory)
        read_clock = lambda: _db_time(utcnow()) + offset  # noqa: E731
    pauses = pauses or ChannelPauses()
    senders = {Channel.EMAIL: mailer, Channel.SMS: sms_sender}
    send_budget = min(send_timeout, claim_for.total_seconds() * CLAIM_SEND_SHARE)

    start = read_clock()
    async with session_factory() as session:
        result = await session.exec(
            select(OutboxMessage.id, OutboxMessage.channel)
            .where(*_due(start))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(batch)
        )
        rows = list(result.all())

    sent = 0
    failures: dict[str, int] = {}
    for row_id, channel in rows:
        if stop is not None and stop.is_set():
            break
        if failures.get(channel, 0) >= CHANNEL_FAILURES_PER_ROUND or pauses.paused(channel):
            continue
        # Claim right before sending, not the whole batch up front: a slow batch must not outlive claims.
        claimed_at = time.monotonic()
        claimed = await _claim(session_factory, row_id, read_clock(), claim_for)
        if claimed is None:
            continue
        msg, claim = claimed
        claim_ends = claimed_at + claim_for.total_seconds()
        try:
            sender = senders.get(msg.channel)
            if sender is None:
                raise ValueError(f"unknown channel {msg.channel!r}")
            # Timed from before the claim, so the claim's own UPDATE (a lock wait) eats into the budget.
            async with asyncio.timeout(max(0.0, send_budget - (time.monotonic() - claimed_at))):
                await sender.send(msg)
        except Exception as exc:  # noqa: BLE001 (any failure of the outside world is retried)
            error = _error_text(exc)
            throttled_for = _retry_after(exc)
            status = await _mark_failed(
                session_factory, msg, claim, read_clock(), error, backoff=backoff, throttled_for=throttled_for
            )
            # Only the row id and channel: bodies carry verification codes that must not reach logs.
            if throttled_for is not None:
                pauses.pause(msg.channel, throttled_for)
                log.warning("outbox %s (%s) throttled, next try in %s: %s", msg.id, msg.channel, throttled_for, error)
                continue
            failures[msg.channel] = failures.get(msg.channel, 0) + 1
            if status == OutboxStatus.ABANDONED:
                log.error("outbox %s (%s) abandoned after %s attempts: %s", msg.id, msg.channel, MAX_ATTEMPTS, error)
            else:
                log.warning("outbox %s (%s) attempt %s failed: %s", msg.id, msg.channel, msg.attempts + 1, error)
            continue
        failures[msg.channel] = 0
        await _mark_sent(session_factory, msg, read_clock(), retry_until=claim_ends)
        sent += 1
        log.info("outbox %s (%s) sent", msg.id, msg.channel)
    return sent


@dataclass(frozen=True)
class Backlog:
    """What the health endpoint reports about the outbox."""

    pending: int  # waiting to be sent, due or not
    oldest_due_seconds: float | None  # how long the oldest due message has been waiting; None when none is due
    retrying: int  # pending after at least one failed attempt
    abandoned: int  # given up after MAX_ATTEMPTS failures


async def backlog(*, session: AsyncSession, now: datetime) -> Backlog:
    """The outbox's backlog, for monitoring.

    Args:
        session: Any session (read only).
        now: The current UTC time.

    Returns:
        Counts of pending, retrying and abandoned messages and the age of the oldest due one.
    """
    at = _db_time(now)
    pending, retrying, oldest = (
        await session.exec(
            select(
                func.count(),
                func.count().filter(OutboxMessage.attempts > 0),
                func.min(OutboxMessage.next_attempt_at).filter(OutboxMessage.next_attempt_at <= at),
            ).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
    ).one()
    abandoned = (await session.exec(select(func.count()).where(OutboxMessage.status == OutboxStatus.ABANDONED))).one()
    age = None if oldest is None else max(0.0, (at - _db_time(oldest)).total_seconds())
    return Backlog(pending=pending, oldest_due_seconds=age, retrying=retrying, abandoned=abandoned)


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


async def run_worker(
    *,
    stop: asyncio.Event | None = None,
    interval: float = 1.0,
    mailer: Sender | None = None,
    sms_sender: Sender | None = None,
    **deliver_options: Any,
) -> None:
    """Deliver the outbox until stop is set (or the task is cancelled); log failures, never raise.

    Meant to run as a Reflex lifespan task and as the ``autogestion worker`` command. Setting stop ends
    the loop after the message in flight (graceful stop); no further row is claimed.

    Args:
        stop: Set it to end the loop; None runs until the task is cancelled.
        interval: Seconds to wait between rounds that found less than a full batch.
        mailer: The e-mail sender; None builds it from the settings.
        sms_sender: The SMS sender; None builds it from the settings.
        **deliver_options: Passed to deliver_due (tests: clock, backoff, claim_for, send_timeout).
    """
    stop = stop or asyncio.Event()
    batch = 50
    pauses = ChannelPauses()
    failing = False
    while not stop.is_set():
        sent = 0
        try:
            if mailer is None or sms_sender is None:
                settings = get_settings()
                mailer = mailer or build_mailer(settings)
                sms_sender = sms_sender or build_sms_sender(settings)
            # Built per round from the current engine, so tests and db.set_engine() are honoured.
            factory = db.get_factory()
            sent = await deliver_due(
                session_factory=factory,
                mailer=mailer,
                sms_sender=sms_sender,
                batch=batch,
                stop=stop,
                pauses=pauses,
                **deliver_options,
            )
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
