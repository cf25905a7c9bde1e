"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from autogestion import db, models  # noqa: F401
from autogestion.migrations import upgrade_head
from tests.conftest import _drop_pg_database, _make_pg_database, _pg_reachable


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_db_url(request, tmp_path):
    if request.param == "postgres":
        if not await _pg_reachable():
            pytest.skip("PostgreSQL not reachable")
        url = await _make_pg_database()
        yield url
        await _drop_pg_database(url)
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'mig.db'}"


async def test_upgrade_head_matches_models_and_is_idempotent(empty_db_url):
    await asyncio.to_thread(upgrade_head, empty_db_url)
    await asyncio.to_thread(upgrade_head, empty_db_url)  # second run: nothing to do, no error
    engine = db.make_engine(empty_db_url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": False}), SQLModel.metadata
            )
        )
    await engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
