"""session_scope: commits, rolls back, keeps refused attempts, and always returns the connection."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from autogestion import db
from autogestion.clock import utcnow
from autogestion.models import RateEvent
from autogestion.services.errors import DomainError, RefusedAttempt, ValidationError, WrongCredentials


async def _count() -> int:
    async with db.session_scope() as s:
        return (await s.exec(select(func.count(RateEvent.id)))).one()


async def test_commit_rollback_and_refused_attempts(engine):
    async with db.session_scope() as s:
        s.add(RateEvent(key="a", at=utcnow()))
    with pytest.raises(RuntimeError):
        async with db.session_scope() as s:
            s.add(RateEvent(key="b", at=utcnow()))
            raise RuntimeError
    # A refused attempt keeps what was counted; any other domain error rolls everything back.
    for refused in (RefusedAttempt("no"), WrongCredentials("no")):
        with pytest.raises(RefusedAttempt):
            async with db.session_scope() as s:
                s.add(RateEvent(key="c", at=utcnow()))
                raise refused
    for other in (DomainError("no"), ValidationError("no")):
        with pytest.raises(DomainError):
            async with db.session_scope() as s:
                s.add(RateEvent(key="d", at=utcnow()))
                raise other
    assert await _count() == 3
    assert engine.pool.checkedout() == 0


async def test_cancelled_caller_still_returns_the_connection(engine):
    started = asyncio.Event()

    async def slow() -> None:
        async with db.session_scope() as s:
            s.add(RateEvent(key="x", at=utcnow()))
            await s.flush()
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(slow())
    await started.wait()
    task.cancel()
    task.cancel()  # Reflex may cancel twice
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(50):
        if engine.pool.checkedout() == 0:
            break
        await asyncio.sleep(0.02)
    assert engine.pool.checkedout() == 0
    assert await _count() == 0
    async with db.session_scope() as s:
        assert (await s.exec(text("SELECT 1"))).scalar_one() == 1


async def test_postgres_pool_is_sized_from_the_settings(monkeypatch):
    from autogestion.config import get_settings

    monkeypatch.setenv("AUTOGESTION_DB_POOL_SIZE", "3")
    monkeypatch.setenv("AUTOGESTION_DB_MAX_OVERFLOW", "2")
    monkeypatch.setenv("AUTOGESTION_DB_POOL_TIMEOUT", "1.5")
    get_settings.cache_clear()
    engine = db.make_engine("postgresql+asyncpg://portal@db.invalid/portal")  # nothing connects yet
    try:
        pool = engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 2, 1.5)
        explicit = db.make_engine("postgresql+asyncpg://portal@db.invalid/portal", pool_size=1, max_overflow=0)
        assert (explicit.pool.size(), explicit.pool._max_overflow) == (1, 0)
        await explicit.dispose()
    finally:
        await engine.dispose()
