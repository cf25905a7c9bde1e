"""Private HTTP routes: signed downloads only for the owner's live session; the session cookie endpoints."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from autogestion.clock import utcnow
from autogestion.http import SESSION_COOKIE, build_api, file_url
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
        set_cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "ag_sid=" in set_cookie
        replay = await c.post("/api/sesion", headers={**tab, **same_origin})
        assert replay.status_code == 401
        token = ok.cookies[SESSION_COOKIE]
    assert await sessions.resolve_session(session=session, token=token, now=utcnow()) == world["a"]
    async with client(token) as c:
        out = await c.delete("/api/sesion", headers=same_origin)
        assert out.status_code == 200
    assert await sessions.resolve_session(session=session, token=token, now=utcnow()) is None


async def test_health(engine):
    async with client() as c:
        response = await c.get("/api/health")
    assert response.json() == {"status": "ok"}


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
