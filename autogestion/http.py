"""Private HTTP routes mounted in front of Reflex's backend (health, login cookie, signed downloads) and
the upload gate.

Uploaded documents never live under Reflex's public /_upload folder; they are streamed from here only
to the logged-in owner holding a fresh signed link (5 minutes), never cached, never sniffed. Upload
requests themselves pass `UploadGate` first, which refuses an oversized body or more than one file
before Reflex spools anything to disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import re
import time
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from autogestion.adapters.documents import MAX_UPLOAD_BYTES
from autogestion.client import security_event
from autogestion.clock import utcnow
from autogestion.config import get_settings
from autogestion.db import BUSY_MESSAGE, is_unavailable, session_scope
from autogestion.models import SessionKind
from autogestion.services import operators, sessions
from autogestion.services.documents import open_document_for_operator, open_document_for_user, verify_link
from autogestion.services.errors import DomainError
from autogestion.services.invoices import invoice_pdf_for_user
from autogestion.services.payments import WEBHOOK_PATH

log = logging.getLogger(__name__)
SESSION_COOKIE = "ag_sid"
# Not a credential ("1", readable by the page's script): this browser got a customer session. The login
# page has no on_load (a crowd opening it would pay a server event each); only a browser with this hint,
# or with errors on screen, asks the server (LoginState.load) whether to skip the form. ag_sid stays HttpOnly.
LOGGED_IN_HINT = "ag_in"
OPERATOR_COOKIE = "ag_op"  # operators' sessions: never the same cookie as a customer's
SESSION_API = "/api/sesion"
FILE_ROUTE = "/api/archivo/{token}"


def file_url(token: str) -> str:
    """The address of a signed download (see services.documents.sign_link)."""
    return f"/api/archivo/{token}"


HEALTH_TIMEOUT_SECONDS = 3.0
REDIS_URL_VARIABLE = "REFLEX_REDIS_URL"


async def _database_health() -> tuple[dict, dict]:
    """A round trip to the database (its latency) and the outbox backlog, read in the same session."""
    from sqlmodel import select

    from autogestion.db import get_factory
    from autogestion.services import outbox

    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            async with get_factory()() as db:
                started = time.perf_counter()
                await db.exec(select(1))
                latency = (time.perf_counter() - started) * 1000
                backlog = await outbox.backlog(session=db, now=utcnow())
    except Exception as exc:  # only the kind of failure: a driver's text may name hosts and users
        return {"status": "error", "error": type(exc).__name__}, {"status": "unknown"}
    oldest = backlog.oldest_due_seconds
    return (
        {"status": "ok", "latency_ms": round(latency, 2)},
        {
            "status": "ok",
            "pending": backlog.pending,
            "oldest_due_seconds": None if oldest is None else round(oldest, 1),
            "retrying": backlog.retrying,
            "abandoned": backlog.abandoned,
        },
    )


async def _redis_health(url: str) -> dict:
    """PING the Redis Reflex keeps its state in ("not configured" without REFLEX_REDIS_URL: one worker, no
    Redis)."""
    if not url:
        return {"status": "not configured"}
    import redis.asyncio as redis

    client = None
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            client = redis.from_url(url, socket_connect_timeout=HEALTH_TIMEOUT_SECONDS)
            started = time.perf_counter()
            await client.ping()
            latency = (time.perf_counter() - started) * 1000
    except Exception as exc:  # the URL may hold a password: never echo it or the driver's text
        return {"status": "error", "error": type(exc).__name__}
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()
    return {"status": "ok", "latency_ms": round(latency, 2)}


async def health(_: Request) -> JSONResponse:
    """The portal's health for the reverse proxy and monitoring: database, Redis, outbox backlog.

    200 when the database answers and Redis (if configured) too, otherwise 503. The body names no host,
    user or password: only statuses, latencies, counts and the kind of failure. Reflex's own `/_health`
    checks only Redis here (the database is ours, not Reflex's `db_url`): monitor this one.
    """
    (database, backlog), redis_status = await asyncio.gather(
        _database_health(), _redis_health(os.environ.get(REDIS_URL_VARIABLE, "").strip())
    )
    healthy = database["status"] == "ok" and redis_status["status"] != "error"
    return JSONResponse(
        {"status": "ok" if healthy else "error", "database": database, "redis": redis_status, "outbox": backlog},
        status_code=200 if healthy else 503,
        headers={"Cache-Control": "no-store"},
    )


def _disposition(kind: str, filename: str) -> str:
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in filename) or "archivo"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _safe_headers(disposition: str) -> dict[str, str]:
    return {
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        "Cache-Control": "no-store, private",
        "Referrer-Policy": "no-referrer",
    }


async def download(request: Request) -> Response:
    """A document or invoice PDF for the owner: valid signed link AND the same user's live session.

    An "opdoc" link is a document for an operator reviewing it: valid signed link AND the same operator's
    live operator session (`ag_op`); images and PDFs inline, so the review page can show them.
    """
    denied = PlainTextResponse("No encontrado.", status_code=404, headers={"Cache-Control": "no-store"})
    try:
        kind, object_id, user_id = verify_link(request.path_params.get("token", ""))
    except DomainError:
        return denied
    async with session_scope() as db:
        if kind == "opdoc":
            who = await operators.resolve_operator(
                session=db, token=request.cookies.get(OPERATOR_COOKIE, ""), now=utcnow()
            )
            if who is None or who.id != user_id:
                log.warning("download refused: link of operator %s, session of %s", user_id, who.id if who else None)
                return denied
            try:
                path, content_type, name = await open_document_for_operator(session=db, document_id=object_id)
            except DomainError:
                return denied
            inline = content_type in ("image/jpeg", "image/png", "application/pdf")
            return FileResponse(
                path,
                media_type=content_type,
                headers=_safe_headers(_disposition("inline" if inline else "attachment", name)),
            )
        viewer = await sessions.resolve_session(session=db, token=request.cookies.get(SESSION_COOKIE, ""), now=utcnow())
        if viewer != user_id:
            log.warning("download refused: link of user %s, session of %s", user_id, viewer)
            return denied
        try:
            if kind == "doc":
                path, content_type, name = await open_document_for_user(
                    session=db, user_id=user_id, document_id=object_id
                )
                inline = content_type in ("image/jpeg", "image/png")
                return FileResponse(
                    path,
                    media_type=content_type,
                    headers=_safe_headers(_disposition("inline" if inline else "attachment", name)),
                )
            if kind == "invoice":
                pdf, name = await invoice_pdf_for_user(session=db, user_id=user_id, invoice_id=object_id)
                return Response(
                    pdf, media_type="application/pdf", headers=_safe_headers(_disposition("attachment", name))
                )
        except DomainError:
            return denied
    return denied


def _same_origin(request: Request) -> bool:
    # The session endpoints change state: refuse cross-site callers and callers that send no Origin at
    # all (browsers always send it on a fetch POST/DELETE; the cookie is SameSite=Strict too).
    origin = request.headers.get("origin")
    return origin is not None and (
        origin == get_settings().base_url or origin == f"{request.url.scheme}://{request.url.netloc}"
    )


async def open_session(request: Request) -> Response:
    """Redeem this tab's login claim (its Reflex token and the nonce the login handed it): mint the session
    and set it as an HttpOnly cookie — `ag_sid` for a customer, `ag_op` for an operator (the claim's kind
    comes from the login ticket), so the two kinds of session never share a cookie."""
    if not _same_origin(request):
        return PlainTextResponse("Origen no permitido.", status_code=403)
    async with session_scope() as db:
        minted = await sessions.redeem_claim(
            session=db,
            client_token=request.headers.get("x-client-token", ""),
            nonce=request.headers.get("x-login-nonce", ""),
            now=utcnow(),
        )
    if minted is None:
        security_event("claim_refused", peer=request.client.host if request.client else "")
        return JSONResponse({"ok": False}, status_code=401, headers={"Cache-Control": "no-store"})
    token, kind = minted
    cookie = OPERATOR_COOKIE if kind == SessionKind.OPERATOR else SESSION_COOKIE
    response = JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})
    lasting = {
        "max_age": int(sessions.ABSOLUTE_TIMEOUT.total_seconds()),
        "path": "/",
        "samesite": "strict",
        "secure": get_settings().base_url.startswith("https://"),
    }
    response.set_cookie(cookie, token, httponly=True, **lasting)
    if cookie == SESSION_COOKIE:
        response.set_cookie(LOGGED_IN_HINT, "1", **lasting)
    return response


async def close_session(request: Request) -> Response:
    """Logout's second half: revoke (again, idempotent) and clear one cookie.

    `DELETE /api/sesion` ends the customer session (`ag_sid`); `DELETE /api/sesion?tipo=operador` ends
    the operator session (`ag_op`). The other cookie, if any, is left alone: a customer's "Salir" never
    logs an operator out of the same browser, nor the other way round.
    """
    if not _same_origin(request):
        return PlainTextResponse("Origen no permitido.", status_code=403)
    cookie = OPERATOR_COOKIE if request.query_params.get("tipo") == "operador" else SESSION_COOKIE
    token = request.cookies.get(cookie, "")
    if token:
        async with session_scope() as db:
            await sessions.revoke_session(session=db, token=token, now=utcnow())
    response = JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})
    response.delete_cookie(cookie, path="/", httponly=True, samesite="strict")
    if cookie == SESSION_COOKIE:
        response.delete_cookie(LOGGED_IN_HINT, path="/", samesite="strict")
    return response


MAX_WEBHOOK_BODY = 16 * 1024
_MP_DATA_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


async def mercadopago_webhook(request: Request) -> Response:
    """Mercado Pago's notification: check `x-signature`, read the payment back from Mercado Pago, apply it.

    A bad or missing signature is refused with 401 and changes nothing. The body is only used to find the
    payment id (`data.id`, from the query string as Mercado Pago signs it, else from the JSON body); the
    payment itself is asked to Mercado Pago. An unknown payment is answered 200 (nothing to retry); when
    Mercado Pago cannot be reached the answer is 502, so it notifies again later.
    """
    from autogestion.adapters.payments import MERCADOPAGO, ProviderError, build_provider, verify_mp_signature
    from autogestion.services import payments

    settings = get_settings()
    if settings.payments != MERCADOPAGO:
        return PlainTextResponse("No encontrado.", status_code=404)
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_WEBHOOK_BODY:
            return PlainTextResponse("Demasiado grande.", status_code=413)
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    data_id = str(request.query_params.get("data.id") or request.query_params.get("id") or data.get("id") or "")
    topic = str(request.query_params.get("type") or request.query_params.get("topic") or body.get("type") or "")
    peer = request.client.host if request.client else ""
    if not _MP_DATA_ID.fullmatch(data_id) or not verify_mp_signature(
        secret=settings.mp_webhook_secret,
        header=request.headers.get("x-signature", ""),
        request_id=request.headers.get("x-request-id", ""),
        data_id=data_id,
    ):
        security_event("payment_webhook_refused", peer=peer, reason="bad signature")
        return JSONResponse({"ok": False}, status_code=401)
    if topic and topic != "payment":
        return JSONResponse({"ok": True, "ignored": topic[:40]})
    try:
        reported = await build_provider(settings).get_payment(data_id)
    except ProviderError as exc:
        log.warning("mercadopago payment %s could not be read: %s", data_id, exc)
        return JSONResponse({"ok": False}, status_code=502)
    if reported is None:
        log.info("mercadopago notified an unknown payment %s", data_id)
        return JSONResponse({"ok": True})
    async with session_scope() as db:
        outcome = await payments.apply_provider_payment(
            session=db, reported=reported, provider_name=MERCADOPAGO, now=utcnow()
        )
    log.info("mercadopago payment %s: %s", data_id, outcome)
    return JSONResponse({"ok": True})


def unavailable_as_503(endpoint, *, as_json: bool = True):
    """Wrap endpoint: no database connection (pool timeout, server down) answers 503 with the Spanish
    BUSY_MESSAGE and Retry-After, in one log line; any other error propagates as before."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("database unavailable on %s: %s", request.url.path, type(exc).__name__)
            headers = {"Retry-After": "5", "Cache-Control": "no-store"}
            if as_json:
                return JSONResponse({"ok": False, "detail": BUSY_MESSAGE}, status_code=503, headers=headers)
            return PlainTextResponse(BUSY_MESSAGE, status_code=503, headers=headers)

    return guarded


def build_api() -> Starlette:
    return Starlette(
        routes=[
            Route("/api/health", health),
            Route(SESSION_API, unavailable_as_503(open_session), methods=["POST"]),
            Route(SESSION_API, unavailable_as_503(close_session), methods=["DELETE"]),
            Route(FILE_ROUTE, unavailable_as_503(download, as_json=False)),
            Route(WEBHOOK_PATH, unavailable_as_503(mercadopago_webhook), methods=["POST"]),
        ]
    )


UPLOAD_PATH = "/_upload"
# A multipart body is the file plus a few headers and the event arguments.
MAX_UPLOAD_BODY = MAX_UPLOAD_BYTES + 64 * 1024
TOO_BIG = "El archivo supera los 10 MB. Subí uno más liviano."
ONE_FILE = "Subí un solo archivo."


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UploadGate:
    """ASGI middleware for Reflex's upload endpoint: one file, at most MAX_UPLOAD_BODY bytes.

    Reflex has no server-side limit: it would spool any body to disk before a handler could refuse it.
    The gate refuses a declared Content-Length over the limit at once, and counts the bytes and the file
    parts of a body as they stream in, answering 413 as soon as either is over.
    """

    def __init__(self, app, *, max_body: int = MAX_UPLOAD_BODY, max_files: int = 1) -> None:
        self.app = app
        self.max_body = max_body
        self.max_files = max_files

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not scope.get("path", "").startswith(UPLOAD_PATH)
        ):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body:
            await self._refuse(send, TOO_BIG)
            return
        received, files, tail = 0, 0, b""
        refused: list[str] = []
        started = False

        async def counting_receive():
            nonlocal received, files, tail
            message = await receive()
            if message["type"] == "http.request" and not refused:
                chunk = message.get("body", b"")
                received += len(chunk)
                window = tail + chunk
                files += window.count(b"; filename=") - tail.count(b"; filename=")
                tail = window[-16:]
                if received > self.max_body:
                    refused.append(TOO_BIG)
                elif files > self.max_files:
                    refused.append(ONE_FILE)
                if refused:
                    return {"type": "http.disconnect"}
            return message

        held_start: list[dict] = []

        async def guarded_send(message):
            nonlocal started
            if refused:
                return  # the app's answer to the cut-off body is replaced by ours below
            if message["type"] == "http.response.start":
                # Reflex streams the upload's state updates: its 200 goes out before the handler runs. Hold it
                # until the first body chunk, so a handler that fails before answering still gets our 503.
                held_start.append(message)
                return
            started = True
            while held_start:
                await send(held_start.pop(0))
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception as exc:
            # The upload's handler could not reach the database (server restarting, pool exhausted): a clear
            # 503 rather than the server's bare 500 and a traceback.
            if started or not is_unavailable(exc):
                raise
            log.warning("upload refused, database unavailable: %s", type(exc).__name__)
            response = JSONResponse({"detail": BUSY_MESSAGE}, status_code=503, headers={"Retry-After": "5"})
            await response({"type": "http"}, _no_receive, send)
            return
        if refused and not started:
            await self._refuse(send, refused[0])
        elif held_start:  # an answer without a body (never seen from Reflex): send its start as it was
            await send(held_start.pop(0))

    @staticmethod
    async def _refuse(send, message: str) -> None:
        security_event("upload_refused", reason=message)
        response = JSONResponse({"detail": message}, status_code=413, headers={"Connection": "close"})
        await response({"type": "http"}, _no_receive, send)


async def _no_receive():  # pragma: no cover - a JSONResponse never reads the request
    return {"type": "http.disconnect"}


def transformers() -> list:
    """What rx.App(api_transformer=...) gets: the private routes, then the upload gate around everything."""
    return [build_api(), UploadGate]
