"""The garbage collector of a backend worker: tuned for serving, and its pauses logged.

A full collection walks every live object of the worker and stops its event loop — every tab's events —
while it does: the load bench measured 50–550 ms pauses under load (Reflex keeps tabs' states and a lock
per token in memory, and every event leaves coroutines and timer handles behind). CPython's default
thresholds (700, 10, 10) run a young collection every 700 container allocations, which promotes the
short-lived objects of the events in flight to the old generations, and a full collection follows every
few seconds under load. `tune_for_serving` lets young objects die young (a young collection every 50,000
allocations) and full collections come rarely. Measured with `bench/ws_load.py`, 2 workers, 4 runs each
way, alternating, on 2026-11-30: full collections during a run 13–15 → 0; 500-page burst p95 1.74–1.93 s →
1.57–1.76 s; page loads/s 253–280 → 280–309; others' events during the login storm p95 144–171 →
87–167 ms; data handlers' p95 unchanged (20–34 → 22–43 ms: their tail is the bench's synchronized
clicks, not the collector). Reference counting frees everything without cycles as before; cyclic garbage
waits for the rarer collections (the worker's RSS per session did not grow beyond the run's noise). The
price: a middle collection walks more objects — one of 464 ms was seen, in a 1-worker run with 200 logins
queued for bcrypt (the others stayed under 5 ms); `gc.gen1` in the bench's table shows them.

With handler timing on, each collection of the oldest generation is logged on the `autogestion.timing`
logger as the pseudo-handler `gc.gen2` (and one of the middle generation as `gc.gen1` when it pauses 5 ms
or more: with the serving thresholds it walks more objects), so the bench prints them beside the handlers'
times and a stall can be told from a slow handler. (`gc.freeze()` at start was tried: the app's startup
objects are not what the pauses walk; no measurable change, not kept.)
"""

from __future__ import annotations

import gc
import logging
import time

timing_log = logging.getLogger("autogestion.timing")

# (young, middle, old): see the module docstring for what was measured.
SERVING_THRESHOLDS = (50_000, 20, 100)
_started: list[float] = []


def _on_gc(phase: str, info: dict) -> None:
    generation = info.get("generation")
    if generation not in (1, 2):
        return
    if phase == "start":
        _started[:] = [time.perf_counter()]
    elif _started:
        ms = round((time.perf_counter() - _started.pop()) * 1000, 2)
        if generation == 2 or ms >= 5:  # every full collection; a middle one only when it is a pause
            name = f"gc.gen{generation}"
            timing_log.info("%s %.2f ms", name, ms, extra={"handler": name, "ms": ms})


def log_pauses() -> None:
    """Log every full collection's pause, and a middle one's of 5 ms or more (idempotent)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def tune_for_serving() -> None:
    """Set the serving thresholds in this process (a backend worker, at start)."""
    gc.set_threshold(*SERVING_THRESHOLDS)
