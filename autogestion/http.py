"""Private HTTP routes mounted in front of Reflex's backend: health, signed downloads."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from sqlalchemy import text

from autogestion.db import get_engine


async def health(_: Request) -> JSONResponse:
    """Liveness plus a database round trip, for the reverse proxy and monitoring."""
    try:
        async with get_engine().connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def build_api() -> Starlette:
    return Starlette(routes=[Route("/api/health", health)])
