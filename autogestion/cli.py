"""`autogestion …` commands for operators of the portal: migrate, seed-demo, import-billing, worker, smtp-sink."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from autogestion.config import ConfigError, get_settings

DEMO_PASSWORD = "Portal.Demo26"


async def _seed_demo() -> None:
    from sqlmodel import select

    from autogestion.clock import utcnow
    from autogestion.db import session_scope
    from autogestion.models import User
    from autogestion.services import accounts
    from autogestion.services.demo import seed_demo

    async with session_scope() as db:
        info = await seed_demo(session=db)
        if get_settings().env != "production":
            exists = (
                await db.exec(select(User.id).where(User.doc_type == "DNI", User.doc_number == "20123456"))
            ).first()
            if not exists:
                await accounts.create_active_user(
                    session=db,
                    doc_type="DNI",
                    doc_number="20123456",
                    password=DEMO_PASSWORD,
                    first_names="Juan",
                    last_names="Perez",
                    email="juan.perez@example.com",
                    area="264",
                    number="4123456",
                    now=utcnow(),
                )
    print(
        f"Demo supply {info.supply_number}: holder {info.holder_name}, {info.holder_doc_type} {info.holder_doc_number}"
    )
    for invoice in info.last_invoices[:2]:
        print(f"  invoice {invoice.number} ({invoice.period}): {invoice.amount}, due {invoice.due_on}")
    print(
        f"Other holder's supply {info.other_supply_number}: {info.other_holder_name}, "
        f"{info.other_holder_doc_type} {info.other_holder_doc_number} (link it as apoderado, with a poder)"
    )
    if get_settings().env != "production":
        print(f"Demo customer: DNI 20123456, password {DEMO_PASSWORD}")


async def _import(suministros: Path | None, facturas: Path | None) -> int:
    from autogestion.db import session_scope
    from autogestion.services.billing_import import ImportFailed, import_billing

    try:
        async with session_scope() as db:
            report = await import_billing(session=db, supplies_csv=suministros, invoices_csv=facturas)
    except ImportFailed as exc:
        print("Nothing was imported. Bad lines:", file=sys.stderr)
        for line in exc.errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(report)
    return 0


async def _worker() -> None:
    from autogestion.services.outbox import run_worker

    stop = asyncio.Event()
    await run_worker(stop=stop)


async def _sink() -> None:
    from autogestion.adapters.mail_sink import start_sink

    settings = get_settings()
    controller = start_sink(settings.smtp_host, settings.smtp_port, settings.mail_dir)
    print(f"SMTP sink on {settings.smtp_host}:{settings.smtp_port}, Maildir {settings.mail_dir}")
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autogestion", description="Portal de Autogestión: operations commands")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check-config", help="validate the environment variables and exit")
    sub.add_parser("migrate", help="apply the database migrations (idempotent)")
    sub.add_parser("seed-demo", help="demo supplies, two years of invoices and a demo customer (idempotent)")
    imp = sub.add_parser("import-billing", help="import supplies and invoices from the commercial system's CSV files")
    imp.add_argument("--suministros", type=Path, help="suministros CSV")
    imp.add_argument("--facturas", type=Path, help="facturas CSV")
    sub.add_parser("worker", help="deliver the outbox (e-mail and SMS) until stopped")
    sub.add_parser("smtp-sink", help="development SMTP server that stores every message in <data dir>/mail")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = get_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        print(f"OK: {settings.env}, database {settings.database_url.split('://')[0]}")
        return 0
    if args.command == "migrate":
        from autogestion.migrations import upgrade_head

        if settings.database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_head()
        print("Database is up to date.")
        return 0
    if args.command == "seed-demo":
        asyncio.run(_seed_demo())
        return 0
    if args.command == "import-billing":
        if not args.suministros and not args.facturas:
            parser.error("give --suministros and/or --facturas")
        return asyncio.run(_import(args.suministros, args.facturas))
    if args.command == "worker":
        asyncio.run(_worker())
        return 0
    if args.command == "smtp-sink":
        asyncio.run(_sink())
        return 0
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
