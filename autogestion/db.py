"""Async database access: one engine per process, sessions from a factory (aiosqlite or asyncpg)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
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


def make_engine(url: str) -> AsyncEngine:
    """An engine for url, with SQLite's pragmas set on every connection."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    return engine


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
