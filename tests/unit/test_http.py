"""Private HTTP routes: signed downloads only for the owner's live session; the session cookie endpoints."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from autogestion.clock import utcnow
from autogestion.http import LOGGED_IN_HINT, SESSION_COOKIE, build_api, file_url
from autogestion.models import Invoice, LinkStatus, SupplyLink
from autogestion.services import accounts, sessions
from autogestion.services.demo import seed_demo
from autogestion.services.documents import sign_link, store_upload

T0 = utcnow()


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 180, 160)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
async def world(session):
    a = await accounts.create_active_user(
        session=session,
        doc_type="DNI",
        doc_number="30123456",
        password="Clave.Segura42",
        first_names="Ana",
        last_names="Gómez",
        email="ana@example.com",
        area="264",
        number="4123456",
        now=T0,
    )
    b = await accounts.create_active_user(
        session=session,
        doc_type="DNI",
        doc_number="30999888",
        password="Clave.Segura42",
        first_names="Beto",
        last_names="Ruiz",
        email="beto@example.com",
        area="264",
        number="4999888",
        now=T0,
    )
    doc = await store_upload(session=session, user_id=a, kind="dni", data=jpeg(), filename="dni.jpg")
    info = await seed_demo(session=session)
    session.add(
        SupplyLink(
            user_id=a, supply_number=info.supply_number, is_holder=False, status=LinkStatus.PENDING, created_at=T0
        )
    )
    invoice = (await session.exec(select(Invoice).where(Invoice.supply_number == info.supply_number))).scalars().first()
    tokens = {
        a: await sessions.create_session(session=session, user_id=a, now=T0),
        b: await sessions.create_session(session=session, user_id=b, now=T0),
    }
    await session.commit()
    return {"a": a, "b": b, "doc": doc.id, "invoice": invoice.id, "invoice_number": invoice.number, "tokens": tokens}


def client(cookie: str | None = None) -> httpx.AsyncClient:
    cookies = {SESSION_COOKIE: cookie} if cookie else None
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_api()), base_url="http://localhost:3000", cookies=cookies
    )


async def test_owner_gets_document_with_safe_headers(world):
    url = file_url(sign_link("doc", world["doc"], world["a"]))
    async with client(world["tokens"][world["a"]]) as c:
        response = await c.get(url)
    assert response.status_code == 200 and response.content[:3] == b"\xff\xd8\xff"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert "no-store" in response.headers["cache-control"]


@pytest.mark.parametrize("who", ["other user", "no session", "forged"])
async def test_nobody_else_gets_the_document(world, who):
    token = sign_link("doc", world["doc"], world["a"])
    cookie = {"other user": world["tokens"][world["b"]], "no session": None, "forged": "x" * 43}[who]
    async with client(cookie) as c:
        response = await c.get(file_url(token))
    assert response.status_code == 404 and b"\xff\xd8" not in response.content


async def test_link_signed_for_other_user_or_tampered_refused(world):
    # B signs a link to A's document: the service refuses because B does not own it
    async with client(world["tokens"][world["b"]]) as c:
        assert (await c.get(file_url(sign_link("doc", world["doc"], world["b"])))).status_code == 404
    token = sign_link("doc", world["doc"], world["a"])
    async with client(world["tokens"][world["a"]]) as c:
        assert (await c.get(file_url(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]))).status_code == 404


async def test_invoice_pdf_for_linked_user_only(world):
    async with client(world["tokens"][world["a"]]) as c:
        response = await c.get(file_url(sign_link("invoice", world["invoice"], world["a"])))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "attachment" in response.headers["content-disposition"]
    async with client(world["tokens"][world["b"]]) as c:
        assert (await c.get(file_url(sign_link("invoice", world["invoice"], world["b"])))).status_code == 404


async def test_session_cookie_endpoint(world, session):
    ticket = sessions.issue_ticket(user_id=world["a"], kind="customer", now=utcnow())
    nonce = await sessions.create_claim(session=session, ticket=ticket, client_token="tab-token-abcdef", now=utcnow())
    await session.commit()
    tab = {"X-Client-Token": "tab-token-abcdef", "X-Login-Nonce": nonce}
    same_origin = {"Origin": "http://localhost:3000"}
    async with client() as c:
        evil = await c.post("/api/sesion", headers={**tab, "Origin": "https://evil.example"})
        assert evil.status_code == 403
        no_origin = await c.post("/api/sesion", headers=tab)
        assert no_origin.status_code == 403 and "set-cookie" not in no_origin.headers
        no_nonce = await c.post("/api/sesion", headers={"X-Client-Token": "tab-token-abcdef", **same_origin})
        other_tab = await c.post("/api/sesion", headers={**tab, "X-Client-Token": "tab-token-zzzzzz", **same_origin})
        assert no_nonce.status_code == other_tab.status_code == 401 and "set-cookie" not in other_tab.headers
        ok = await c.post("/api/sesion", headers={**tab, **same_origin})
        assert ok.status_code == 200
        cookies = {h.split("=", 1)[0]: h.lower() for h in ok.headers.get_list("set-cookie")}
        assert set(cookies) == {SESSION_COOKIE, LOGGED_IN_HINT}
        assert "httponly" in cookies[SESSION_COOKIE] and "samesite=strict" in cookies[SESSION_COOKIE]
        # the login page's hint: readable by its script, carries nothing but "1"
        assert cookies[LOGGED_IN_HINT].startswith(f"{LOGGED_IN_HINT}=1;") and "httponly" not in cookies[LOGGED_IN_HINT]
        replay = await c.post("/api/sesion", headers={**tab, **same_origin})
        assert replay.status_code == 401
        token = ok.cookies[SESSION_COOKIE]
    assert await sessions.resolve_session(session=session, token=token, now=utcnow()) == world["a"]
    async with client(token) as c:
        out = await c.delete("/api/sesion", headers=same_origin)
        assert out.status_code == 200
        cleared = {h.split("=", 1)[0]: h.lower() for h in out.headers.get_list("set-cookie")}
        assert set(cleared) == {SESSION_COOKIE, LOGGED_IN_HINT} and all("max-age=0" in h for h in cleared.values())
    assert await sessions.resolve_session(session=session, token=token, now=utcnow()) is None


REDIS_URL = "redis://127.0.0.1:6379/4"


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _redis_up() -> bool:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


async def test_health_reports_database_redis_and_outbox_backlog(engine, session, monkeypatch):
    """Against the real database (SQLite and PostgreSQL) and the real Redis."""
    from datetime import timedelta

    from autogestion.models import OutboxStatus
    from autogestion.services.outbox import enqueue_email

    if not await _redis_up():
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    monkeypatch.setenv("REFLEX_REDIS_URL", REDIS_URL)
    now = utcnow()
    due = enqueue_email(session, to="a@example.com", subject="Aviso", body="x")
    retrying = enqueue_email(session, to="b@example.com", subject="Aviso", body="x")
    enqueue_email(session, to="c@example.com", subject="Aviso", body="x")  # due now
    abandoned = enqueue_email(session, to="d@example.com", subject="Aviso", body="x")
    sent = enqueue_email(session, to="e@example.com", subject="Aviso", body="x")
    due.next_attempt_at = now - timedelta(minutes=10)
    retrying.attempts, retrying.next_attempt_at = 2, now + timedelta(minutes=30)
    abandoned.status, abandoned.attempts = OutboxStatus.ABANDONED, 5
    sent.status = OutboxStatus.SENT
    await session.commit()

    async with client() as c:
        response = await c.get("/api/health")

    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok" and body["database"]["latency_ms"] >= 0
    assert body["redis"]["status"] == "ok" and body["redis"]["latency_ms"] >= 0
    outbox = body["outbox"]
    assert (outbox["pending"], outbox["retrying"], outbox["abandoned"]) == (3, 1, 1)
    assert 600 <= outbox["oldest_due_seconds"] < 660


async def test_health_without_redis_says_not_configured(engine, monkeypatch):
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    async with client() as c:
        response = await c.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["redis"] == {"status": "not configured"}
    assert body["outbox"] == {
        "status": "ok",
        "pending": 0,
        "oldest_due_seconds": None,
        "retrying": 0,
        "abandoned": 0,
    }


async def test_health_is_503_when_the_configured_redis_is_down_and_names_no_secret(engine, monkeypatch):
    monkeypatch.setenv("REFLEX_REDIS_URL", f"redis://:hunter2@127.0.0.1:{closed_port()}/4")
    async with client() as c:
        response = await c.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["database"]["status"] == "ok"
    assert body["redis"]["status"] == "error"
    assert "hunter2" not in response.text and "127.0.0.1" not in response.text


async def test_health_is_503_when_the_database_is_down_and_names_no_secret(monkeypatch):
    from autogestion import db

    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    down = db.make_engine(f"postgresql+asyncpg://portal:hunter2@127.0.0.1:{closed_port()}/autogestion")
    db.set_engine(down)
    try:
        async with client() as c:
            response = await c.get("/api/health")
    finally:
        db.set_engine(None)
        await down.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["database"]["status"] == "error"
    assert body["outbox"] == {"status": "unknown"}
    for secret in ("hunter2", "portal", "127.0.0.1"):
        assert secret not in response.text


def _multipart(files: int, size: int) -> tuple[bytes, str]:
    boundary = "gateboundary"
    parts = []
    for i in range(files):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="f{i}.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
            + b"\xff" * size
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    "files,size,declared,status,detail",
    [
        (1, 1000, True, 200, ""),
        (2, 100, True, 413, "Subí un solo archivo."),
        (1, 5000, True, 413, "El archivo supera los 10 MB. Subí uno más liviano."),  # refused on the header
        (1, 5000, False, 413, "El archivo supera los 10 MB. Subí uno más liviano."),  # counted while streaming
    ],
)
async def test_upload_gate_refuses_big_or_many_files_before_the_app(files, size, declared, status, detail):
    """More than one file, or more bytes than the limit (declared or streamed), never reach Reflex whole."""
    from autogestion.http import UploadGate

    reached: list[int] = []

    async def app(scope, receive, send):
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        reached.append(len(body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    body, content_type = _multipart(files, size)

    async def chunks():
        for start in range(0, len(body), 128):
            yield body[start : start + 128]

    headers = {"Content-Type": content_type}
    if declared:
        headers["Content-Length"] = str(len(body))
    transport = httpx.ASGITransport(app=UploadGate(app, max_body=4000, max_files=1))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:3000") as c:
        response = await c.post("/_upload", content=body if declared else chunks(), headers=headers)
    assert response.status_code == status
    if status == 413:
        assert response.json()["detail"] == detail
        assert not reached or reached[0] < len(body)
    else:
        assert reached == [len(body)]


@pytest.mark.parametrize("failure", ["unavailable", "bug"])
async def test_upload_gate_answers_503_when_the_streamed_handler_loses_the_database(failure):
    """Reflex sends the upload's 200 before its handler runs: a handler that then finds the database gone still
    gets a 503 with the busy message (not the server's bare 500); any other error propagates as before."""
    from sqlalchemy.exc import OperationalError

    from autogestion.db import BUSY_MESSAGE
    from autogestion.http import UploadGate

    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if failure == "unavailable":
            raise OperationalError("SELECT 1", None, ConnectionRefusedError(111, "Connect call failed"))
        raise RuntimeError("a bug")

    body, content_type = _multipart(1, 100)
    transport = httpx.ASGITransport(app=UploadGate(app, max_body=4000, max_files=1))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:3000") as c:
        if failure == "bug":
            with pytest.raises(RuntimeError):
                await c.post("/_upload", content=body, headers={"Content-Type": content_type})
            return
        response = await c.post("/_upload", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 503
    assert response.json()["detail"] == BUSY_MESSAGE
    assert response.headers["retry-after"] == "5"
