"""The outbox worker as its own process: three `autogestion worker` processes and two in-process workers
(what each backend worker runs as its lifespan task) share one PostgreSQL outbox; a few hundred messages
reach a real SMTP sink and an HTTP SMS gateway exactly once each. SIGTERM stops a worker after the message
in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from autogestion import db
from autogestion.adapters.mail_sink import MaildirSink, start_sink, stop_sink
from autogestion.config import get_settings
from autogestion.migrations import upgrade_head_async
from autogestion.models import OutboxMessage, OutboxStatus
from autogestion.services.outbox import enqueue_email, enqueue_sms, run_worker
from tests.conftest import _drop_pg_database, _make_pg_database, _pg_reachable
from tests.integration.outbox_stubs import SmsGateway, delivered_mail, free_port

WORKER = [sys.executable, "-m", "autogestion.cli", "worker", "--interval", "0.2"]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def migrated_db(request, tmp_path):
    """A migrated database the child processes can open: PostgreSQL (the several-hosts case) or SQLite."""
    if request.param == "postgres":
        if not await _pg_reachable():
            pytest.skip("PostgreSQL not reachable")
        url = await _make_pg_database()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'workers.db'}"
    await upgrade_head_async(url)
    engine = db.make_engine(url)
    db.set_engine(engine)
    yield url, async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    db.set_engine(None)
    await engine.dispose()
    if request.param == "postgres":
        await _drop_pg_database(url)


def worker_env(url: str, data_dir: Path, smtp_port: int, sms_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "AUTOGESTION_ENV": "test",
        "AUTOGESTION_DATA_DIR": str(data_dir),
        "DATABASE_URL": url,
        "AUTOGESTION_SMTP_PORT": str(smtp_port),
        "AUTOGESTION_SMTP_SINK": "false",
        "AUTOGESTION_SMS_GATEWAY_URL": sms_url,
        "PYTHONUNBUFFERED": "1",
    }


async def statuses(factory) -> list[tuple[str, int]]:
    async with factory() as session:
        return list((await session.exec(select(OutboxMessage.status, OutboxMessage.attempts))).all())


@pytest.mark.parametrize("migrated_db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_three_worker_processes_and_two_backends_send_each_message_exactly_once(migrated_db, tmp_path):
    url, factory = migrated_db
    smtp_port, maildir = free_port(), tmp_path / "mail"
    controller = start_sink("127.0.0.1", smtp_port, maildir)
    emails, sms = 200, 100
    with SmsGateway() as gateway:
        env = worker_env(url, tmp_path / "var", smtp_port, gateway.url)
        logs = [open(tmp_path / f"worker{n}.log", "w") for n in range(3)]  # noqa: SIM115 (closed below)
        processes = [subprocess.Popen(WORKER, env=env, stdout=log, stderr=subprocess.STDOUT) for log in logs]
        get_settings.cache_clear()
        os.environ.update({"AUTOGESTION_SMTP_PORT": str(smtp_port), "AUTOGESTION_SMS_GATEWAY_URL": gateway.url})
        stop = asyncio.Event()
        backends = [asyncio.create_task(run_worker(stop=stop, interval=0.2)) for _ in range(2)]
        ids: list[tuple[str, str]] = []
        try:
            # In waves, while every worker is polling: claims really race.
            for wave in range(10):
                async with factory() as session:
                    rows = [
                        enqueue_email(session, to=f"c{wave}-{n}@example.com", subject=f"Aviso {wave}-{n}", body="x")
                        for n in range(emails // 10)
                    ] + [enqueue_sms(session, to=f"+5492645{wave:02d}{n:04d}", text="x") for n in range(sms // 10)]
                    await session.commit()
                    ids += [(r.channel, r.message_id) for r in rows]
                await asyncio.sleep(0.1)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                current = await statuses(factory)
                if all(status == OutboxStatus.SENT for status, _ in current):
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # a duplicate would arrive now
            mail_counts, sms_counts = delivered_mail(maildir), dict(gateway.accepted)
        finally:
            stop.set()
            await asyncio.wait(backends, timeout=10)
            for process in processes:
                process.send_signal(signal.SIGTERM)
            exit_codes = [process.wait(timeout=30) for process in processes]
            for log in logs:
                log.close()
            stop_sink(controller)
            os.environ.pop("AUTOGESTION_SMS_GATEWAY_URL", None)
            os.environ.pop("AUTOGESTION_SMTP_PORT", None)
            get_settings.cache_clear()

    outputs = [(tmp_path / f"worker{n}.log").read_text() for n in range(3)]
    assert exit_codes == [0, 0, 0], outputs
    assert all("Traceback" not in out for out in outputs), outputs
    assert all(status == OutboxStatus.SENT and attempts == 0 for status, attempts in await statuses(factory))
    assert mail_counts == {f"<{mid}@autogestion>": 1 for channel, mid in ids if channel == "email"}
    assert sms_counts == {mid: 1 for channel, mid in ids if channel == "sms"}
    assert len(mail_counts) == emails and len(sms_counts) == sms
    # The work was shared: at least two of the three processes sent something.
    assert sum("sent" in out for out in outputs) >= 2, outputs


class SlowSink(MaildirSink):
    """Takes its time over each message and says when one has started."""

    def __init__(self, path: Path, started: Path) -> None:
        super().__init__(path)
        self.started = started

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.started.touch()
        await asyncio.sleep(1.5)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.parametrize("migrated_db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_sigterm_lets_the_worker_finish_the_message_in_flight(migrated_db, tmp_path):
    url, factory = migrated_db
    async with factory() as session:
        for n in range(3):
            enqueue_email(session, to=f"c{n}@example.com", subject=f"Aviso {n}", body="x")
        await session.commit()
    port, maildir, started = free_port(), tmp_path / "mail", tmp_path / "started"
    controller = Controller(SlowSink(maildir, started), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        process = subprocess.Popen(
            WORKER,
            env=worker_env(url, tmp_path / "var", port, ""),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert started.exists(), process.communicate(timeout=5)[0] if process.poll() is not None else "no send"
        process.send_signal(signal.SIGTERM)  # while the first message is in the sink's hands
        output, _ = await asyncio.to_thread(process.communicate, timeout=30)
    finally:
        controller.stop()

    assert process.returncode == 0, output
    assert "outbox worker stopped" in output and "Traceback" not in output
    assert len(delivered_mail(maildir)) == 1
    async with factory() as session:
        rows = list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())
    assert rows[0].status == OutboxStatus.SENT
    assert all(r.status == OutboxStatus.PENDING and r.attempts == 0 and r.claimed_until is None for r in rows[1:])
