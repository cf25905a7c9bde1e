"""Pure-Python CPU work (the invoice PDF) in a helper process of each backend worker, not in a thread.

Why not `asyncio.to_thread`: fpdf2 is Python code that holds the GIL for its whole ≈ 7 ms per page, and
the event loop then waits for the GIL after every socket call (Redis, PostgreSQL, the websocket): on this
machine a thread rendering PDFs back to back cut the loop's Redis round trips from ≈ 10,000/s to ≈ 170/s
(p95 0.1 → 9.8 ms), and 33 PDFs a second cut them by 38 %. The captcha picture has its own helper for the
same reason (adapters/captcha_image.py). (End to end, in the load bench, no gain could be told from the
noise of the data pages' times.)

One process per worker (`spawn`: a fresh interpreter, not a fork of a threaded server), started by the
backend at startup (`warm_up`: its ≈ 1 s of imports then costs no one's request); the function and its
arguments must pickle (pass plain values). A helper that died is replaced once; if the new one fails too
the work runs in a thread, as before, so a PDF never fails because of it.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

log = logging.getLogger(__name__)
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _current() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _discard(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


async def run(fn, /, **kwargs):
    """`fn(**kwargs)` in this worker's helper process; its exceptions propagate as they are."""
    loop = asyncio.get_running_loop()
    for _ in range(2):
        pool = _current()
        try:
            return await loop.run_in_executor(pool, partial(fn, **kwargs))
        except BrokenProcessPool:
            log.warning("the CPU helper process died: starting a new one")
            _discard(pool)
    log.warning("the CPU helper process cannot start: running %s in a thread", getattr(fn, "__name__", fn))
    return await asyncio.to_thread(fn, **kwargs)


def _preload(*, module: str) -> None:
    importlib.import_module(module)


async def warm_up(module: str = "autogestion.adapters.invoice_pdf") -> None:
    """Start the helper and import what it will run, before the first customer asks (backend lifespan)."""
    try:
        await run(_preload, module=module)
    except Exception:  # the first real request will try again
        log.warning("the CPU helper process could not be warmed up", exc_info=True)


def shutdown() -> None:
    """Stop this worker's helper (backend shutdown); a later `run` would start a new one."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
