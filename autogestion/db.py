"""Async database access: one engine per process, sessions from a factory (aiosqlite or asyncpg).

The PostgreSQL pool is sized by AUTOGESTION_DB_POOL_SIZE / _MAX_OVERFLOW (see autogestion/capacity.py for
the formula checked at start) and a request waits at most AUTOGESTION_DB_POOL_TIMEOUT seconds for a free
connection; past that, or when the server cannot be reached, `is_unavailable` recognises the error and
the page shows BUSY_MESSAGE instead of a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from autogestion.config import get_settings
from autogestion.services.errors import RefusedAttempt

_engine: AsyncEngine | None = None
_factory: async_sessionmaker[AsyncSession] | None = None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside the single writer; busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(
    url: str, *, pool_size: int | None = None, max_overflow: int | None = None, pool_timeout: float | None = None
) -> AsyncEngine:
    """An engine for url, with SQLite's pragmas set on every connection.

    PostgreSQL pools default to the settings (AUTOGESTION_DB_POOL_SIZE, _MAX_OVERFLOW, _POOL_TIMEOUT);
    connecting gives up after the same timeout, so an unreachable server fails as fast as a full pool.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    settings = get_settings()
    timeout = settings.db_pool_timeout if pool_timeout is None else pool_timeout
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size if pool_size is None else pool_size,
        max_overflow=settings.db_max_overflow if max_overflow is None else max_overflow,
        pool_timeout=timeout,
        pool_pre_ping=True,
        connect_args={"timeout": max(timeout, 2.0)},
    )


def get_engine() -> AsyncEngine:
    global _engine, _factory
    if _engine is None:
        settings = get_settings()
        if settings.database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        _engine = make_engine(settings.database_url)
        _factory = async_sessionmaker(_engine, class_=AsyncSession, expire_on_commit=False)
    return _engine


def get_factory() -> async_sessionmaker[AsyncSession]:
    """The process's session factory (the only one: tests and the CLI use it too)."""
    get_engine()
    if _factory is None:  # pragma: no cover - get_engine always sets it
        raise RuntimeError("no database engine")
    return _factory


def set_engine(engine: AsyncEngine | None) -> None:
    """Point the process at another engine (tests), or forget the current one (None)."""
    global _engine, _factory
    _engine = engine
    _factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False) if engine else None


@asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    """The unit of work: commits on success, rolls back on any exception but a refused attempt.

    A `RefusedAttempt` (wrong password, code, captcha, quiz answer, unknown supply number) is committed
    before it propagates: the service has counted it, and the count must survive the refusal. Every other
    exception rolls everything back. Services never commit or roll back the session they are handed.
    """
    factory = get_factory()
    session = factory()
    try:
        yield session
    except RefusedAttempt:
        try:
            await session.commit()
        except BaseException:
            await _finish(session, rollback=True)
            raise
        await _finish(session, rollback=False)
        raise
    except BaseException:
        await _finish(session, rollback=True)
        raise
    try:
        await session.commit()
    except BaseException:
        await _finish(session, rollback=True)
        raise
    await _finish(session, rollback=False)


_cleanups: set[asyncio.Task] = set()


async def _finish(session: AsyncSession, *, rollback: bool) -> None:
    """Roll back (if asked) and close in one task that a cancellation of the caller cannot interrupt.

    Reflex cancels a page's pending handler when the tab navigates away, sometimes more than once; the
    rollback and the connection's return to the pool must still run to the end, in order, or the pool
    finds a half-used connection and logs a reset failure.
    """

    async def cleanup() -> None:
        try:
            if rollback:
                await session.rollback()
        finally:
            await session.close()

    task = asyncio.ensure_future(cleanup())
    _cleanups.add(task)  # keep a reference: a task nobody holds may be collected before it ends
    task.add_done_callback(_cleanups.discard)
    await asyncio.shield(task)


def dialect_insert(session):
    """The INSERT construct of the session's database, which has ON CONFLICT (SQLite and PostgreSQL only)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - config.py only accepts these two
        raise RuntimeError(f"unsupported database dialect {name}")
    return insert


BUSY_MESSAGE = "El portal está con mucha demanda. Probá de nuevo en unos segundos."


def _connection_errors() -> tuple[type[BaseException], ...]:
    """The driver's errors that mean "no connection": asyncpg's connection classes when installed."""
    # Not every OSError: a missing document file is a bug, not a busy database.
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError, socket.gaierror]
    try:
        import asyncpg.exceptions as pg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return tuple(errors)
    errors += [
        pg.PostgresConnectionError,  # SQLSTATE class 08: the connection failed or was lost
        pg.OperatorInterventionError,  # class 57: shutdown, restart, cannot connect now
        pg.TooManyConnectionsError,  # 53300: "sorry, too many clients already"
        pg.InterfaceError,  # "connection is closed", "another operation is in progress" after a drop
        pg.InternalClientError,  # "cannot switch to state …": a connection left half-used by a drop
    ]
    return tuple(errors)


_DRIVER_CONNECTION_ERRORS = _connection_errors()
_NETWORK_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED, errno.ETIMEDOUT, errno.ENETDOWN}


def is_unavailable(exception: BaseException) -> bool:
    """Whether exception means the database could not serve the request now (pool exhausted, server down
    or restarting, connection lost, SQLite locked), as opposed to a bug: the caller answers BUSY_MESSAGE.

    SQLAlchemy wraps driver errors (`DBAPIError.orig`, `__cause__`), so the whole chain is looked at.
    """
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.TimeoutError):  # QueuePool: no connection free within pool_timeout
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.InterfaceError):
            return True
        if isinstance(current, sa_exc.OperationalError) and "database is locked" in str(current):
            return True
        if isinstance(current, _DRIVER_CONNECTION_ERRORS):
            return True
        if isinstance(current, OSError) and current.errno in _NETWORK_ERRNOS:
            return True
        context = None if current.__suppress_context__ else current.__context__
        current = getattr(current, "orig", None) or current.__cause__ or context
    return False
