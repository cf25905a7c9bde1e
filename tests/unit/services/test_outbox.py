"""Outbox service: enqueue in the caller's transaction, claim, send once, retry with backoff, abandon."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from autogestion.clock import utcnow
from autogestion.models import OutboxMessage, OutboxStatus
from autogestion.services import outbox
from autogestion.services.outbox import BACKOFF, deliver_due, enqueue_email, enqueue_sms


class FakeSender:
    """Records what it sends; the first `failures` calls raise."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionError("mail server down")
        self.calls = 0
        self.sent: list[OutboxMessage] = []

    async def send(self, msg: OutboxMessage) -> None:
        self.calls += 1
        await asyncio.sleep(0)  # yield, so concurrent workers really interleave
        if self.failures:
            self.failures -= 1
            raise self.error
        self.sent.append(msg)


def as_utc(moment: datetime | None) -> datetime | None:
    """Aware UTC (columns hand back aware values; a naive one means UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@pytest.fixture
def factory(engine):
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def _rows(session: AsyncSession) -> list[OutboxMessage]:
    session.expire_all()  # read what the workers committed, not the identity map
    return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_enqueue_commit_then_deliver_sends_once(session, factory):
    enqueue_email(session, to="ana@example.com", subject="Alta", body="Bienvenida", user_id=7)
    enqueue_sms(session, to="+5492645123456", text="Código 123456")
    await session.commit()
    mailer, sms = FakeSender(), FakeSender()

    assert await deliver_due(session_factory=factory, mailer=mailer, sms_sender=sms) == 2
    assert await deliver_due(session_factory=factory, mailer=mailer, sms_sender=sms) == 0

    assert [m.recipient for m in mailer.sent] == ["ana@example.com"]
    assert [m.recipient for m in sms.sent] == ["+5492645123456"]
    for row in await _rows(session):
        assert row.status == OutboxStatus.SENT
        assert row.sent_at is not None
        assert row.claimed_until is None
        assert row.attempts == 0
    assert (await _rows(session))[0].user_id == 7


async def test_rollback_leaves_no_message(session, factory):
    enqueue_email(session, to="ana@example.com", subject="Alta", body="Bienvenida")
    await session.rollback()
    mailer = FakeSender()

    assert await deliver_due(session_factory=factory, mailer=mailer, sms_sender=FakeSender()) == 0
    assert mailer.calls == 0
    assert await _rows(session) == []


async def test_not_yet_due_is_not_sent(session, factory):
    enqueue_email(session, to="ana@example.com", subject="Alta", body="x")
    await session.commit()
    mailer = FakeSender()

    sent = await deliver_due(
        session_factory=factory, mailer=mailer, sms_sender=FakeSender(), now=utcnow() - timedelta(minutes=1)
    )

    assert sent == 0 and mailer.calls == 0


async def test_two_failures_then_success_delivers_exactly_once_with_backoff(session, factory):
    row = enqueue_email(session, to="ana@example.com", subject="Alta", body="x")
    await session.commit()
    mailer = FakeSender(failures=2)
    t0 = utcnow()

    async def run(at):
        return await deliver_due(session_factory=factory, mailer=mailer, sms_sender=FakeSender(), now=at)

    assert await run(t0) == 0
    [row] = await _rows(session)
    assert (row.status, row.attempts, as_utc(row.next_attempt_at), row.claimed_until) == (
        OutboxStatus.PENDING,
        1,
        t0 + timedelta(minutes=1),
        None,
    )
    assert row.last_error == "ConnectionError: mail server down"

    assert await run(t0 + timedelta(seconds=59)) == 0  # backoff not over
    assert mailer.calls == 1

    t1 = t0 + timedelta(minutes=1)
    assert await run(t1) == 0
    [row] = await _rows(session)
    assert (row.attempts, as_utc(row.next_attempt_at)) == (2, t1 + timedelta(minutes=5))

    t2 = t1 + timedelta(minutes=5)
    assert await run(t2) == 1
    assert await run(t2 + timedelta(days=1)) == 0
    [row] = await _rows(session)
    assert (row.status, as_utc(row.sent_at), row.attempts, row.last_error) == (OutboxStatus.SENT, t2, 2, "")
    assert mailer.calls == 3 and len(mailer.sent) == 1


async def test_five_failures_abandon_the_message(session, factory):
    enqueue_email(session, to="ana@example.com", subject="Alta", body="x")
    await session.commit()
    mailer = FakeSender(failures=100)
    at = utcnow()

    for attempt in range(1, 6):
        assert await deliver_due(session_factory=factory, mailer=mailer, sms_sender=FakeSender(), now=at) == 0
        [row] = await _rows(session)
        assert row.attempts == attempt
        if attempt < 5:
            assert row.status == OutboxStatus.PENDING
            assert as_utc(row.next_attempt_at) == at + BACKOFF[attempt - 1]
            at = as_utc(row.next_attempt_at)
    assert row.status == OutboxStatus.ABANDONED
    assert row.sent_at is None and row.claimed_until is None

    assert (
        await deliver_due(session_factory=factory, mailer=mailer, sms_sender=FakeSender(), now=at + timedelta(days=30))
        == 0
    )
    assert mailer.calls == 5


async def test_backoff_schedule_is_the_documented_one():
    assert BACKOFF == (
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
    )
    assert outbox.MAX_ATTEMPTS == 5


async def test_concurrent_workers_never_send_a_row_twice(session, factory):
    for n in range(20):
        enqueue_email(session, to=f"u{n}@example.com", subject=f"Aviso {n}", body="x")
        enqueue_sms(session, to=f"+54926451{n:05d}", text="x")
    await session.commit()
    mailer, sms = FakeSender(), FakeSender()
    at = utcnow()

    results = await asyncio.gather(
        *(deliver_due(session_factory=factory, mailer=mailer, sms_sender=sms, now=at) for _ in range(4))
    )

    assert sum(results) == 40
    sent_ids = [m.id for m in mailer.sent + sms.sent]
    assert len(sent_ids) == 40 and len(set(sent_ids)) == 40
    assert all(row.status == OutboxStatus.SENT for row in await _rows(session))


async def test_crash_after_send_resends_with_the_same_message_id(session, factory):
    row = enqueue_email(session, to="ana@example.com", subject="Alta", body="x")
    await session.commit()
    seen: list[str] = []

    class CrashAfterSend:
        async def send(self, msg):
            seen.append(msg.message_id)
            raise asyncio.CancelledError  # the worker dies before it can mark the row sent

    t0 = utcnow()
    with pytest.raises(asyncio.CancelledError):
        await deliver_due(session_factory=factory, mailer=CrashAfterSend(), sms_sender=FakeSender(), now=t0)
    [stored] = await _rows(session)
    assert stored.status == OutboxStatus.PENDING and as_utc(stored.claimed_until) == t0 + timedelta(minutes=2)

    mailer = FakeSender()
    assert (
        await deliver_due(
            session_factory=factory, mailer=mailer, sms_sender=FakeSender(), now=t0 + timedelta(minutes=1)
        )
        == 0
    )
    assert (
        await deliver_due(
            session_factory=factory, mailer=mailer, sms_sender=FakeSender(), now=t0 + timedelta(minutes=3)
        )
        == 1
    )
    assert seen == [mailer.sent[0].message_id] == [row.message_id]


async def test_last_error_is_one_line_truncated_and_without_secrets(session, factory):
    enqueue_email(session, to="ana@example.com", subject="Alta", body="x")
    await session.commit()
    error = RuntimeError(
        "cannot reach smtp://relay:hunter2@mail.example.com?token=s3cr3t\nAuthorization: Bearer abc.def " + "z" * 900
    )

    await deliver_due(session_factory=factory, mailer=FakeSender(failures=1, error=error), sms_sender=FakeSender())

    [row] = await _rows(session)
    assert row.last_error.startswith("RuntimeError: cannot reach smtp://***@")
    for secret in ("hunter2", "s3cr3t", "abc.def", "\n"):
        assert secret not in row.last_error
    assert len(row.last_error) == outbox.MAX_ERROR_CHARS


async def test_unknown_channel_counts_as_a_failure(session, factory):
    now = outbox._db_time(utcnow())
    session.add(OutboxMessage(channel="fax", recipient="x", body="x", created_at=now, next_attempt_at=now))
    await session.commit()

    assert await deliver_due(session_factory=factory, mailer=FakeSender(), sms_sender=FakeSender()) == 0
    [row] = await _rows(session)
    assert row.attempts == 1 and "unknown channel" in row.last_error


async def test_batch_limits_one_round(session, factory):
    for n in range(5):
        enqueue_email(session, to=f"u{n}@example.com", subject="x", body="x")
    await session.commit()
    mailer = FakeSender()

    assert await deliver_due(session_factory=factory, mailer=mailer, sms_sender=FakeSender(), batch=2) == 2
    assert await deliver_due(session_factory=factory, mailer=mailer, sms_sender=FakeSender(), batch=10) == 3


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("ana@example.com\r\nBcc: x@evil.test", "Alta"),
        ("ana@example.com", "Alta\nBcc: x@evil.test"),
        ("", "Alta"),
        ("ana@example.com", "x" * 201),
    ],
)
def test_enqueue_email_refuses_malformed_headers(to, subject):
    class NoSession:
        def add(self, _row):
            raise AssertionError("nothing may be added")

    with pytest.raises(ValueError):
        enqueue_email(NoSession(), to=to, subject=subject, body="x")


@pytest.mark.parametrize("to", ["2645123456", "+54 9 264 512-3456", "+549264５123456", ""])
def test_enqueue_sms_requires_e164(to):
    with pytest.raises(ValueError):
        enqueue_sms(None, to=to, text="x")


async def test_run_worker_delivers_survives_errors_and_stops(engine, session, monkeypatch):
    enqueue_email(session, to="ana@example.com", subject="Alta", body="x")
    await session.commit()
    mailer = FakeSender()
    monkeypatch.setattr(outbox, "build_mailer", lambda settings: mailer)
    real_deliver = outbox.deliver_due
    rounds = {"n": 0}

    async def flaky_deliver(**kwargs):
        rounds["n"] += 1
        if rounds["n"] == 1:
            raise OSError("database restarting")
        return await real_deliver(**kwargs)

    monkeypatch.setattr(outbox, "deliver_due", flaky_deliver)
    stop = asyncio.Event()
    task = asyncio.create_task(outbox.run_worker(stop=stop, interval=0.01))
    for _ in range(500):
        if mailer.sent:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=5)

    assert rounds["n"] >= 2
    assert len(mailer.sent) == 1
    assert task.exception() is None


async def test_codes_leave_the_database_once_delivered(session, factory):
    """The code is sent in clear, then only a redacted copy stays in the outbox (Notificaciones reads it)."""
    enqueue_email(
        session,
        to="ana@example.com",
        subject="Tu código de verificación: 012345",
        body="Tu código de verificación es: 012345\nSuministro 2000380655",
        user_id=7,
    )
    enqueue_sms(session, to="+5492645123456", text="Energía: tu código es 987654.", user_id=7)
    await session.commit()
    mailer, sms = FakeSender(), FakeSender()
    assert await deliver_due(session_factory=factory, mailer=mailer, sms_sender=sms) == 2
    assert "012345" in mailer.sent[0].body and "987654" in sms.sent[0].body
    rows = await _rows(session)
    assert all(row.status == OutboxStatus.SENT for row in rows)
    assert "012345" not in rows[0].subject + rows[0].body and "987654" not in rows[1].body
    assert "2000380655" in rows[0].body  # longer numbers are not codes


async def test_abandoned_messages_are_redacted_too(session, factory):
    enqueue_sms(session, to="+5492645123456", text="Energía: tu código es 987654.", user_id=7)
    await session.commit()
    at = utcnow()
    for _attempt in range(outbox.MAX_ATTEMPTS):
        await deliver_due(session_factory=factory, mailer=FakeSender(), sms_sender=FakeSender(failures=1), now=at)
        at += timedelta(days=1)
    [row] = await _rows(session)
    assert row.status == OutboxStatus.ABANDONED and "987654" not in row.body


def test_redaction_spares_numbers_inside_links_and_tokens():
    text = "Tu código es 012345. Link: https://portal/suministros/desconocer/Ab_123456-x9 y 0012-01024322"
    assert outbox.redact_codes(text) == (
        "Tu código es ••••••. Link: https://portal/suministros/desconocer/Ab_123456-x9 y 0012-01024322"
    )


async def test_a_send_never_outlives_its_claim_so_no_other_worker_sends_it_meanwhile(session, factory):
    """A send that hangs is cut off at half the claim, whatever the send timeout says: the row is marked
    failed while the claim still stands, so another worker polling all along never sends it at the same
    time, and the retry sends it exactly once."""
    row = enqueue_email(session, to="ana@example.com", subject="Alta", body="x")
    await session.commit()
    claim_for = timedelta(seconds=1)
    sending: list[tuple[str, float, float | None]] = []  # (who, started, ended) of each send

    class Hangs:
        def __init__(self, name: str, hang: float) -> None:
            self.name, self.hang = name, hang

        async def send(self, msg):
            entry = [self.name, time.monotonic(), None]
            sending.append(entry)
            try:
                await asyncio.sleep(self.hang)
            finally:
                entry[2] = time.monotonic()

    options = dict(claim_for=claim_for, send_timeout=30.0, backoff=(timedelta(0),) * 4)
    first = asyncio.create_task(
        deliver_due(session_factory=factory, mailer=Hangs("first", 10), sms_sender=FakeSender(), **options)
    )
    while not sending:  # the first worker has claimed the row and is stuck sending it
        await asyncio.sleep(0.01)
    other = Hangs("other", 0)
    sent_by_other = 0
    deadline = time.monotonic() + 5
    while not sent_by_other and time.monotonic() < deadline:
        sent_by_other += await deliver_due(session_factory=factory, mailer=other, sms_sender=FakeSender(), **options)
        await asyncio.sleep(0.05)
    assert await first == 0

    (_, hung_start, hung_end), (who, retry_start, _) = sending
    assert who == "other" and sent_by_other == 1 and len(sending) == 2
    assert hung_end - hung_start <= claim_for.total_seconds() * outbox.CLAIM_SEND_SHARE + 0.2
    assert retry_start >= hung_end  # never two sends of the same row at once
    [stored] = await _rows(session)
    assert stored.status == OutboxStatus.SENT and stored.attempts == 1 and stored.message_id == row.message_id


async def test_stop_finishes_the_message_in_flight_and_claims_no_other(session, factory):
    for n in range(3):
        enqueue_email(session, to=f"u{n}@example.com", subject="Aviso", body="x")
    await session.commit()
    stop = asyncio.Event()

    class StopsWhileSending:
        sent: list[int] = []

        async def send(self, msg):
            stop.set()  # SIGTERM arrives while this message is in flight
            await asyncio.sleep(0.05)
            self.sent.append(msg.id)

    mailer = StopsWhileSending()
    assert await deliver_due(session_factory=factory, mailer=mailer, sms_sender=FakeSender(), stop=stop) == 1
    first, *others = await _rows(session)
    assert first.status == OutboxStatus.SENT and mailer.sent == [first.id]
    assert all(r.status == OutboxStatus.PENDING and r.claimed_until is None and r.attempts == 0 for r in others)


async def test_a_throttled_try_waits_as_asked_and_counts_no_attempt(session, factory):
    from autogestion.adapters.sms import SmsGatewayError

    for n in range(3):
        enqueue_sms(session, to=f"+54926451{n:05d}", text="x")
    await session.commit()
    at = utcnow()
    sms = FakeSender(failures=1, error=SmsGatewayError("HTTP 429", throttled=True, retry_after=120))
    pauses = outbox.ChannelPauses()

    assert await deliver_due(session_factory=factory, mailer=FakeSender(), sms_sender=sms, now=at, pauses=pauses) == 0
    throttled, *untouched = await _rows(session)
    assert throttled.attempts == 0 and as_utc(throttled.next_attempt_at) == as_utc(at) + timedelta(seconds=120)
    assert sms.calls == 1 and pauses.paused("sms") and not pauses.paused("email")  # the rest waits too
    assert all(r.attempts == 0 and r.status == OutboxStatus.PENDING for r in untouched)


def test_retry_after_is_bounded():
    from autogestion.adapters.sms import SmsGatewayError

    def wait(seconds):
        return outbox._retry_after(SmsGatewayError("x", throttled=True, retry_after=seconds))

    assert wait(None) == outbox.THROTTLE_DEFAULT
    assert (wait(0), wait(30), wait(10**9)) == (outbox.THROTTLE_MIN, timedelta(seconds=30), outbox.THROTTLE_MAX)
    assert outbox._retry_after(SmsGatewayError("HTTP 500")) is None


async def test_a_dead_channel_costs_a_round_a_few_tries_not_one_per_message(session, factory):
    for n in range(10):
        enqueue_email(session, to=f"u{n}@example.com", subject="Aviso", body="x")
        enqueue_sms(session, to=f"+54926451{n:05d}", text="x")
    await session.commit()
    mailer, sms = FakeSender(failures=100), FakeSender()

    assert await deliver_due(session_factory=factory, mailer=mailer, sms_sender=sms) == 10
    assert mailer.calls == outbox.CHANNEL_FAILURES_PER_ROUND and len(sms.sent) == 10
