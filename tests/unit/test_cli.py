"""`autogestion create-operator` and the demo operator of `seed-demo`, run as the command line runs them
(one asyncio.run per command, on a SQLite file); every command against an unmigrated or unreachable database
says so in one line and exits non-zero."""

from __future__ import annotations

import asyncio
import io
import socket

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from autogestion import cli, db
from autogestion.config import get_settings
from autogestion.migrations import upgrade_head


@pytest.fixture
def database(tmp_path, monkeypatch):
    """A fresh SQLite file migrated to head, as the process database; the engine the command opens is
    disposed afterwards."""
    path = tmp_path / "cli.db"
    url = f"sqlite+aiosqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    upgrade_head(url)
    sync = create_engine(f"sqlite:///{path}")
    db.set_engine(None)
    yield sync
    sync.dispose()


def run(argv: list[str], stdin: str, monkeypatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        return cli.main(argv)
    finally:
        engine = db._engine
        db.set_engine(None)
        if engine is not None:
            asyncio.run(engine.dispose())


def operators_in(sync) -> list[tuple]:
    with sync.connect() as conn:
        return [tuple(row) for row in conn.execute(text("SELECT username, full_name, role, active FROM operators"))]


def test_create_operator_reads_the_password_twice_from_stdin(database, monkeypatch, capsys):
    argv = ["create-operator", "Ana.Perez", "--supervisor", "--nombre", "Ana Pérez"]
    assert run(argv, "Mesa.Entrada42\nMesa.Entrada42\n", monkeypatch) == 0
    assert "ana.perez" in capsys.readouterr().out
    assert operators_in(database) == [("ana.perez", "Ana Pérez", "supervisor", 1)]
    with database.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM operators")).scalar_one()
    assert stored.startswith("$2") and "Mesa.Entrada42" not in stored


@pytest.mark.parametrize(
    "argv,stdin,message",
    [
        (["create-operator", "ana.perez"], "Mesa.Entrada42\nOtra.Clave.77\n", "no coinciden"),
        (["create-operator", "ana.perez"], "Mesa.Entrada42\n", "two lines"),
        (["create-operator", "ana.perez"], "", "two lines"),
        (["create-operator", "ana.perez"], "corta\ncorta\n", "al menos 8"),
        (["create-operator", "ana.perez"], "Ana.Perez.2026\nAna.Perez.2026\n", "no puede contener el usuario"),
        (["create-operator", "Ana Pérez"], "Mesa.Entrada42\nMesa.Entrada42\n", "entre 3 y 32"),
        (["create-operator", "ana.perez"], "Mesa.Entrada42 \nMesa.Entrada42 \n", None),  # never stripped: accepted
    ],
)
def test_create_operator_refusals_are_one_line_and_non_zero(database, monkeypatch, capsys, argv, stdin, message):
    code = run(argv, stdin, monkeypatch)
    err = capsys.readouterr().err.strip()
    if message is None:
        assert code == 0 and operators_in(database)[0][0] == "ana.perez"
        return
    assert code != 0 and message in err and len(err.splitlines()) == 1
    assert operators_in(database) == []


def test_duplicate_operator_refused(database, monkeypatch, capsys):
    assert run(["create-operator", "ana.perez"], "Mesa.Entrada42\nMesa.Entrada42\n", monkeypatch) == 0
    assert run(["create-operator", "ANA.PEREZ"], "Otra.Clave.77\nOtra.Clave.77\n", monkeypatch) == 1
    assert "Ya existe un operador con ese usuario." in capsys.readouterr().err
    assert len(operators_in(database)) == 1


def test_seed_demo_creates_the_demo_operator_once(database, monkeypatch, capsys):
    from autogestion.clock import utcnow
    from autogestion.services import operators

    assert run(["seed-demo"], "", monkeypatch) == 0
    assert run(["seed-demo"], "", monkeypatch) == 0
    out = capsys.readouterr().out
    assert f"user {cli.DEMO_OPERATOR}, password {cli.DEMO_OPERATOR_PASSWORD}" in out
    assert operators_in(database) == [("operador", "Operador Demo", "supervisor", 1)]

    async def demo_login():
        async with db.session_scope() as session:
            return await operators.authenticate(
                session=session, username="operador", password=cli.DEMO_OPERATOR_PASSWORD, now=utcnow()
            )

    try:
        assert asyncio.run(demo_login()).role == "supervisor"
    finally:
        engine = db._engine
        db.set_engine(None)
        asyncio.run(engine.dispose())


# --- the database is unmigrated or unreachable ---------------------------------------------------------

IMPORT = ["import-billing", "--suministros", "suministros.csv"]
COMMANDS = [
    pytest.param(["seed-demo"], id="seed-demo"),
    pytest.param(IMPORT, id="import-billing"),
    pytest.param(["create-operator", "ana.perez"], id="create-operator"),
    pytest.param(["worker"], id="worker"),
    pytest.param(["check-config"], id="check-config"),
]


def one_line_refusal(capsys, code: int) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 1, captured
    assert len(err.splitlines()) == 1 and "Traceback" not in captured.err + captured.out, err
    return err


@pytest.fixture
def unmigrated(tmp_path, monkeypatch):
    """A SQLite file with the tables but without alembic_version (e.g. made by hand, or by create_all)."""
    path = tmp_path / "plain.db"
    sync = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(sync)
    sync.dispose()
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "suministros.csv").write_text("numero,estado\n", encoding="utf-8")
    get_settings.cache_clear()
    db.set_engine(None)
    return path


