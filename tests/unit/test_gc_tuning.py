"""The collector's serving thresholds, and its pauses logged on autogestion.timing (for the load bench)."""

from __future__ import annotations

import dataclasses
import gc
import logging
import time

from autogestion import gc_tuning


def test_full_collections_are_logged_with_their_pause(caplog):
    gc_tuning.log_pauses()
    gc_tuning.log_pauses()
    try:
        assert gc.callbacks.count(gc_tuning._on_gc) == 1, "enabling twice must not log twice"
        with caplog.at_level(logging.INFO, logger="autogestion.timing"):
            gc.collect(0)  # a young collection: not logged
            gc.collect()  # a full one
        records = [r for r in caplog.records if getattr(r, "handler", "") == "gc.gen2"]
        assert len(records) == 1 and records[0].ms >= 0
    finally:
        gc.callbacks.remove(gc_tuning._on_gc)


def test_a_middle_collection_is_logged_only_when_it_is_a_pause(caplog):
    with caplog.at_level(logging.INFO, logger="autogestion.timing"):
        gc_tuning._on_gc("start", {"generation": 1})
        gc_tuning._on_gc("stop", {"generation": 1})  # well under 5 ms
        gc_tuning._on_gc("start", {"generation": 1})
        time.sleep(0.006)
        gc_tuning._on_gc("stop", {"generation": 1})
    records = [r for r in caplog.records if getattr(r, "handler", "").startswith("gc.")]
    assert [r.handler for r in records] == ["gc.gen1"] and records[0].ms >= 5


def test_serving_thresholds_let_young_objects_die_young():
    before = gc.get_threshold()
    try:
        gc_tuning.tune_for_serving()
        assert gc.get_threshold() == gc_tuning.SERVING_THRESHOLDS
    finally:
        gc.set_threshold(*before)


async def test_every_backend_worker_serves_with_the_tuned_collector(monkeypatch):
    """The backend's lifespan (run once by each worker) sets the thresholds; its other services are
    replaced by no-ops here: they have tests of their own."""
    from autogestion import autogestion as app_module
    from autogestion.adapters import cpu_process
    from autogestion.services import maintenance

    async def idle(**_kwargs):
        return None

    monkeypatch.setattr(maintenance, "run_forever", idle)
    monkeypatch.setattr(cpu_process, "warm_up", idle)
    monkeypatch.setattr(cpu_process, "shutdown", lambda: None)
    quiet = dataclasses.replace(app_module.settings, smtp_sink=False, outbox_in_backend=False)
    monkeypatch.setattr(app_module, "settings", quiet)
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's defaults
    try:
        async with app_module.background_services():
            assert gc.get_threshold() == gc_tuning.SERVING_THRESHOLDS
    finally:
        gc.set_threshold(*before)
