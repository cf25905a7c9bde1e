"""bcrypt hashing off the event loop, with a dummy check for unknown users (same timing)."""

from __future__ import annotations

import asyncio
import os
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial

import bcrypt

from autogestion.config import get_settings

# bcrypt gets its own small pool, one core short of the machine: a burst of logins then waits in
# line instead of starving the event loop (and every other user's events) of CPU.
_POOL = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1), thread_name_prefix="bcrypt")


async def _in_pool(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(_POOL, partial(fn, *args))


def _prepare(password: str) -> bytes:
    # NFC at set time and at verify time, so "contraseña" typed either way matches.
    return unicodedata.normalize("NFC", password).encode("utf-8")


async def hash_password(password: str) -> str:
    """bcrypt hash at the configured cost, computed in the bcrypt pool (≈ 250 ms at cost 12)."""
    cost = get_settings().bcrypt_cost
    hashed = await _in_pool(bcrypt.hashpw, _prepare(password), bcrypt.gensalt(cost))
    return hashed.decode("ascii")


def _check(password: str, hashed: str) -> bool:
    data = _prepare(password)
    if len(data) > 72:  # bcrypt 5 raises; such a password was never accepted, so it cannot match
        return False
    try:
        return bcrypt.checkpw(data, hashed.encode("ascii"))
    except ValueError:
        return False


async def verify_password(password: str, hashed: str) -> bool:
    """True when password matches hashed; runs in a thread."""
    return await _in_pool(_check, password, hashed)


@lru_cache(maxsize=4)
def _dummy_hash(cost: int) -> str:
    return bcrypt.hashpw(b"dummy-password-for-timing", bcrypt.gensalt(cost)).decode("ascii")


async def dummy_verify(password: str) -> None:
    """Spend the same time as a real check, for unknown documents."""
    await _in_pool(_check, password[:72], _dummy_hash(get_settings().bcrypt_cost))


def needs_rehash(hashed: str) -> bool:
    """True when the stored hash was made with a lower cost than the current setting."""
    try:
        cost = int(hashed.split("$")[2])
    except (IndexError, ValueError):
        return True
    return cost < get_settings().bcrypt_cost
