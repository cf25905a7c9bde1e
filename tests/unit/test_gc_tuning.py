"""Full-collection pauses are logged on autogestion.timing (for the load bench) once enabled."""

from __future__ import annotations

import gc
import logging

from autogestion import gc_tuning


def test_full_collections_are_logged_with_their_pause(caplog):
    gc_tuning.log_full_collections()
    gc_tuning.log_full_collections()
    try:
        assert gc.callbacks.count(gc_tuning._on_gc) == 1, "enabling twice must not log twice"
        with caplog.at_level(logging.INFO, logger="autogestion.timing"):
            gc.collect(1)  # a young collection: not logged
            gc.collect()  # a full one
        records = [r for r in caplog.records if getattr(r, "handler", "") == "gc.gen2"]
        assert len(records) == 1 and records[0].ms >= 0
    finally:
        gc.callbacks.remove(gc_tuning._on_gc)
