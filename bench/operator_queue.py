"""Benchmark: the operator's queue with 50,000 pending items on PostgreSQL (figures, not a test).

Creates a fresh PostgreSQL database (127.0.0.1:5432, trust, user postgres; AUTOGESTION_BENCH_PG_URL overrides),
fills it by COPY with 50,000 customers, 50,000 pending review items (DNI photos and poderes, deadlines spread
over two weeks, some overdue, a few disputed) and 20,000 resolved ones (for the counters), then times what
the /operador page's handler runs — `review.queue_page` (first page + counters), and with a search, a kind
filter and the overdue filter — 200 times each, and prints p50 / p95 / p99. The goal: p95 under 100 ms.
Run: `.venv/bin/python bench/operator_queue.py [pending]` (default 50000).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

PG_ADMIN_URL = os.environ.get("AUTOGESTION_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
RUNS = 200


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def main(pending: int) -> None:
    import asyncpg
    from sqlmodel import SQLModel

    from autogestion import db, models  # noqa: F401
    from autogestion.services import review

    name = f"autogestion_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        engine = db.make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        db.set_engine(engine)
        raw = await asyncpg.connect(url.replace("+asyncpg", ""))
        t0 = time.perf_counter()
        users = [
            (
                i,
                "DNI",
                str(20_000_000 + i),
                "x",
                f"Cliente{i}",
                "Prueba",
                "active",
                NOW - timedelta(days=60),
                0,
                "en_analisis",
            )
            for i in range(1, pending + 1)
        ]
        await raw.copy_records_to_table(
            "users",
            records=users,
            columns=[
                "id",
                "doc_type",
                "doc_number",
                "password_hash",
                "first_names",
                "last_names",
                "status",
                "created_at",
                "failed_logins",
                "dni_status",
            ],
        )
        items = []
        for i in range(1, pending + 1):
            submitted = NOW - timedelta(minutes=(i * 37) % (14 * 24 * 60))
            items.append(
                (
                    "dni" if i % 3 else "poder",
                    i,
                    uuid.uuid4().hex,
                    f"{2_000_000_000 + i}",
                    str(20_000_000 + i),
                    submitted,
                    submitted + timedelta(days=1),
                    1 if i % 500 == 0 else 0,
                    "pendiente",
                    "",
                    "",
                )
            )
        for j in range(20_000):
            i = (j % pending) + 1
            submitted = NOW - timedelta(days=(j % 30) + 1)
            items.append(
                (
                    "dni",
                    i,
                    uuid.uuid4().hex,
                    "",
                    str(20_000_000 + i),
                    submitted,
                    submitted + timedelta(days=1),
                    0,
                    "resuelto",
                    "legible",
                    "",
                )
            )
        columns = [
            "kind",
            "user_id",
            "document_id",
            "supply_number",
            "doc_number",
            "submitted_at",
            "deadline_at",
            "priority",
            "status",
            "decision",
            "reason",
        ]
        await raw.copy_records_to_table("review_items", records=items, columns=columns)
        await raw.execute(
            "UPDATE review_items SET decided_at = submitted_at + interval '5 hours', decided_by = 1 WHERE status = 'resuelto'"
        )
        await raw.execute("ANALYZE")
        await raw.close()
        print(f"filled {pending:,} pending + 20,000 resolved items in {time.perf_counter() - t0:.1f} s")

        cases = {
            "first page + counters": {},
            "search by document": {"search": str(20_000_000 + pending // 2)},
            "kind = poder": {"kind": "poder"},
            "overdue only": {"state": "vencido"},
            "resolved": {"state": "resuelto"},
        }
        print(f"{'case':<24}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'rows':>7}")
        for label, kwargs in cases.items():
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                async with db.session_scope() as session:
                    page = await review.queue_page(session=session, now=NOW, **kwargs)
                times.append((time.perf_counter() - start) * 1000)
            print(
                f"{label:<24}{statistics.median(times):>10.1f}{pct(times, 0.95):>10.1f}{pct(times, 0.99):>10.1f}"
                f"{len(page.rows):>7}"
            )
        await engine.dispose()
    finally:
        db.set_engine(None)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000))
