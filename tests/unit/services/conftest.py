"""Fixtures of the supplies tests: the demo billing data and three customers (helpers in supply_helpers.py)."""

from __future__ import annotations

import pytest

from autogestion.models import User
from autogestion.services.demo import seed_demo
from tests.unit.services.supply_helpers import TODAY, make_user


@pytest.fixture
async def demo(session):
    info = await seed_demo(session=session, today=TODAY)
    await session.commit()
    return info


@pytest.fixture
async def juan(session, demo) -> User:
    return await make_user(session, "20123456", "Juan", "Perez")


@pytest.fixture
async def maria(session, demo) -> User:
    return await make_user(session, "27345678", "María Fernanda", "Gómez")


@pytest.fixture
async def pedro(session, demo) -> User:
    return await make_user(session, "30111222", "Pedro", "Lucero")
