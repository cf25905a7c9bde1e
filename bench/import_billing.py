"""Benchmark: `autogestion import-billing` of 100,000 invoices for about 4,200 supplies (a figure, not a test).

Generates the two CSV files in a temp dir, imports them into a fresh SQLite database and — when PostgreSQL
answers at 127.0.0.1:5432 (trust, user postgres; AUTOGESTION_BENCH_PG_URL overrides) — into a fresh PostgreSQL
database, then imports the same files again (idempotent re-import: nothing changes). Prints seconds and rows/s.
Run: `.venv/bin/python bench/import_billing.py [invoices]` (default 100000).
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

PG_ADMIN_URL = os.environ.get("AUTOGESTION_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
INVOICES_PER_SUPPLY = 24
GROUPS = ("DT1 (TRA-RSD)", "DT1 (TRA-GRL)", "DT2 (TRA-RSD)")
NAMES = ("Juan Perez", "María Fernanda Gómez", "Carlos Quiroga", "Lucía Sánchez", "Jorge Castro", "Ana Videla")
STREETS = ("Av. Libertador Gral. San Martín", "Calle Mendoza", "Av. Ignacio de la Roza", "Calle Tucumán", "Av. Rawson")


def write_csvs(folder: Path, invoices: int) -> tuple[Path, Path, int]:
    """The suministros and facturas files of the issue's format; returns (supplies file, invoices file, supplies)."""
    rng = random.Random(42)
    n_supplies = -(-invoices // INVOICES_PER_SUPPLY)
    supplies_csv, invoices_csv = folder / "suministros.csv", folder / "facturas.csv"
    with supplies_csv.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "suministro",
                "estado",
                "grupo_tarifario",
                "titular",
                "tipo_documento",
                "documento",
                "estado_cobranza",
                "domicilio",
            ]
        )
        for i in range(n_supplies):
            writer.writerow(
                [
                    f"{3000000000 + i}",
                    "0",
                    rng.choice(GROUPS),
                    rng.choice(NAMES),
                    "DNI",
                    f"{20000000 + i * 7}",
                    rng.choice(("NORMAL", "NORMAL", "SUSP-TRAM")),
                    f"{rng.choice(STREETS)} {rng.randint(1, 4000)} (O), Capital, San Juan",
                ]
            )
    written = 0
    with invoices_csv.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["suministro", "numero", "periodo", "emision", "vencimiento", "importe", "estado", "consumo_kwh"]
        )
        for i in range(n_supplies):
            for k in range(INVOICES_PER_SUPPLY):
                if written == invoices:
                    break
                year, month = 2024 + (k // 12), k % 12 + 1
                issued = date(year, month, 5) + timedelta(days=31)
                issued = issued.replace(day=5)
                kwh = rng.randint(90, 700)
                writer.writerow(
                    [
                        f"{3000000000 + i}",
                        f"0012-{i * INVOICES_PER_SUPPLY + k:08d}",
                        f"{year:04d}-{month:02d}",
                        issued.isoformat(),
                        (issued + timedelta(days=15)).isoformat(),
                        f"{kwh * 95 + 5200}.{rng.randint(0, 99):02d}",
                        rng.choice(("pagada", "impaga")),
                        kwh,
                    ]
                )
                written += 1
    return supplies_csv, invoices_csv, n_supplies


async def pg_reachable() -> bool:
    try:
        import asyncpg

        conn = await asyncio.wait_for(asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", "")), timeout=3)
        await conn.close()
        return True
    except Exception:
        return False


async def run(label: str, url: str, supplies_csv: Path, invoices_csv: Path, n_supplies: int, n_invoices: int) -> None:
    from sqlmodel import SQLModel

    from autogestion import db, models  # noqa: F401  (models registers the tables)
    from autogestion.services.billing_import import import_billing

    engine = db.make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    db.set_engine(engine)
    try:
        for attempt in ("first import", "re-import"):
            started = time.perf_counter()
            async with db.session_scope() as session:
                report = await import_billing(session=session, supplies_csv=supplies_csv, invoices_csv=invoices_csv)
            seconds = time.perf_counter() - started
            rows = n_supplies + n_invoices
            print(
                f"{label:10} {attempt:12} {seconds:6.1f} s  {rows / seconds:9,.0f} rows/s  "
                f"({report.supplies_created:,} supplies and {report.invoices_created:,} invoices created)"
            )
    finally:
        db.set_engine(None)
        await engine.dispose()


async def main(n_invoices: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    os.environ.update(AUTOGESTION_ENV="test", AUTOGESTION_DATA_DIR=str(tmp))
    os.environ.pop("DATABASE_URL", None)
    from autogestion.config import get_settings

    get_settings.cache_clear()
    started = time.perf_counter()
    supplies_csv, invoices_csv, n_supplies = write_csvs(tmp, n_invoices)
    print(
        f"{n_invoices:,} invoices for {n_supplies:,} supplies written in {time.perf_counter() - started:.1f} s "
        f"({invoices_csv.stat().st_size / 1e6:.1f} MB) on {os.cpu_count()} cores"
    )
    try:
        await run(
            "SQLite", f"sqlite+aiosqlite:///{tmp / 'bench.db'}", supplies_csv, invoices_csv, n_supplies, n_invoices
        )
        await run_postgres(supplies_csv, invoices_csv, n_supplies, n_invoices)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def run_postgres(supplies_csv: Path, invoices_csv: Path, n_supplies: int, n_invoices: int) -> None:
    if not await pg_reachable():
        print(f"PostgreSQL   skipped: not reachable at {PG_ADMIN_URL}")
        return
    import asyncpg

    name = f"autogestion_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await run(
            "PostgreSQL",
            PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name,
            supplies_csv,
            invoices_csv,
            n_supplies,
            n_invoices,
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
