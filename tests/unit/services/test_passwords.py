"""Hashing turns: a burst of logins waits for bcrypt without holding database connections."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from autogestion.services import passwords


async def test_hashing_turns_admit_one_login_per_bcrypt_thread_plus_one_in_arrival_order():
    inside, most, order = 0, 0, []

    async def login(n: int) -> None:
        nonlocal inside, most
        async with passwords.hashing_turn():
            inside += 1
            most = max(most, inside)
            order.append(n)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(login(n) for n in range(12)))
    assert most == passwords._POOL._max_workers + 1
    assert order == list(range(12))


async def test_each_event_loop_gets_its_own_turns():
    first = passwords.hashing_turn()
    assert passwords.hashing_turn() is first
    other = await asyncio.to_thread(lambda: asyncio.run(_turn_in_new_loop()))
    assert other is not first


async def _turn_in_new_loop():
    return passwords.hashing_turn()


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())  # Linux: per thread


async def test_bcrypt_threads_yield_the_cpu_to_the_event_loop():
    """A login storm must not take the CPU from other people's events: the hashing threads run niced."""
    if not hasattr(os, "getpriority") or not os.path.exists("/proc/self/task"):
        pytest.skip("per-thread nice values are a Linux feature")
    loop_nice = _nice()
    pool_nice = await passwords._in_pool(_nice)
    assert pool_nice == min(19, loop_nice + passwords.BCRYPT_NICE) and (pool_nice > loop_nice or loop_nice == 19)
    assert _nice() == loop_nice, "the event loop's own priority must not change"
    assert await passwords.verify_password("Clave.Segura10", await passwords.hash_password("Clave.Segura10"))
