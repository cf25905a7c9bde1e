"""End-to-end harness: the real app (`reflex run --env prod`, the session-wide `app_server` fixture of
tests/harness.py) driven by headless Chromium; e-mails are read from the SMTP sink's Maildir and SMS from
the outbox file."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.harness import CAPTCHA_ANSWER, CHROMIUM, CHROMIUM_ARGS, record_page  # noqa: F401  (CAPTCHA_ANSWER: used by helpers.py)


@pytest.fixture(autouse=True)
def _test_env():
    """E2E tests talk to the app process; they do not need the unit tests' per-test settings."""
    yield


@pytest.fixture(scope="session")
def base_url(app_server):
    return app_server["base_url"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM:
        pytest.skip("Chromium not found: install it (apt-get install chromium) or set AUTOGESTION_CHROMIUM")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def page(page, app_server):
    """The test's page; any uncaught browser error fails the test. Records every websocket frame received."""
    errors = record_page(page)
    page.set_default_timeout(20_000)
    # Assertions wait as long as actions: on a loaded 2-core CI machine a page can take over 5 s to settle.
    expect.set_options(timeout=15_000)
    yield page
    assert not errors, f"browser errors: {errors}"


@pytest.fixture
def outbox(app_server):
    from tests.e2e.helpers import Outbox

    return Outbox(app_server["data_dir"])
