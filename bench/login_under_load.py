"""Benchmark: logins at bcrypt cost 12 (8 per second) beside another user's trivial events, in one event loop.

Prints login p50/p95 and the p95 of the trivial event (a session lookup, what every page event does
first). bcrypt runs in a thread, so the trivial event must stay fast. Uses a throwaway SQLite database.
Run: `.venv/bin/python bench/login_under_load.py [seconds] [logins per second]` (default: 8/s, then 3/s).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def main(seconds: float, rate: float) -> None:
    tmp = tempfile.mkdtemp(prefix="bench-login-")
    from autogestion.config import get_settings

    get_settings.cache_clear()
    os.environ.update(AUTOGESTION_ENV="test", AUTOGESTION_DATA_DIR=tmp, AUTOGESTION_BCRYPT_COST="12")
    from sqlmodel import SQLModel

    from autogestion import db
    from autogestion.clock import utcnow
    from autogestion.services import accounts, sessions

    db.set_engine(None)
    engine = db.get_engine()
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    async with db.session_scope() as s:
        user_id = await accounts.create_active_user(
            session=s,
            doc_type="DNI",
            doc_number="30123456",
            password="Clave.Segura42",
            first_names="Ana",
            last_names="Gómez",
            email="ana@example.com",
            area="264",
            number="4123456",
            now=utcnow(),
        )
        token = await sessions.create_session(session=s, user_id=user_id, now=utcnow())

    login_times: list[float] = []
    event_times: list[float] = []
    stop = time.monotonic() + seconds

    async def one_login() -> None:
        t = time.perf_counter()
        async with db.session_scope() as s:
            await accounts.authenticate(
                session=s, doc_type="DNI", doc_number="30123456", password="Clave.Segura42", now=utcnow()
            )
        login_times.append((time.perf_counter() - t) * 1000)

    async def logins() -> None:
        tasks = []
        while time.monotonic() < stop:
            tasks.append(asyncio.create_task(one_login()))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)

    async def trivial_events() -> None:
        while time.monotonic() < stop:
            t = time.perf_counter()
            async with db.session_scope() as s:
                await sessions.resolve_session(session=s, token=token, now=utcnow())
            event_times.append((time.perf_counter() - t) * 1000)
            await asyncio.sleep(0.02)

    await asyncio.gather(logins(), trivial_events())
    await engine.dispose()
    print(f"bcrypt cost 12, {len(login_times)} logins at {rate:g}/s over {seconds:.0f} s on {os.cpu_count()} cores")
    print(f"login            p50 {statistics.median(login_times):7.1f} ms   p95 {pct(login_times, 0.95):7.1f} ms")
    print(
        f"trivial event    p50 {statistics.median(event_times):7.1f} ms   p95 {pct(event_times, 0.95):7.1f} ms"
        f"   ({len(event_times)} events; target p95 < 50 ms)"
    )


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    for rate in (float(sys.argv[2]),) if len(sys.argv) > 2 else (8, 3):
        asyncio.run(main(seconds, rate))
