"""AUTOGESTION_HANDLER_TIMING: the guard logs each handler's wall time on `autogestion.timing`, only when
asked, for handlers that return, refuse or raise alike."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest

from autogestion.config import get_settings
from autogestion.state.guards import customer, public


class FakeState:
    """What the public guard touches of a State: the router (peer address, headers)."""

    def __init__(self) -> None:
        self.router = SimpleNamespace(
            headers=SimpleNamespace(raw_headers={}, cookie=""),
            session=SimpleNamespace(client_ip="127.0.0.1", client_token="tab-token-1234"),
            url=SimpleNamespace(path="/login/"),
        )

    async def get_state(self, cls):
        return SimpleNamespace(_viewer=_no_viewer)


async def _no_viewer():
    return None


class Slow:
    @public
    async def nap(self, seconds: float = 0.05):
        await asyncio.sleep(seconds)
        return "slept"

    @public
    async def boom(self):
        await asyncio.sleep(0.02)
        raise RuntimeError("a bug")


@pytest.fixture
def timing(monkeypatch):
    monkeypatch.setenv("AUTOGESTION_HANDLER_TIMING", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _timing_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "autogestion.timing"]


async def test_off_by_default_nothing_is_logged(caplog):
    caplog.set_level(logging.INFO, logger="autogestion.timing")
    assert not get_settings().handler_timing
    assert await Slow.nap(FakeState(), 0.001) == "slept"
    assert _timing_records(caplog) == []


async def test_the_handlers_wall_time_is_logged_with_its_name(timing, caplog):
    caplog.set_level(logging.INFO, logger="autogestion.timing")
    assert await Slow.nap(FakeState(), 0.05) == "slept"
    assert await Slow.nap(FakeState(), 0.001) == "slept"
    slow, quick = _timing_records(caplog)
    assert slow.handler == quick.handler == "Slow.nap"
    assert 45 <= slow.ms < 1000  # the sleep inside the handler is counted, in milliseconds
    assert quick.ms < slow.ms
    assert slow.getMessage() == f"Slow.nap {slow.ms:.2f} ms"


async def test_a_handler_that_raises_is_timed_too_and_still_raises(timing, caplog):
    caplog.set_level(logging.INFO, logger="autogestion.timing")
    with pytest.raises(RuntimeError):
        await Slow.boom(FakeState())
    (record,) = _timing_records(caplog)
    assert record.handler == "Slow.boom" and record.ms >= 15


async def test_a_refused_call_is_timed_under_the_handlers_name(timing, caplog):
    caplog.set_level(logging.INFO, logger="autogestion.timing")

    @customer
    async def mine(self, user_id: int):
        raise AssertionError("no session: the handler must not run")

    await mine(FakeState())  # no cookie: the guard refuses (a redirect to the login page)
    await Slow.nap(FakeState(), "x", "y")  # forged arguments: refused before the handler
    records = _timing_records(caplog)
    assert [r.handler for r in records] == [
        "test_a_refused_call_is_timed_under_the_handlers_name.<locals>.mine",
        "Slow.nap",
    ]
