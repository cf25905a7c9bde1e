"""`autogestion create-operator` and the demo operator of `seed-demo`, run as the command line runs them
(one asyncio.run per command, on a SQLite file)."""

from __future__ import annotations

import asyncio
import io

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from autogestion import cli, db
from autogestion.config import get_settings


@pytest.fixture
def database(tmp_path, monkeypatch):
    """A fresh SQLite file with every table, as the process database; the engine the command opens is
    disposed afterwards."""
    path = tmp_path / "cli.db"
    sync = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(sync)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    get_settings.cache_clear()
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
