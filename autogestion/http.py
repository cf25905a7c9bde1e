"""Private HTTP routes mounted in front of Reflex's backend: health and signed, authorised downloads.

Uploaded documents never live under Reflex's public /_upload folder; they are streamed from here only
to the logged-in owner holding a fresh signed link (5 minutes), never cached, never sniffed.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from autogestion.clock import utcnow
from autogestion.config import get_settings
from autogestion.db import get_engine, session_scope
from autogestion.services import sessions
from autogestion.services.documents import open_document_for_user, verify_link
from autogestion.services.errors import DomainError
from autogestion.services.supplies import invoice_pdf_for_user

log = logging.getLogger(__name__)
SESSION_COOKIE = "ag_sid"
SESSION_API = "/api/sesion"
FILE_ROUTE = "/api/archivo/{token}"


def file_url(token: str) -> str:
    """The address of a signed download (see services.documents.sign_link)."""
    return f"/api/archivo/{token}"


async def health(_: Request) -> JSONResponse:
    """Liveness plus a database round trip, for the reverse proxy and monitoring."""
    try:
        async with get_engine().connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})


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
    """A document or invoice PDF for the owner: valid signed link AND the same user's live session."""
    denied = PlainTextResponse("No encontrado.", status_code=404, headers={"Cache-Control": "no-store"})
    try:
        kind, object_id, user_id = verify_link(request.path_params.get("token", ""))
    except DomainError:
        return denied
    async with session_scope() as db:
        viewer = await sessions.resolve_session(db, token=request.cookies.get(SESSION_COOKIE, ""), now=utcnow())
        if viewer != user_id:
            log.warning("download refused: link of user %s, session of %s", user_id, viewer)
            return denied
        try:
            if kind == "doc":
                path, content_type, name = await open_document_for_user(session=db, user_id=user_id, document_id=object_id)
                inline = content_type in ("image/jpeg", "image/png")
                return FileResponse(path, media_type=content_type,
                                    headers=_safe_headers(_disposition("inline" if inline else "attachment", name)))
            if kind == "invoice":
                pdf, name = await invoice_pdf_for_user(session=db, user_id=user_id, invoice_id=object_id)
                return Response(pdf, media_type="application/pdf", headers=_safe_headers(_disposition("attachment", name)))
        except DomainError:
            return denied
    return denied


def _same_origin(request: Request) -> bool:
    # The session endpoints change state: refuse cross-site callers (the cookie is SameSite=Strict too).
    origin = request.headers.get("origin")
    return origin is None or origin == get_settings().base_url or origin == f"{request.url.scheme}://{request.url.netloc}"


async def open_session(request: Request) -> Response:
    """Redeem this tab's login claim: mint the session and set it as an HttpOnly cookie."""
    if not _same_origin(request):
        return PlainTextResponse("Origen no permitido.", status_code=403)
    async with session_scope() as db:
        minted = await sessions.redeem_claim(db, client_token=request.headers.get("x-client-token", ""), now=utcnow())
    if minted is None:
        return JSONResponse({"ok": False}, status_code=401, headers={"Cache-Control": "no-store"})
    token, _kind = minted
    response = JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(sessions.ABSOLUTE_TIMEOUT.total_seconds()), path="/", httponly=True,
        samesite="strict", secure=get_settings().base_url.startswith("https://"),
    )
    return response


async def close_session(request: Request) -> Response:
    """Logout's second half: revoke (again, idempotent) and clear the cookie."""
    if not _same_origin(request):
        return PlainTextResponse("Origen no permitido.", status_code=403)
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        async with session_scope() as db:
            await sessions.revoke_session(db, token=token, now=utcnow())
    response = JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def build_api() -> Starlette:
    return Starlette(routes=[
        Route("/api/health", health),
        Route(SESSION_API, open_session, methods=["POST"]),
        Route(SESSION_API, close_session, methods=["DELETE"]),
        Route(FILE_ROUTE, download),
    ])
