"""Alembic environment: async engine from autogestion's settings; PostgreSQL runs under an advisory lock."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlmodel import SQLModel

from alembic import context
from autogestion import models  # noqa: F401  (registers the tables)
from autogestion.config import get_settings
from autogestion.db import make_engine

target_metadata = SQLModel.metadata
_LOCK_ID = 7_402_113  # any constant: serialises concurrent `migrate` runs (several backend workers)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    url = context.config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    async with engine.connect() as connection:
        is_pg = connection.dialect.name == "postgresql"
        if is_pg:
            await connection.execute(text(f"SELECT pg_advisory_lock({_LOCK_ID})"))
            await connection.commit()
        try:
            await connection.run_sync(_run)
            await connection.commit()
        finally:
            if is_pg:
                await connection.execute(text(f"SELECT pg_advisory_unlock({_LOCK_ID})"))
                await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `autogestion migrate`.")
asyncio.run(_run_async())
