"""Benchmark: Mis Suministros and a supply's invoices page on a large database (figures, not a test).

Fills a fresh PostgreSQL database (127.0.0.1:5432, trust, user postgres; AUTOGESTION_BENCH_PG_URL overrides) —
or a temp SQLite file when PostgreSQL does not answer — with 100,000 users, ~83,000 supplies with 24 invoices each
(2,000,000 invoices) and one user with 20 supplies × 120 invoices, by COPY (PostgreSQL) or executemany (SQLite).
Then times, 200 times each, what the pages' on_load handlers run:
  - Mis Suministros: list_links
  - invoices page:   invoices.supply_page (detail + invoices page 1 + consumption, one session, as the handler)
and prints p50/p95, plus the size of the JSON the page states hold (the issue's budget: under 100 KB).
Run: `.venv/bin/python bench/supplies_pages.py [users] [invoices]` (default 100000 2000000; smaller numbers
scale the fill down when a machine is too slow for it).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PG_ADMIN_URL = os.environ.get("AUTOGESTION_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
INVOICES_PER_SUPPLY = 24
TARGET_SUPPLIES = 20
TARGET_INVOICES = 120
RUNS = 200
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
PASSWORD_HASH = "$2b$12$" + "x" * 53


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _period(months_back: int) -> tuple[str, date, date]:
    """(aaaa-mm, issued, due) of the period months_back months before 2026-10."""
    index = 2026 * 12 + 9 - months_back
    year, month = divmod(index, 12)
    issue_year, issue_month = divmod(index + 1, 12)
    issued = date(issue_year, issue_month + 1, 5)
    return f"{year:04d}-{month + 1:02d}", issued, issued + timedelta(days=15)


class Fill:
    """Generates the rows of every table, in each table's column order."""

    def __init__(self, users: int, invoices: int) -> None:
        self.n_users = users
        self.n_supplies = max(1, invoices // INVOICES_PER_SUPPLY)
        self.target_user = users + 1
        self.target_supplies = [f"{5000000000 + k}" for k in range(TARGET_SUPPLIES)]
        self.periods = [_period(back) for back in range(TARGET_INVOICES)]

    def supplies(self):
        for i in range(self.n_supplies):
            yield (
                f"{3000000000 + i}",
                "0",
                "DT1 (TRA-RSD)",
                f"Titular {i}",
                "DNI",
                f"{40000000 + i}",
                "NORMAL",
                f"Calle {i % 900} {i % 4000} (O), Capital, San Juan",
            )
        for k, number in enumerate(self.target_supplies):
            yield (
                number,
                "0",
                "DT1 (TRA-RSD)",
                "Usuario Bench",
                "DNI",
                "29999999",
                "NORMAL",
                f"Av. Libertador Gral. San Martín {1000 + k} (O), Capital, San Juan",
            )

    def users(self):
        for uid in range(1, self.n_users + 2):
            yield (
                uid,
                "DNI",
                f"{10000000 + uid}",
                PASSWORD_HASH,
                "Nombre",
                "Apellido",
                f"u{uid}@example.com",
                f"u{uid}@example.com",
                f"+549264{uid:07d}",
                "active",
                NOW,
                NOW,
                0,
                None,
                "legible",
                None,
            )

    def links(self):
        for uid in range(1, self.n_users + 1):
            yield (uid, uid, f"{3000000000 + (uid - 1) % self.n_supplies}", False, "validado", None, None, NOW, NOW)
        for k, number in enumerate(self.target_supplies):
            yield (self.n_users + 1 + k, self.target_user, number, k % 2 == 0, "validado", None, None, NOW, NOW)

    def invoices(self):
        seq = 0
        for i in range(self.n_supplies):
            number = f"{3000000000 + i}"
            for back in range(INVOICES_PER_SUPPLY):
                period, issued, due = self.periods[back]
                seq += 1
                yield (
                    uuid.UUID(int=seq).hex,
                    number,
                    f"0012-{seq:08d}",
                    period,
                    issued,
                    due,
                    2_500_000 + seq % 997,
                    "pagada" if back else "impaga",
                    150 + seq % 400,
                )
        for number in self.target_supplies:
            for back in range(TARGET_INVOICES):
                period, issued, due = self.periods[back]
                seq += 1
                yield (
                    uuid.UUID(int=seq).hex,
                    number,
                    f"0012-{seq:08d}",
                    period,
                    issued,
                    due,
                    2_500_000 + seq % 997,
                    "pagada" if back else "impaga",
                    150 + seq % 400,
                )

    def tables(self):
        return [
            ("supplies", self.supplies),
            ("users", self.users),
            ("supply_links", self.links),
            ("invoices", self.invoices),
        ]


async def fill_postgres(url: str, fill: Fill) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        for table, rows in fill.tables():
            started = time.perf_counter()
            columns = [
                r["attname"]
                for r in await conn.fetch(
                    "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped "
                    "ORDER BY attnum",
                    table,
                )
            ]
            batch: list[tuple] = []
            count = 0
            for row in rows():
                batch.append(row)
                if len(batch) == 100_000:
                    await conn.copy_records_to_table(table, records=batch, columns=columns)
                    count += len(batch)
                    batch = []
            if batch:
                await conn.copy_records_to_table(table, records=batch, columns=columns)
                count += len(batch)
            print(f"  COPY {table:13} {count:>10,} rows in {time.perf_counter() - started:6.1f} s")
        await conn.execute("SELECT setval('users_id_seq', (SELECT max(id) FROM users))")
        await conn.execute("SELECT setval('supply_links_id_seq', (SELECT max(id) FROM supply_links))")
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def fill_sqlite(path: Path, fill: Fill) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    try:
        for table, rows in fill.tables():
            started = time.perf_counter()
            width = len(conn.execute(f"SELECT * FROM {table} LIMIT 0").description)
            sql = f"INSERT INTO {table} VALUES ({','.join('?' * width)})"
            batch, count = [], 0
            for row in rows():
                batch.append(tuple(_sqlite_value(v) for v in row))
                if len(batch) == 100_000:
                    conn.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            conn.executemany(sql, batch)
            count += len(batch)
            conn.commit()
            print(f"  INSERT {table:11} {count:>10,} rows in {time.perf_counter() - started:6.1f} s")
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()


async def pg_reachable() -> bool:
    try:
        import asyncpg

        conn = await asyncio.wait_for(asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", "")), timeout=3)
        await conn.close()
        return True
    except Exception:
        return False


async def measure(fill: Fill) -> None:
    from pydantic import TypeAdapter

    from autogestion import db
    from autogestion.models import InvoicePublic, LinkPublic
    from autogestion.services.invoices import supply_page
    from autogestion.services.supplies import list_links

    user = fill.target_user

    async def mis_suministros():
        async with db.session_scope() as session:
            return await list_links(session=session, user_id=user)

    async def invoices_page(number: str):
        async with db.session_scope() as session:
            shown = await supply_page(session=session, user_id=user, supply_number=number)
        return shown.detail, shown.invoices, [point.model_dump() for point in shown.consumption]

    for i in range(10):  # warm the pool and the caches
        await mis_suministros()
        await invoices_page(fill.target_supplies[i % TARGET_SUPPLIES])
    links_ms, invoices_ms = [], []
    for i in range(RUNS):
        started = time.perf_counter()
        rows = await mis_suministros()
        links_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        detail, page, chart = await invoices_page(fill.target_supplies[i % TARGET_SUPPLIES])
        invoices_ms.append((time.perf_counter() - started) * 1000)
    assert len(rows) == TARGET_SUPPLIES and page.total_rows == TARGET_INVOICES, (len(rows), page.total_rows)
    print(
        f"Mis Suministros  list_links ({len(rows)} rows)                     "
        f"p50 {statistics.median(links_ms):6.1f} ms   p95 {pct(links_ms, 0.95):6.1f} ms"
    )
    print(
        f"Facturas page    supply_page (detail + invoices page 1 + consumption)  "
        f"p50 {statistics.median(invoices_ms):6.1f} ms   p95 {pct(invoices_ms, 0.95):6.1f} ms   (target p95 < 50 ms)"
    )

    links_json = TypeAdapter(list[LinkPublic]).dump_json(rows)
    page_json = TypeAdapter(list[InvoicePublic]).dump_json(page.rows)
    detail_json = detail.model_dump_json().encode()
    chart_json = json.dumps(chart).encode()
    invoices_total = len(page_json) + len(detail_json) + len(chart_json)
    print(
        f"State JSON       SuppliesState.rows {len(links_json):,} B; InvoicesState rows {len(page_json):,} B + "
        f"detail {len(detail_json):,} B + chart {len(chart_json):,} B = {invoices_total:,} B "
        f"(budget 100,000 B per session)"
    )


async def main(users: int, invoices: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    os.environ.update(AUTOGESTION_ENV="test", AUTOGESTION_DATA_DIR=str(tmp))
    os.environ.pop("DATABASE_URL", None)
    from sqlmodel import SQLModel

    from autogestion import db, models  # noqa: F401  (models registers the tables)
    from autogestion.config import get_settings

    get_settings.cache_clear()
    fill = Fill(users, invoices)
    use_pg = await pg_reachable()
    total = fill.n_supplies * INVOICES_PER_SUPPLY + TARGET_SUPPLIES * TARGET_INVOICES
    print(
        f"{'PostgreSQL' if use_pg else 'SQLite (PostgreSQL not reachable)'} on {os.cpu_count()} cores: "
        f"{users + 1:,} users, {fill.n_supplies + TARGET_SUPPLIES:,} supplies, {total:,} invoices; "
        f"the measured user has {TARGET_SUPPLIES} supplies × {TARGET_INVOICES} invoices"
    )
    name = f"autogestion_bench_{uuid.uuid4().hex[:8]}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name if use_pg else f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    admin = None
    if use_pg:
        import asyncpg

        admin = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
        await admin.execute(f'CREATE DATABASE "{name}"')
    engine = db.make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        started = time.perf_counter()
        if use_pg:
            await fill_postgres(url, fill)
        else:
            await asyncio.to_thread(fill_sqlite, tmp / "bench.db", fill)
        print(f"Filled in {time.perf_counter() - started:.0f} s")
        db.set_engine(engine)
        await measure(fill)
    finally:
        db.set_engine(None)
        await engine.dispose()
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(args[0] if args else 100_000, args[1] if len(args) > 1 else 2_000_000))
