"""`autogestion …` commands for operators of the portal: migrate, seed-demo, import-billing, create-operator,
worker, smtp-sink, check-config.

Every command that needs the database checks it first and, when it cannot be reached or is not migrated
to this version's schema, says so in one line on stderr and exits with status 1 (no traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import socket
import sys
from pathlib import Path

from autogestion.config import ConfigError, Settings, get_settings

log = logging.getLogger("autogestion.cli")
NOT_MIGRATED = "La base de datos no está migrada: ejecutá `autogestion migrate`."
CONNECT_TIMEOUT_SECONDS = 10.0


class DatabaseProblem(Exception):
    """The database cannot be used by this command; the message is the one line to print."""


def database_place(url: str) -> str:
    """Where the database is, for messages: host:port/name (PostgreSQL) or the file (SQLite), no credentials."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or "(memoria)"
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def _reason(exc: BaseException) -> str:
    """One short line about a connection failure (drivers' texts never carry the password)."""
    from autogestion.services.outbox import _error_text

    inner = getattr(exc, "orig", None) or exc.__cause__ or exc
    return _error_text(inner).splitlines()[0][:200] if str(inner) else type(inner).__name__


def _unreachable(url: str, exc: BaseException) -> DatabaseProblem:
    return DatabaseProblem(f"No se puede conectar a la base de datos ({database_place(url)}): {_reason(exc)}")


