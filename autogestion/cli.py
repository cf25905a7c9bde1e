"""`autogestion …` commands for operators of the portal: migrate, seed-demo, import-billing, create-operator,
worker, smtp-sink."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from pathlib import Path

from autogestion.config import ConfigError, get_settings

DEMO_PASSWORD = "Portal.Demo26"
DEMO_OPERATOR = "operador"
DEMO_OPERATOR_PASSWORD = "Revision.Demo26"


async def _seed_demo() -> None:
    from sqlmodel import select

    from autogestion.clock import utcnow
    from autogestion.db import session_scope
    from autogestion.models import User
    from autogestion.services import accounts, operators
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
            await operators.create_demo_operator(
                session=db, username=DEMO_OPERATOR, password=DEMO_OPERATOR_PASSWORD, now=utcnow()
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
        print(f"Demo operator (supervisor) at /operador: user {DEMO_OPERATOR}, password {DEMO_OPERATOR_PASSWORD}")


def _read_password() -> str:
    """The new operator's password, twice: hidden prompts on a terminal, otherwise two lines of stdin (only
    the line ending is removed; the password is never stripped).

    Raises:
        ValueError: stdin ended before two lines, or the prompt was interrupted.
    """
    if sys.stdin.isatty():
        try:
            return _check_repeat(getpass.getpass("Contraseña: "), getpass.getpass("Repetir contraseña: "))
        except (EOFError, KeyboardInterrupt):
            raise ValueError("no password given") from None
    lines = [sys.stdin.readline(), sys.stdin.readline()]
    if not lines[1]:  # readline() gives "" only at the end of input
        raise ValueError("expected the password twice, on two lines of standard input")
    return _check_repeat(*(line.removesuffix("\n").removesuffix("\r") for line in lines))


def _check_repeat(password: str, repeat: str) -> str:
    from autogestion.services.errors import ValidationError
    from autogestion.services.passwords import validate_password_repeat

    try:
        validate_password_repeat(password, repeat)
    except ValidationError as exc:
        raise ValueError(exc.message) from None
    return password


async def _create_operator(username: str, *, supervisor: bool, full_name: str, password: str) -> int:
    from autogestion.clock import utcnow
    from autogestion.db import session_scope
    from autogestion.models import OperatorRole
    from autogestion.services import operators
    from autogestion.services.errors import DomainError

    role = OperatorRole.SUPERVISOR if supervisor else OperatorRole.OPERADOR
    try:
        async with session_scope() as db:
            created = await operators.create_operator(
                session=db, username=username, password=password, full_name=full_name, role=role, now=utcnow()
            )
    except DomainError as exc:
        print(f"create-operator: {exc.message}", file=sys.stderr)
        return 1
    print(f"Operator {created.username} created ({created.role}).")
    return 0


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
    sub.add_parser(
        "seed-demo", help="demo supplies, two years of invoices, a demo customer and a demo operator (idempotent)"
    )
    imp = sub.add_parser("import-billing", help="import supplies and invoices from the commercial system's CSV files")
    imp.add_argument("--suministros", type=Path, help="suministros CSV")
    imp.add_argument("--facturas", type=Path, help="facturas CSV")
    op = sub.add_parser(
        "create-operator",
        help="create a back-office operator; the password is asked twice (or read as two lines of stdin)",
    )
    op.add_argument("username", metavar="USUARIO", help="3-32 lower-case letters, digits, '.', '-' or '_'")
    op.add_argument("--supervisor", action="store_true", help="role supervisor instead of operador")
    op.add_argument("--nombre", default="", help='full name, e.g. "Ana Pérez"')
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
        from autogestion.capacity import CapacityError, check_database_capacity

        try:
            limits = asyncio.run(check_database_capacity(settings))
        except CapacityError as exc:
            print(f"Configuration error: {exc}", file=sys.stderr)
            return 2
        room = f", {limits.allowed} connections allowed" if limits else ""
        print(f"OK: {settings.env}, database {settings.database_url.split('://')[0]}{room}")
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
    if args.command == "create-operator":
        from autogestion.services.errors import ValidationError
        from autogestion.services.operators import normalize_username

        try:
            normalize_username(args.username)  # before asking for a password
            password = _read_password()
        except ValidationError as exc:
            print(f"create-operator: {exc.message}", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"create-operator: {exc}", file=sys.stderr)
            return 1
        return asyncio.run(
            _create_operator(args.username, supervisor=args.supervisor, full_name=args.nombre, password=password)
        )
    if args.command == "worker":
        asyncio.run(_worker())
        return 0
    if args.command == "smtp-sink":
        asyncio.run(_sink())
        return 0
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
