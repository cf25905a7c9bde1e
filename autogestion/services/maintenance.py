"""Housekeeping run by the backend every hour: orphan files, stale registrations and expired rows."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import Captcha, LoginClaim
from autogestion.services import accounts, documents, throttle

log = logging.getLogger(__name__)
INTERVAL_S = 3600
COUNTS_KEPT = timedelta(days=9)


@dataclass(frozen=True)
class Swept:
    orphan_files: int
    unfinished_registrations: int


async def sweep(*, now: datetime | None = None) -> Swept:
    """One pass: orphan uploads, registrations left half-way 7 days, old captchas, claims and counters."""
    now = now or utcnow()
    async with session_scope() as db:
        files = await documents.sweep_orphans(session=db, now=now)
    async with session_scope() as db:
        users = await accounts.purge_unfinished(session=db, now=now)
        await db.exec(delete(Captcha).where(Captcha.expires_at < now - timedelta(hours=1)))
        await db.exec(delete(LoginClaim).where(LoginClaim.expires_at < now - timedelta(hours=1)))
        # Kept past the longest window any count uses (the quiz's lock for everyone: 7 days).
        await throttle.purge(session=db, older_than=now - COUNTS_KEPT)
    return Swept(orphan_files=files, unfinished_registrations=users)


async def run_forever(*, stop: asyncio.Event, interval: float = INTERVAL_S) -> None:
    """sweep() every interval seconds until stop is set; errors are logged, never raised."""
    while not stop.is_set():
        try:
            swept = await sweep()
            if swept.orphan_files or swept.unfinished_registrations:
                log.info("maintenance: %s", swept)
        except Exception:
            log.exception("maintenance pass failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
