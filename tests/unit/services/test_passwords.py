"""Hashing turns: a burst of logins waits for bcrypt without holding database connections."""

from __future__ import annotations

import asyncio

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