@pytest.mark.parametrize("argv", COMMANDS)
def test_unmigrated_sqlite_is_named_in_one_line(unmigrated, monkeypatch, capsys, argv):
    code = run(argv, "Mesa.Entrada42\nMesa.Entrada42\n", monkeypatch)
    assert one_line_refusal(capsys, code) == cli.NOT_MIGRATED


def test_missing_sqlite_file_is_unmigrated_and_not_created(tmp_path, monkeypatch, capsys):
    path = tmp_path / "nothing" / "here.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    get_settings.cache_clear()
    assert one_line_refusal(capsys, run(["seed-demo"], "", monkeypatch)) == cli.NOT_MIGRATED
    assert not path.exists()


def test_a_database_behind_head_asks_for_migrate(database, monkeypatch, capsys):
    with database.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '2cd61086b46c'"))
    err = one_line_refusal(capsys, run(["seed-demo"], "", monkeypatch))
    assert "no está al día" in err and "2cd61086b46c" in err and "autogestion migrate" in err


def test_a_database_from_a_newer_version_is_named(database, monkeypatch, capsys):
    with database.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    err = one_line_refusal(capsys, run(["check-config"], "", monkeypatch))
    assert "ffffffffffff" in err and "actualizá autogestion" in err


def test_migrate_then_check_config_reports_the_schema(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    get_settings.cache_clear()
    assert run(["seed-demo"], "", monkeypatch) == 1
    assert run(["migrate"], "", monkeypatch) == 0
    assert run(["check-config"], "", monkeypatch) == 0
    out = capsys.readouterr().out
    heads = cli._head_revisions()
    assert "Database is up to date." in out and all(head in out for head in heads)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("argv", [pytest.param(["migrate"], id="migrate"), *COMMANDS])
def test_unreachable_postgresql_is_named_in_one_line_without_password(tmp_path, monkeypatch, capsys, argv):
    port = closed_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://portal:hunter2@127.0.0.1:{port}/autogestion")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "suministros.csv").write_text("numero,estado\n", encoding="utf-8")
    get_settings.cache_clear()
    code = run(argv, "Mesa.Entrada42\nMesa.Entrada42\n", monkeypatch)
    err = one_line_refusal(capsys, code)
    assert err.startswith(f"No se puede conectar a la base de datos (127.0.0.1:{port}/autogestion)")
    assert "hunter2" not in err and "portal" not in err
