"""The load bench's CPU breakdown (bench/ws_load.py): a thread at a positive nice is counted as bcrypt, the
rest of the process as the portal, and neither takes the other's share."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from tests.harness import ROOT

sys.path.insert(0, str(ROOT / "bench"))
ws_load = pytest.importorskip("ws_load")


def _spin(seconds: float) -> None:
    stop = time.thread_time() + seconds
    while time.thread_time() < stop:
        pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and per-thread nice are Linux's")
def test_a_niced_thread_is_bcrypt_and_the_rest_of_the_process_is_the_portal():
    pid = os.getpid()
    before = ws_load.cpu_by_part(pid)

    done, release = threading.Event(), threading.Event()

    def niced() -> None:  # a pool thread, as bcrypt's: it lives on (an ended thread's CPU is the process's)
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, os.getpriority(os.PRIO_PROCESS, me) + 5)
        _spin(0.4)
        done.set()
        release.wait()

    worker = threading.Thread(target=niced)
    worker.start()
    done.wait()
    _spin(0.2)  # and 0.2 s on the main thread, at nice 0
    after = ws_load.cpu_by_part(pid)
    release.set()
    worker.join()
    hashing = after["bcrypt"] - before["bcrypt"]
    portal = after["portal"] - before["portal"]
    assert 0.25 <= hashing <= 0.6, hashing
    assert 0.1 <= portal <= 0.45, portal  # the niced thread's 0.4 s is not counted twice
    assert after["machine"] - before["machine"] >= hashing + portal - 0.05
