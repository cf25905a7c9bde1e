"""Counting attempts per key over a window (per client, per destination, per user) in the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from autogestion.models import RateEvent
from autogestion.services.errors import RateLimited


async def hit(session, *, key: str, limit: int, window: timedelta, now: datetime, message: str) -> None:
    """Count one attempt for key; raise RateLimited(message) when limit attempts happened within window.

    The refused attempt is not counted, so a patient client gets through once the window moves on.
    """
    since = now - window
    count = (
        await session.execute(select(func.count()).select_from(RateEvent).where(RateEvent.key == key, RateEvent.at > since))
    ).scalar_one()
    if count >= limit:
        raise RateLimited(message)
    session.add(RateEvent(key=key, at=now))


async def purge(session, *, older_than: datetime) -> None:
    """Forget attempts older than any window we use."""
    await session.execute(delete(RateEvent).where(RateEvent.at < older_than))
