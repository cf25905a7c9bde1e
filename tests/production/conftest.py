"""The production setup, for real: PostgreSQL (a fresh database, migrated and demo-seeded, dropped after),
Redis (db 2 unless AUTOGESTION_TEST_REDIS_URL says otherwise, flushed first), the frontend exported once as
static files and served by nginx, and the backend alone with 2 workers (`GRANIAN_WORKERS=2`) behind it.

The app runs with AUTOGESTION_ENV=test only because production refuses the captcha test answer the browser
needs; everything else is what production uses: PostgreSQL, Redis, several workers, a proxy, an SMTP server
(the sink, on a free port) and the SMS outbox file. The stack lives for this package's tests only (package
scope) and never shares the e2e suite's app server.

Order: these tests run after the unit and integration tests and before tests/security and tests/e2e (which
share one app server compiled into .web: the export here must happen before that server starts). The
websocket test (PostgreSQL restart) runs before the browser tests, whose Playwright instance is opened and
closed here so the async tests that follow can run their own event loops.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL, _run_order
from tests.harness import CHROMIUM, CHROMIUM_ARGS, record_page
from tests.production.stack import (
    CAPTCHA_ANSWER,
    Backend,
    Nginx,
    StaticBuild,
    base_env,
    create_database,
    drop_database,
    export_frontend,
    flush_redis,
    free_port,
    migrate_and_seed,
    pg_fetch,
    public_tmpdir,
)

REDIS_URL = os.environ.get("AUTOGESTION_TEST_REDIS_URL", "redis://127.0.0.1:6379/2")
PRODUCTION_TESTS = "/tests/production/"
BROWSER_FIXTURES = {"production_browser", "customer_page", "operator_page"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """After tests/conftest.py's sort: this package between the unit/integration tests and tests/security, its
    websocket tests before its browser tests."""

    def order(item) -> float:
        if PRODUCTION_TESTS in str(item.fspath).replace("\\", "/"):
            return 0.6 if BROWSER_FIXTURES & set(item.fixturenames) else 0.5
        return _run_order(item)

    for item in items:
        if PRODUCTION_TESTS in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.production)
    items.sort(key=order)


@pytest.fixture(autouse=True)
def _test_env():
    """These tests talk to app processes; they do not need the unit tests' per-test settings."""
    yield


def _reachable(check) -> str | None:
    try:
        check()
        return None
    except Exception as exc:  # noqa: BLE001 (any failure means "not here")
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="package")
def services():
    """PostgreSQL and Redis must be reachable (they are in CI); otherwise the package is skipped."""
    if why := _reachable(lambda: pg_fetch(PG_ADMIN_URL, "SELECT 1")):
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {why}")
    if why := _reachable(lambda: flush_redis(REDIS_URL)):
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {why}")
    return {"pg_admin_url": PG_ADMIN_URL, "redis_url": REDIS_URL}


@pytest.fixture(scope="package")
def static_build(services) -> StaticBuild:
    """The frontend, exported once for a portal served by nginx at http://localhost:<port>."""
    port = free_port()
    env = {**base_env(), "AUTOGESTION_ENV": "test", "AUTOGESTION_DATA_DIR": str(public_tmpdir("ag-export-"))}
    build = export_frontend(port, env)
    yield build
    shutil.rmtree(build.folder, ignore_errors=True)
    shutil.rmtree(env["AUTOGESTION_DATA_DIR"], ignore_errors=True)


def app_env(*, data_dir: Path, database_url: str, redis_url: str, port: int, public_url: str, workers: int) -> dict:
    """The backend's environment: production-like but for AUTOGESTION_ENV=test (captcha test answer)."""
    return {
        **base_env(),
        "AUTOGESTION_ENV": "test",
        "AUTOGESTION_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REFLEX_REDIS_URL": redis_url,
        "GRANIAN_WORKERS": str(workers),
        "AUTOGESTION_WORKERS": str(workers),  # the deploy part's name for it (rxconfig sets GRANIAN_WORKERS)
        "REFLEX_BACKEND_ONLY": "true",
        "AUTOGESTION_PORT": str(port),
        "AUTOGESTION_BASE_URL": public_url,
        "AUTOGESTION_TRUSTED_PROXIES": "127.0.0.1",
        "AUTOGESTION_SMTP_HOST": "127.0.0.1",
        "AUTOGESTION_SMTP_PORT": str(free_port()),
        "AUTOGESTION_SMTP_SINK": "true",
        "AUTOGESTION_CAPTCHA_TEST_ANSWER": CAPTCHA_ANSWER,
        "AUTOGESTION_BCRYPT_COST": "10",
    }


@dataclass
class Stack:
    """The running production setup, as the tests see it."""

    base_url: str  # nginx, what the browser opens
    backend: Backend
    nginx: Nginx
    database_url: str
    data_dir: Path
    web_dir: Path
    env: dict

    def query(self, sql: str, *args) -> list[tuple]:
        return pg_fetch(self.database_url, sql, *args)


@pytest.fixture(scope="package")
def stack(services, static_build):
    """PostgreSQL + Redis + 2 backend workers + nginx serving the static export, for this package."""
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        pytest.skip("nginx not found: install it (apt-get install nginx); .ci/run does")
    database_url = create_database(services["pg_admin_url"])
    data_dir = public_tmpdir("ag-prod-var-")
    public_url = f"http://localhost:{static_build.port}"
    backend_port = free_port()
    env = app_env(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=services["redis_url"],
        port=backend_port,
        public_url=public_url,
        workers=2,
    )
    backend = Backend(env=env, port=backend_port, log_path=data_dir / "backend.log")
    nginx = None
    try:
        migrate_and_seed(env)
        flush_redis(services["redis_url"])
        backend.start()
        nginx = Nginx(port=static_build.port, backend=f"127.0.0.1:{backend_port}", static=static_build.static)
        nginx.start()
        yield Stack(
            base_url=public_url,
            backend=backend,
            nginx=nginx,
            database_url=database_url,
            data_dir=data_dir,
            web_dir=static_build.web_dir,
            env=env,
        )
    finally:
        if nginx is not None:
            nginx.stop()
        backend.stop()
        with contextlib.suppress(Exception):
            drop_database(services["pg_admin_url"], database_url)
        with contextlib.suppress(Exception):
            flush_redis(services["redis_url"])
        log = (data_dir / "backend.log").read_text() if (data_dir / "backend.log").exists() else ""
        keep = os.environ.get("AUTOGESTION_KEEP_LOGS")
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    assert "Traceback (most recent call last)" not in log, "the production backend logged a traceback:\n" + log[-6000:]


# --- the browser -----------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def production_browser():
    """Headless Chromium for this package only: Playwright is started here and stopped at the package's end,
    so the async tests after it (tests/security) get an event loop of their own."""
    if not CHROMIUM:
        pytest.skip("Chromium not found: install it (apt-get install chromium) or set AUTOGESTION_CHROMIUM")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        expect.set_options(timeout=20_000)
        try:
            yield browser
        finally:
            browser.close()


def _new_page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(25_000)
    return context, page, record_page(page)


@pytest.fixture
def customer_page(production_browser, stack):
    """A customer's tab (its own browser context); an uncaught browser error fails the test."""
    context, page, errors = _new_page(production_browser)
    yield page
    context.close()
    assert not errors, f"browser errors: {errors}"


@pytest.fixture
def operator_page(production_browser, stack):
    """An operator's tab, in a browser context of its own (its own cookies)."""
    context, page, errors = _new_page(production_browser)
    yield page
    context.close()
    assert not errors, f"browser errors: {errors}"
