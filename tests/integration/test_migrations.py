"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
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


# Indexes on expressions ("priority DESC") cannot be compared by Alembic: their names are checked instead.
EXPRESSION_INDEXES = {"ix_review_queue", "ix_review_kind_queue"}


def _comparable(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


async def test_upgrade_head_matches_models_and_is_idempotent(empty_db_url):
    await asyncio.to_thread(upgrade_head, empty_db_url)
    await asyncio.to_thread(upgrade_head, empty_db_url)  # second run: nothing to do, no error
    engine = db.make_engine(empty_db_url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": False, "include_object": _comparable}),
                SQLModel.metadata,
            )
        )
        indexes = await conn.run_sync(lambda sync: {i["name"] for i in inspect(sync).get_indexes("review_items")})
    await engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert EXPRESSION_INDEXES <= indexes