async def _schema_revisions(url: str) -> set[str] | None:
    """The alembic revisions the database is at; None when it has no alembic_version table.

    Raises:
        DatabaseProblem: The database cannot be reached.
    """
    from sqlalchemy import inspect, text

    from autogestion.db import make_engine

    engine = make_engine(url)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            async with engine.connect() as conn:
                if not await conn.run_sync(lambda sync: inspect(sync).has_table("alembic_version")):
                    return None
                return set((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    except DatabaseProblem:
        raise
    except Exception as exc:  # refused, unknown host, timeout, auth, missing database, unreadable file
        raise _unreachable(url, exc) from None
    finally:
        await engine.dispose()


def _head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from autogestion.migrations import alembic_config

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def check_database(settings: Settings, *, migrated: bool = True) -> set[str]:
    """Make sure the command can use the database.

    Args:
        settings: The process settings.
        migrated: Also require the schema to be at this version's head (every command but migrate).

    Returns:
        The revisions the database is at (empty for a database never migrated).

    Raises:
        DatabaseProblem: Unreachable, not migrated, behind or ahead of this version; the message says which.
    """
    url = settings.database_url
    if url.startswith("sqlite") and migrated:
        from sqlalchemy.engine import make_url

        path = make_url(url).database
        if path and not Path(path).exists():  # do not leave an empty file behind just to say so
            raise DatabaseProblem(NOT_MIGRATED)
    revisions = await _schema_revisions(url)
    if not migrated:
        return revisions or set()
    heads = _head_revisions()
    if not revisions:
        raise DatabaseProblem(NOT_MIGRATED)
    if revisions != heads:
        from alembic.script import ScriptDirectory

        from autogestion.migrations import alembic_config

        known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if revisions - known:
            raise DatabaseProblem(
                f"La base de datos está en una versión que este programa no conoce ({', '.join(sorted(revisions))}): "
                "actualizá autogestion."
            )
        raise DatabaseProblem(
            f"La base de datos no está al día (versión {', '.join(sorted(revisions))}): ejecutá `autogestion migrate`."
        )
    return revisions


def _run(settings: Settings, coro_factory, *, migrated: bool = True) -> int:
    """Check the database, then run the command; a database failure on the way is one line and status 1."""

    async def checked():
        await check_database(settings, migrated=migrated)
        return await coro_factory()

    try:
        result = asyncio.run(checked())
    except DatabaseProblem as exc:
        print(exc, file=sys.stderr)
        return 1
    except Exception as exc:
        problem = _database_failure(settings, exc)
        if problem is None:
            raise
        print(problem, file=sys.stderr)
        return 1
    return 0 if result is None else result


def _database_problem(settings: Settings) -> str | None:
    """The one line saying why the database cannot be used now, or None."""
    try:
        asyncio.run(check_database(settings))
    except DatabaseProblem as exc:
        return str(exc)
    return None


def _database_failure(settings: Settings, exc: BaseException) -> str | None:
    """One line for a database failure in the middle of a command (None: not a database failure)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    connection_lost = (OperationalError, InterfaceError, ConnectionError, socket.gaierror, TimeoutError)
    if isinstance(exc, connection_lost) or type(exc).__module__.startswith("asyncpg"):
        return str(_unreachable(settings.database_url, exc))
    if isinstance(exc, DBAPIError):
        return f"La base de datos rechazó la operación ({database_place(settings.database_url)}): {_reason(exc)}"
    return None


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


async def _worker(interval: float) -> None:
    """Deliver the outbox until SIGTERM or SIGINT; the message in flight is finished first."""
    from autogestion.services.outbox import run_worker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("outbox worker started")
    await run_worker(stop=stop, interval=interval)
    log.info("outbox worker stopped")


async def _sink() -> int:
    from autogestion.adapters.mail_sink import start_sink_once, stop_owned_sink

    settings = get_settings()
    sink = start_sink_once(
        settings.smtp_host, settings.smtp_port, settings.mail_dir, settings.data_dir / "smtp-sink.lock"
    )
    if sink is None:
        print("smtp-sink: another process of this installation already runs the sink.", file=sys.stderr)
        return 1
    print(f"SMTP sink on {settings.smtp_host}:{settings.smtp_port}, Maildir {settings.mail_dir}")
    try:
        await asyncio.Event().wait()
    finally:
        stop_owned_sink(sink)
    return 0


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
    wrk = sub.add_parser("worker", help="deliver the outbox (e-mail and SMS) until SIGTERM")
    wrk.add_argument("--interval", type=float, default=1.0, help="seconds between rounds when idle (default 1)")
    sub.add_parser("smtp-sink", help="development SMTP server that stores every message in <data dir>/mail")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    from autogestion.logs import configure_logging

    configure_logging(settings)
    if args.command == "check-config":
        from autogestion.capacity import CapacityError, ServerUnreachable, check_database_capacity

        # Configuration first (exit 2): the pools against PostgreSQL's limit; then the database's state (exit 1:
        # unreachable, not migrated), said by the same one-line check as every other command.
        limits = None
        try:
            limits = asyncio.run(check_database_capacity(settings))
        except ServerUnreachable:
            pass
        except CapacityError as exc:
            print(f"Configuration error: {exc}", file=sys.stderr)
            return 2
        revisions = None

        async def report() -> None:
            nonlocal revisions
            revisions = await check_database(settings)

        code = _run(settings, report)
        if code == 0:
            where = database_place(settings.database_url)
            room = f", {limits.allowed} connections allowed" if limits else ""
            print(
                f"OK: {settings.env}, database {settings.database_url.split('://')[0]} ({where}), "
                f"schema {', '.join(sorted(revisions))}{room}"
            )
        return code
    if args.command == "migrate":
        from autogestion.migrations import upgrade_head_async

        if settings.database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        code = _run(settings, upgrade_head_async, migrated=False)
        if code == 0:
            print("Database is up to date.")
        return code
    if args.command == "seed-demo":
        return _run(settings, _seed_demo)
    if args.command == "import-billing":
        if not args.suministros and not args.facturas:
            parser.error("give --suministros and/or --facturas")
        return _run(settings, lambda: _import(args.suministros, args.facturas))
    if args.command == "create-operator":
        from autogestion.services.errors import ValidationError
        from autogestion.services.operators import normalize_username

        try:
            normalize_username(args.username)  # before asking for a password
            problem = _database_problem(settings)  # and the database too: do not ask in vain
            if problem:
                print(problem, file=sys.stderr)
                return 1
            password = _read_password()
        except ValidationError as exc:
            print(f"create-operator: {exc.message}", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"create-operator: {exc}", file=sys.stderr)
            return 1
        return _run(
            settings,
            lambda: _create_operator(
                args.username, supervisor=args.supervisor, full_name=args.nombre, password=password
            ),
        )
    if args.command == "worker":
        return _run(settings, lambda: _worker(args.interval))
    if args.command == "smtp-sink":
        return asyncio.run(_sink())
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
