"""Pools against the real PostgreSQL: the capacity formula checked at start, and what a visitor sees when
no connection can be had (a pool of one held by someone else, a server that is not there, a role at its
connection limit): the Spanish "mucha demanda" message, a 503 on the HTTP routes, never a traceback."""

from __future__ import annotations

import asyncio
import socket
import uuid

import httpx
import pytest
from sqlalchemy import text

from autogestion import capacity, cli, db
from autogestion.config import get_settings, load_settings
from autogestion.http import SESSION_API, build_api, file_url
from autogestion.services.documents import sign_link
from tests.conftest import PG_ADMIN_URL, _pg_reachable

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
async def _postgres():
    if not await _pg_reachable():
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")


# Plausible values, so the endpoints get as far as the database (malformed ones are refused before it).
CLAIM_HEADERS = {"origin": "http://localhost:3000", "x-client-token": str(uuid.uuid4()), "x-login-nonce": "n" * 32}
SESSION_TOKEN = "s" * 43


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: nothing listens there


async def _admin_value(sql: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


# --- the formula against the server's real limits -----------------------------------------------------


async def test_the_server_limits_are_what_postgresql_shows():
    limits = await capacity.server_limits(PG_ADMIN_URL)
    assert limits.max_connections == int(await _admin_value("SHOW max_connections"))
    assert limits.superuser_reserved == int(await _admin_value("SHOW superuser_reserved_connections"))
    assert limits.allowed == limits.max_connections - limits.superuser_reserved - limits.reserved


def _settings(**env: str):
    return load_settings({"DATABASE_URL": PG_ADMIN_URL, "REFLEX_REDIS_URL": "redis://127.0.0.1:6379/3", **env})


async def test_the_defaults_fit_and_the_old_pool_of_10_plus_20_is_refused():
    limits = await capacity.check_database_capacity(_settings(AUTOGESTION_WORKERS="5"))
    assert limits is not None and capacity.connections_needed(_settings(AUTOGESTION_WORKERS="5")) <= limits.allowed
    # What `make run` did with Redis before: 5 workers with 10 + 20 each on a 100-connection server.
    old = _settings(AUTOGESTION_WORKERS="5", AUTOGESTION_DB_POOL_SIZE="10", AUTOGESTION_DB_MAX_OVERFLOW="20")
    with pytest.raises(capacity.CapacityError) as refused:
        await capacity.check_database_capacity(old)
    message = str(refused.value)
    assert "\n" not in message
    for variable in ("AUTOGESTION_WORKERS=5", "AUTOGESTION_DB_POOL_SIZE=10", "AUTOGESTION_DB_MAX_OVERFLOW=20"):
        assert variable in message
    assert f"allows {limits.allowed}" in message and "= 185" in message


async def test_the_limit_is_exact():
    limits = await capacity.server_limits(PG_ADMIN_URL)
    # One worker, no outbox process, no reserve: a pool of exactly `allowed` fits, one more does not.
    fits = _settings(AUTOGESTION_WORKERS="1", AUTOGESTION_OUTBOX_PROCESSES="0", AUTOGESTION_DB_RESERVE="0")
    fits = load_settings(
        {
            "DATABASE_URL": PG_ADMIN_URL,
            "AUTOGESTION_OUTBOX_PROCESSES": "0",
            "AUTOGESTION_DB_RESERVE": "0",
            "AUTOGESTION_DB_POOL_SIZE": str(limits.allowed),
            "AUTOGESTION_DB_MAX_OVERFLOW": "0",
        }
    )
    await capacity.check_database_capacity(fits)
    over = load_settings(
        {
            "DATABASE_URL": PG_ADMIN_URL,
            "AUTOGESTION_OUTBOX_PROCESSES": "0",
            "AUTOGESTION_DB_RESERVE": "0",
            "AUTOGESTION_DB_POOL_SIZE": str(limits.allowed),
            "AUTOGESTION_DB_MAX_OVERFLOW": "1",
        }
    )
    with pytest.raises(capacity.CapacityError, match=f"lower the pool to {limits.allowed} per process"):
        await capacity.check_database_capacity(over)


async def test_check_config_refuses_in_one_line(monkeypatch, capsys):
    from tests.conftest import _drop_pg_database, _make_pg_database

    url = await _make_pg_database()  # migrated below: check-config also wants the schema up to date
    try:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/3")
        monkeypatch.setenv("AUTOGESTION_WORKERS", "8")
        monkeypatch.setenv("AUTOGESTION_DB_POOL_SIZE", "20")
        get_settings.cache_clear()
        assert await asyncio.to_thread(cli.main, ["check-config"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("Configuration error: too many database connections") and "\n" not in err
        assert "AUTOGESTION_WORKERS=8" in err and "AUTOGESTION_DB_POOL_SIZE=20" in err

        monkeypatch.setenv("AUTOGESTION_DB_POOL_SIZE", "3")
        monkeypatch.setenv("AUTOGESTION_DB_MAX_OVERFLOW", "2")
        get_settings.cache_clear()
        assert await asyncio.to_thread(cli.main, ["check-config"]) == 1  # the pools fit; the schema is missing
        assert "no está migrada" in capsys.readouterr().err
        assert await asyncio.to_thread(cli.main, ["migrate"]) == 0
        assert await asyncio.to_thread(cli.main, ["check-config"]) == 0
        assert "connections allowed" in capsys.readouterr().out
    finally:
        db.set_engine(None)
        await _drop_pg_database(url)


async def test_check_config_says_when_postgresql_cannot_be_asked(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/postgres")
    get_settings.cache_clear()
    assert await asyncio.to_thread(cli.main, ["check-config"]) == 1  # not a configuration error: the server is away
    err = capsys.readouterr().err.strip()
    assert err.startswith("No se puede conectar a la base de datos (127.0.0.1:") and "\n" not in err
    with pytest.raises(capacity.ServerUnreachable, match="cannot ask PostgreSQL its max_connections"):
        await capacity.check_database_capacity(get_settings())


async def test_the_backend_lifespan_refuses_to_start_over_capacity(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", PG_ADMIN_URL)
    monkeypatch.setenv("AUTOGESTION_DB_POOL_SIZE", "500")
    get_settings.cache_clear()
    with pytest.raises(capacity.CapacityError, match="AUTOGESTION_DB_POOL_SIZE=500"):
        async with capacity.refuse_over_capacity():
            pytest.fail("the backend started")
    monkeypatch.setenv("AUTOGESTION_DB_POOL_SIZE", "5")
    get_settings.cache_clear()
    async with capacity.refuse_over_capacity():
        pass


# --- no connection to be had ----------------------------------------------------------------------------


@pytest.fixture
async def pool_of_one():
    """The process engine with a pool of one connection and a short wait, on a fresh database."""
    from sqlmodel import SQLModel

    from tests.conftest import _drop_pg_database, _make_pg_database

    url = await _make_pg_database()
    engine = db.make_engine(url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    db.set_engine(engine)
    yield engine
    db.set_engine(None)
    await engine.dispose()
    await _drop_pg_database(url)


async def test_a_request_waits_the_pool_timeout_then_gets_the_message(pool_of_one):
    from autogestion.autogestion import handle_backend_error

    async with pool_of_one.connect():  # someone else holds the only connection
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(Exception) as caught:
            async with db.session_scope() as s:
                await s.exec(text("SELECT 1"))
        waited = loop.time() - started
        assert 0.4 <= waited < 3, waited
        assert db.is_unavailable(caught.value)
        toast = handle_backend_error(caught.value)
        assert db.BUSY_MESSAGE in str(toast) and "incidente" not in str(toast)

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_api()), base_url="http://localhost:3000"
        ) as c:
            response = await c.post(SESSION_API, headers=CLAIM_HEADERS)
            assert response.status_code == 503 and response.json()["detail"] == db.BUSY_MESSAGE
            assert response.headers["retry-after"] == "5"
    # The connection is back: the same request works again.
    async with db.session_scope() as s:
        assert (await s.exec(text("SELECT 1"))).scalar_one() == 1
    assert pool_of_one.pool.checkedout() == 0


async def test_a_server_that_is_not_there_gives_the_message_and_503(monkeypatch):
    engine = db.make_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/postgres")
    db.set_engine(engine)
    try:
        with pytest.raises(Exception) as caught:
            async with db.session_scope() as s:
                await s.exec(text("SELECT 1"))
        assert db.is_unavailable(caught.value)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_api()),
            base_url="http://localhost:3000",
            cookies={"ag_sid": SESSION_TOKEN},
        ) as c:
            session = await c.post(SESSION_API, headers=CLAIM_HEADERS)
            download = await c.get(file_url(sign_link("doc", "1", 1)))
        assert session.status_code == 503 and session.json() == {"ok": False, "detail": db.BUSY_MESSAGE}
        assert download.status_code == 503 and download.text == db.BUSY_MESSAGE
        assert download.headers["content-type"].startswith("text/plain")
    finally:
        db.set_engine(None)
        await engine.dispose()


async def test_a_role_at_its_connection_limit_gives_the_message():
    """PostgreSQL's own "too many connections" (here a role limited to one), as a full server answers."""
    import asyncpg

    role = f"ag_limited_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""))
    await admin.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
    url = PG_ADMIN_URL.replace("//postgres@", f"//{role}@")
    engine = db.make_engine(url, pool_size=2, max_overflow=0, pool_timeout=2)
    try:
        async with engine.connect():
            with pytest.raises(Exception) as caught:
                async with engine.connect():
                    pass
        assert db.is_unavailable(caught.value), repr(caught.value)
    finally:
        await engine.dispose()
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


def test_a_bug_is_not_mistaken_for_a_busy_database():
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    assert not db.is_unavailable(ValueError("bug"))
    assert not db.is_unavailable(FileNotFoundError(2, "No such file", "/var/documents/x.jpg"))
    assert not db.is_unavailable(ProgrammingError("SELECT", {}, Exception("syntax error")))
    assert not db.is_unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert db.is_unavailable(ConnectionRefusedError(111, "Connect call failed"))
