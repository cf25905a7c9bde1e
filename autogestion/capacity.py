"""How many PostgreSQL connections the deployment may open, checked against the server at start.

Every process that talks to the database holds its own pool: each backend worker (`AUTOGESTION_WORKERS`
per host, on `AUTOGESTION_HOSTS` hosts) and each `autogestion worker` outbox process
(`AUTOGESTION_OUTBOX_PROCESSES`). A pool opens up to `AUTOGESTION_DB_POOL_SIZE` connections and, at a
peak, `AUTOGESTION_DB_MAX_OVERFLOW` more. So the deployment needs at most

    needed = (workers × hosts + outbox processes) × (pool size + max overflow) + reserve

where the reserve (`AUTOGESTION_DB_RESERVE`) is what migrations, the CLI, monitoring and psql use, and
PostgreSQL lets ordinary roles have

    allowed = max_connections − superuser_reserved_connections (− reserved_connections on 16+).

The backend (a lifespan task) and `autogestion check-config` refuse to start when needed > allowed, in one
line naming the variables: past that point a burst of visitors gets "sorry, too many clients already".
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from autogestion.config import ConfigError, Settings, get_settings

log = logging.getLogger(__name__)


class CapacityError(ConfigError):
    """The pools of every process together could exceed what the database server allows."""


class ServerUnreachable(CapacityError):
    """PostgreSQL could not be asked its limit (down, wrong address): not a configuration error by itself."""


@dataclass(frozen=True)
class ServerLimits:
    """PostgreSQL's connection limits, as `SHOW` reports them."""

    max_connections: int
    superuser_reserved: int
    reserved: int = 0  # reserved_connections (PostgreSQL 16+, for pg_use_reserved_connections roles)

    @property
    def allowed(self) -> int:
        """Connections an ordinary role (the portal's) may open."""
        return self.max_connections - self.superuser_reserved - self.reserved


def per_process(settings: Settings) -> int:
    """Connections one process's pool may open: its steady size plus its overflow."""
    return settings.db_pool_size + settings.db_max_overflow


def connections_needed(settings: Settings) -> int:
    """The most connections the whole deployment may hold at once (the formula in the module docstring)."""
    return settings.db_processes * per_process(settings) + settings.db_reserve


def largest_pool(settings: Settings, limits: ServerLimits) -> int:
    """The largest pool_size + max_overflow per process that still fits (0 when even the reserve does not)."""
    return max(0, (limits.allowed - settings.db_reserve) // settings.db_processes)


def check(settings: Settings, limits: ServerLimits) -> None:
    """Raise CapacityError, in one line naming the variables, when the pools could exceed the server."""
    needed = connections_needed(settings)
    if needed <= limits.allowed:
        return
    reserved = f"{limits.superuser_reserved} for superusers" + (
        f", {limits.reserved} reserved" if limits.reserved else ""
    )
    raise CapacityError(
        f"too many database connections: (AUTOGESTION_WORKERS={settings.workers} × "
        f"AUTOGESTION_HOSTS={settings.hosts} + AUTOGESTION_OUTBOX_PROCESSES={settings.outbox_processes}) × "
        f"(AUTOGESTION_DB_POOL_SIZE={settings.db_pool_size} + AUTOGESTION_DB_MAX_OVERFLOW="
        f"{settings.db_max_overflow}) + AUTOGESTION_DB_RESERVE={settings.db_reserve} = {needed}, but PostgreSQL "
        f"allows {limits.allowed} (max_connections {limits.max_connections} − {reserved}); lower the pool to "
        f"{largest_pool(settings, limits)} per process, run fewer workers, or raise max_connections"
    )


async def server_limits(database_url: str, *, timeout: float = 10.0) -> ServerLimits:
    """Ask PostgreSQL for its limits over a connection of its own (not taken from any pool)."""
    engine = create_async_engine(database_url, poolclass=NullPool, connect_args={"timeout": timeout})
    try:
        async with engine.connect() as conn:
            max_connections = int((await conn.execute(text("SHOW max_connections"))).scalar_one())
            superuser = int((await conn.execute(text("SHOW superuser_reserved_connections"))).scalar_one())
            reserved = 0
            if conn.dialect.server_version_info >= (16,):
                reserved = int((await conn.execute(text("SHOW reserved_connections"))).scalar_one())
    finally:
        await engine.dispose()
    return ServerLimits(max_connections=max_connections, superuser_reserved=superuser, reserved=reserved)


async def check_database_capacity(settings: Settings | None = None) -> ServerLimits | None:
    """Check the configured pools against the configured PostgreSQL (SQLite has no such limit: None).

    Raises:
        CapacityError: the pools could exceed the server's limit, or the server cannot be asked.
    """
    settings = settings or get_settings()
    if not settings.database_url.startswith("postgresql"):
        return None
    try:
        limits = await server_limits(settings.database_url, timeout=max(settings.db_pool_timeout, 5.0))
    except (OSError, TimeoutError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ServerUnreachable(f"cannot ask PostgreSQL its max_connections (DATABASE_URL): {reason}") from None
    check(settings, limits)
    return limits


@asynccontextmanager
async def refuse_over_capacity():
    """Backend lifespan task: a worker whose deployment could exhaust PostgreSQL does not start.

    The server stops (granian exits when a worker fails its startup) after one ERROR line naming the
    variables. An unreachable database is only a warning here: the health endpoint reports it, and the
    pages answer "El portal está con mucha demanda" until it is back.
    """
    try:
        await check_database_capacity()
    except ServerUnreachable as exc:
        log.warning("capacity not checked: %s", exc)
    except CapacityError as exc:
        log.error("refusing to start: %s", exc)
        raise
    yield
