"""Counting attempts per key over a window (per client IP, per destination, per user) in the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import select

from autogestion.models import RateEvent
from autogestion.services.errors import RateLimited


async def count(*, session, key: str, window: timedelta, now: datetime) -> int:
    """How many attempts were counted for key within window."""
    return (
        await session.exec(select(func.count(RateEvent.id)).where(RateEvent.key == key, RateEvent.at > now - window))
    ).one()


async def hit(*, session, key: str, limit: int, window: timedelta, now: datetime, message: str) -> None:
    """Count one attempt for key; raise RateLimited(message) when limit attempts happened within window.

    The refused attempt is not counted, so a patient client gets through once the window moves on.
    """
    if await count(session=session, key=key, window=window, now=now) >= limit:
        raise RateLimited(message)
    session.add(RateEvent(key=key, at=now))


async def forget(*, session, key: str) -> None:
    """Drop every count of key (an operator lifting a lock)."""
    await session.exec(delete(RateEvent).where(RateEvent.key == key))


async def purge(*, session, older_than: datetime) -> None:
    """Forget attempts older than any window we use."""
    await session.exec(delete(RateEvent).where(RateEvent.at < older_than))
