"""Full garbage collections in a backend worker, logged with their pause (`AUTOGESTION_HANDLER_TIMING`).

A full collection walks every live object of the worker and stops its event loop — every tab's events —
while it does: the load bench measured 50–550 ms pauses under load (Reflex keeps tabs' states and a lock
per token in memory). With handler timing on, each collection of the oldest generation is logged on the
`autogestion.timing` logger as the pseudo-handler `gc.gen2`, so the bench prints them beside the handlers'
times and a stall can be told from a slow handler. (`gc.freeze()` at start was tried: the app's startup
objects are not what the pauses walk; no measurable change, not kept.)
"""

from __future__ import annotations

import gc
import logging
import time

timing_log = logging.getLogger("autogestion.timing")
_started: list[float] = []


def _on_gc(phase: str, info: dict) -> None:
    if info.get("generation") != 2:
        return
    if phase == "start":
        _started[:] = [time.perf_counter()]
    elif _started:
        ms = round((time.perf_counter() - _started.pop()) * 1000, 2)
        timing_log.info("gc.gen2 %.2f ms", ms, extra={"handler": "gc.gen2", "ms": ms})


def log_full_collections() -> None:
    """Log every full collection's pause (idempotent)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)
