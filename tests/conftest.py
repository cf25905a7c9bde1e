"""Shared fixtures: a fresh database per test on SQLite, and on PostgreSQL where it is reachable."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from autogestion import db, models  # noqa: F401  (registers the tables)

# The running app (`app_server`), shared by tests/security and tests/e2e: one `reflex run` per session.
pytest_plugins = ["tests.harness"]

PG_ADMIN_URL = os.environ.get("AUTOGESTION_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


async def _pg_reachable() -> bool:
    try:
        import asyncpg

        conn = await asyncio.wait_for(asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", "")), timeout=3)
        await conn.close()
        return True
    except Exception:
        return False


@pytest.fixture(autouse=True)
def _test_env(tmp_path, monkeypatch):
    """Every test gets its own data dir and test settings (bcrypt cost 4 keeps unit tests fast)."""
    from autogestion.config import get_settings

    monkeypatch.setenv("AUTOGESTION_ENV", "test")
    monkeypatch.setenv("AUTOGESTION_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("AUTOGESTION_BCRYPT_COST", "4")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("AUTOGESTION_CAPTCHA_TEST_ANSWER", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _make_pg_database() -> str:
    import asyncpg

    name = f"autogestion_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def _drop_pg_database(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request, tmp_path):
    """An engine on a brand-new database with every table, installed as the process engine."""
    if request.param == "postgres":
        if not await _pg_reachable():
            pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} (set AUTOGESTION_TEST_PG_URL)")
        url = await _make_pg_database()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    eng = db.make_engine(url)
    async with eng.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    db.set_engine(eng)
    yield eng
    db.set_engine(None)
    await eng.dispose()
    if request.param == "postgres":
        await _drop_pg_database(url)


@pytest.fixture
async def session(engine):
    """A session on the fresh database (commit explicitly in tests)."""
    factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    async with factory() as s:
        yield s


def _run_order(item) -> int:
    path = str(item.fspath).replace("\\", "/")
    if "/tests/e2e/" in path:
        return 2
    if "/tests/security/" in path:
        return 1
    return 0


def pytest_collection_modifyitems(session, config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread for the
    rest of the session, which async tests after it could not share. The websocket attack tests
    (async, against the same running app) come just before them."""
    items.sort(key=_run_order)
