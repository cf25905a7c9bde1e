"""Real SMTP to the aiosmtpd Maildir sink, the HTTP SMS sender against a local server, and the outbox end to end."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from autogestion.adapters.mail_sink import read_maildir, read_sms_outbox, start_sink, stop_sink
from autogestion.adapters.sms import FileSmsSender, HttpSmsSender, SmsGatewayError
from autogestion.adapters.smtp import SmtpMailer
from autogestion.clock import utcnow
from autogestion.config import get_settings, load_settings
from autogestion.models import OutboxMessage, OutboxStatus
from autogestion.services.outbox import build_mailer, build_sms_sender, deliver_due, enqueue_email

SENDER = "avisos@energiasanjuan.com.ar"
BRAND = "Energía San Juan S.A."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def maildir_files(path: Path) -> list[Path]:
    return [p for sub in ("new", "cur") if (path / sub).is_dir() for p in (path / sub).iterdir()]


def mailer_for(port: int) -> SmtpMailer:
    return SmtpMailer("127.0.0.1", port, "", "", "none", SENDER, BRAND)


def row(**overrides) -> OutboxMessage:
    now = utcnow()
    values = dict(
        channel="email",
        recipient="ana@example.com",
        subject="Código de verificación",
        body="Hola Ana,\nTu código es 123456.\nEnergía San Juan",
        message_id="abc123def456",
        created_at=now,
        next_attempt_at=now,
    )
    return OutboxMessage(**(values | overrides))


@pytest.fixture
def sink(tmp_path):
    """A running SMTP sink on a free port: yields (port, maildir path)."""
    port, path = free_port(), tmp_path / "var" / "mail"
    controller = start_sink("127.0.0.1", port, path)
    yield port, path
    stop_sink(controller)


# --- SMTP ------------------------------------------------------------------------------------------


async def test_smtp_mailer_delivers_utf8_mail_to_the_maildir_sink(sink):
    port, path = sink

    await mailer_for(port).send(row())

    [mail] = read_maildir(path)
    assert mail["to"] == "ana@example.com"
    assert mail["subject"] == "Código de verificación"
    assert "Energía San Juan" in mail["body"] and "123456" in mail["body"]
    assert mail["message_id"] == "<abc123def456@autogestion>"
    assert BRAND in mail["from"] and SENDER in mail["from"]
    assert datetime.fromisoformat(mail["date"]).tzinfo is not None


async def test_read_maildir_lists_newest_first(sink):
    port, path = sink
    for n in range(3):
        await mailer_for(port).send(row(subject=f"Aviso {n}", message_id=f"m{n}"))

    assert [m["subject"] for m in read_maildir(path)] == ["Aviso 2", "Aviso 1", "Aviso 0"]


def test_read_maildir_of_a_missing_folder_is_empty(tmp_path):
    assert read_maildir(tmp_path / "nothing") == []


@pytest.mark.parametrize(
    "overrides", [{"recipient": "ana@example.com\r\nBcc: x@evil.test"}, {"subject": "Hola\nBcc: x@evil.test"}]
)
async def test_smtp_mailer_refuses_line_breaks_in_headers(overrides, sink):
    port, path = sink
    with pytest.raises(ValueError):
        await mailer_for(port).send(row(**overrides))
    assert read_maildir(path) == []


def test_smtp_mailer_rejects_unknown_tls_mode_and_hides_password():
    with pytest.raises(ValueError):
        SmtpMailer("h", 25, "u", "p", "ssl", SENDER, BRAND)
    assert "hunter2" not in repr(SmtpMailer("h", 25, "u", "hunter2", "tls", SENDER, BRAND))


# --- SMS -------------------------------------------------------------------------------------------


class FakeGateway:
    """A minimal HTTP/1.1 server on asyncio streams that records requests and answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[dict] = []
        self.server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/sms"

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        headers = {}
        for line in header_lines:
            if line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append({"line": request_line, "headers": headers, "body": body})
        payload = b'{"ok": true}'
        writer.write(
            f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            f"Connection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        writer.close()


def sms_row() -> OutboxMessage:
    return row(
        channel="sms",
        recipient="+5492645123456",
        subject="",
        body="Energía San Juan: tu código es 654321",
        message_id="sms0001",
    )


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # httpx honours proxy variables; the local fake gateway must be reached directly.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


async def test_http_sms_sender_posts_json_with_bearer_token():
    gateway = FakeGateway()
    async with gateway as url:
        await HttpSmsSender(url, "tok-123").send(sms_row())

    [request] = gateway.requests
    assert request["line"] == "POST /sms HTTP/1.1"
    assert request["headers"]["authorization"] == "Bearer tok-123"
    assert request["headers"]["content-type"] == "application/json"
    assert json.loads(request["body"]) == {
        "to": "+5492645123456",
        "text": "Energía San Juan: tu código es 654321",
        "id": "sms0001",
    }


async def test_http_sms_sender_without_token_sends_no_authorization():
    gateway = FakeGateway()
    async with gateway as url:
        await HttpSmsSender(url, "").send(sms_row())
    assert "authorization" not in gateway.requests[0]["headers"]


@pytest.mark.parametrize("status", [500, 429, 302])
async def test_http_sms_sender_raises_on_non_2xx(status):
    async with FakeGateway(status=status) as url:
        with pytest.raises(SmsGatewayError) as caught:
            await HttpSmsSender(url, "tok-123").send(sms_row())
    assert str(status) in str(caught.value)
    assert "tok-123" not in str(caught.value) and "127.0.0.1" not in str(caught.value)


async def test_http_sms_sender_raises_when_gateway_is_down():
    with pytest.raises(SmsGatewayError):
        await HttpSmsSender(f"http://127.0.0.1:{free_port()}/sms", "tok").send(sms_row())


async def test_file_sms_sender_appends_json_lines_read_newest_first():
    settings = get_settings()
    sender = build_sms_sender(settings)
    assert isinstance(sender, FileSmsSender)

    await sender.send(sms_row())
    await sender.send(row(channel="sms", recipient="+5492645000000", body="segundo", message_id="sms0002"))

    lines = settings.sms_outbox.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["text"] == "Energía San Juan: tu código es 654321"
    newest, oldest = read_sms_outbox(settings.sms_outbox)
    assert (newest["to"], newest["text"], newest["id"]) == ("+5492645000000", "segundo", "sms0002")
    assert oldest["id"] == "sms0001"
    assert datetime.fromisoformat(newest["at"]).tzinfo is not None


def test_read_sms_outbox_skips_a_torn_line_and_a_missing_file(tmp_path):
    assert read_sms_outbox(tmp_path / "none.jsonl") == []
    path = tmp_path / "outbox.jsonl"
    path.write_text('{"to": "+5492645123456", "text": "a", "id": "1", "at": "x"}\n{"to": "+54', encoding="utf-8")
    assert [r["id"] for r in read_sms_outbox(path)] == ["1"]


def test_build_sms_sender_uses_the_gateway_when_configured(tmp_path):
    settings = load_settings(
        {
            "AUTOGESTION_ENV": "test",
            "AUTOGESTION_DATA_DIR": str(tmp_path),
            "AUTOGESTION_SMS_GATEWAY_URL": "https://sms.example/api",
            "AUTOGESTION_SMS_GATEWAY_TOKEN": "t",
        }
    )
    sender = build_sms_sender(settings)
    assert isinstance(sender, HttpSmsSender) and sender.url == "https://sms.example/api"
    assert isinstance(build_mailer(settings), SmtpMailer)


# --- outbox end to end -----------------------------------------------------------------------------


async def test_outbox_survives_an_smtp_outage_and_delivers_each_mail_once(engine, session, tmp_path):
    factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    port, maildir = free_port(), tmp_path / "var" / "mail"
    mailer = mailer_for(port)
    for n in range(3):
        enqueue_email(session, to=f"cliente{n}@example.com", subject=f"Aviso {n}", body=f"Energía San Juan {n}")
    await session.commit()
    t0 = utcnow()

    # Nothing listens on the port: every send fails, nothing is lost.
    assert (
        await deliver_due(session_factory=factory, mailer=mailer, sms_sender=FileSmsSender(tmp_path / "s"), now=t0) == 0
    )
    session.expire_all()
    rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(r.status, r.attempts) for r in rows] == [(OutboxStatus.PENDING, 1)] * 3
    assert all(as_utc(r.next_attempt_at) > as_utc(t0) for r in rows)
    assert all(r.last_error for r in rows)

    controller = start_sink("127.0.0.1", port, maildir)
    try:
        later = t0 + timedelta(days=1)
        assert (
            await deliver_due(
                session_factory=factory, mailer=mailer, sms_sender=FileSmsSender(tmp_path / "s"), now=later
            )
            == 3
        )
        assert len(maildir_files(maildir)) == 3
        assert (
            await deliver_due(
                session_factory=factory,
                mailer=mailer,
                sms_sender=FileSmsSender(tmp_path / "s"),
                now=later + timedelta(days=1),
            )
            == 0
        )
        assert len(maildir_files(maildir)) == 3
    finally:
        stop_sink(controller)

    session.expire_all()
    rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert all(r.status == OutboxStatus.SENT for r in rows)
    mails = read_maildir(maildir)
    assert sorted(m["message_id"] for m in mails) == sorted(f"<{r.message_id}@autogestion>" for r in rows)
    assert {m["subject"] for m in mails} == {"Aviso 0", "Aviso 1", "Aviso 2"}


async def test_crash_after_smtp_send_resends_the_same_message_id(engine, session, sink):
    factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    port, maildir = sink
    real = mailer_for(port)

    class CrashAfterSend:
        async def send(self, msg):
            await real.send(msg)
            raise asyncio.CancelledError  # the worker is killed before it marks the row sent

    enqueue_email(session, to="ana@example.com", subject="Alta de usuario", body="Bienvenida a Energía San Juan")
    await session.commit()
    t0 = utcnow()
    with pytest.raises(asyncio.CancelledError):
        await deliver_due(session_factory=factory, mailer=CrashAfterSend(), sms_sender=None, now=t0)
    assert await deliver_due(session_factory=factory, mailer=real, sms_sender=None, now=t0 + timedelta(minutes=3)) == 1

    first, second = read_maildir(maildir)
    assert first["message_id"] == second["message_id"]
    assert first["date"] == second["date"] and first["body"] == second["body"]
