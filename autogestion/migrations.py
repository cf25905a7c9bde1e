"""Apply the Alembic migrations shipped with the project (used by `autogestion migrate` and tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.config import Config

from alembic import command

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade_head(database_url: str | None = None) -> None:
    """Bring the database to the newest schema (idempotent). Runs its own event loop: call from a thread."""
    command.upgrade(alembic_config(database_url), "head")


async def upgrade_head_async(database_url: str | None = None) -> None:
    await asyncio.to_thread(upgrade_head, database_url)
