"""Faults with nothing lost: the SMTP server down for a while, the SMS gateway answering 500 and 429
(Retry-After), then recovering. Real servers on free ports, the real worker loop (run_worker), short backoff
passed as a parameter; each queued message is delivered exactly once when the server is back."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from autogestion.adapters.mail_sink import start_sink, stop_sink
from autogestion.adapters.sms import FileSmsSender, HttpSmsSender
from autogestion.adapters.smtp import SmtpMailer
from autogestion.models import OutboxMessage, OutboxStatus
from autogestion.services.outbox import enqueue_email, enqueue_sms, run_worker
from tests.integration.outbox_stubs import SmsGateway, delivered_mail, free_port

# 0.2 + 0.4 + 0.8 + 1.6 s before the 5th failure would abandon a message: longer than each outage below.
SHORT_BACKOFF = tuple(timedelta(seconds=s) for s in (0.2, 0.4, 0.8, 1.6))


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


async def rows(session) -> list[OutboxMessage]:
    session.expire_all()
    return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def wait_until_all_sent(session, timeout: float = 20.0) -> list[OutboxMessage]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = await rows(session)
        if all(r.status == OutboxStatus.SENT for r in current):
            return current
        assert not any(r.status == OutboxStatus.ABANDONED for r in current)
        await asyncio.sleep(0.05)
    raise AssertionError([(r.id, r.status, r.attempts, r.last_error) for r in await rows(session)])


async def test_smtp_down_for_a_while_then_back_delivers_every_message_once(engine, session, tmp_path):
    port, maildir = free_port(), tmp_path / "mail"
    queued = [
        enqueue_email(session, to=f"cliente{n}@example.com", subject=f"Aviso {n}", body="Energía San Juan")
        for n in range(20)
    ]
    await session.commit()
    mailer = SmtpMailer("127.0.0.1", port, "", "", "none", "avisos@example.com", "Energía San Juan S.A.")
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_worker(
            stop=stop, interval=0.05, mailer=mailer, sms_sender=FileSmsSender(tmp_path / "sms"), backoff=SHORT_BACKOFF
        )
    )
    try:
        await asyncio.sleep(1.0)  # the outage: nothing listens on the port
        during = await rows(session)
        assert all(r.status == OutboxStatus.PENDING for r in during)
        assert any(r.attempts > 0 for r in during) and all("SMTP" in r.last_error or not r.attempts for r in during)
        # The breaker: a round tries a few, not all 20, so an outage does not burn every message's attempts.
        assert sum(r.attempts for r in during) < 20 * 3

        controller = start_sink("127.0.0.1", port, maildir)
        try:
            sent = await wait_until_all_sent(session)
            await asyncio.sleep(0.5)  # a duplicate would arrive now
            counts = delivered_mail(maildir)
        finally:
            stop_sink(controller)
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=10)

    assert counts == {f"<{m.message_id}@autogestion>": 1 for m in queued}
    assert all(r.sent_at is not None and r.claimed_until is None for r in sent)


async def test_sms_gateway_500_then_429_then_recovering_delivers_every_message_once(engine, session, tmp_path):
    script = [(500, {})] * 4 + [(429, {"Retry-After": "1"})] * 2
    queued = [enqueue_sms(session, to=f"+54926451{n:05d}", text=f"Aviso {n}") for n in range(12)]
    await session.commit()
    stop = asyncio.Event()
    with SmsGateway(script) as gateway:
        worker = asyncio.create_task(
            run_worker(
                stop=stop,
                interval=0.05,
                mailer=None,
                sms_sender=HttpSmsSender(gateway.url, "tok"),
                backoff=SHORT_BACKOFF,
            )
        )
        try:
            sent = await wait_until_all_sent(session)
            await asyncio.sleep(0.5)
        finally:
            stop.set()
            await asyncio.wait_for(worker, timeout=10)
        accepted, log = gateway.accepted, list(gateway.log)

    assert accepted == {m.message_id: 1 for m in queued}
    statuses = [status for _, status, _ in log]
    assert statuses[:6] == [500] * 4 + [429] * 2 and set(statuses[6:]) == {200}
    # Only the 500s count as failed attempts; a throttled try keeps the message's attempts.
    assert sum(r.attempts for r in sent) == 4
    # Retry-After was honoured: after a 429 the worker waited (at least the second) before asking again.
    first_429 = next(i for i, (_, status, _) in enumerate(log) if status == 429)
    assert log[first_429 + 1][0] - log[first_429][0] >= 0.9
