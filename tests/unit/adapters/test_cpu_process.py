"""The helper process for GIL-holding work (adapters/cpu_process.py): really another process, errors come
back as they are, a helper that died is replaced."""

from __future__ import annotations

import os
import signal

import pytest

from autogestion.adapters import cpu_process


def _pid() -> int:
    return os.getpid()


def _refuse(*, why: str) -> None:
    raise ValueError(why)


async def test_work_runs_in_another_process_and_errors_come_back():
    helper = await cpu_process.run(_pid)
    assert helper != os.getpid()
    assert await cpu_process.run(_pid) == helper, "one helper per worker, reused"
    with pytest.raises(ValueError, match="no way"):
        await cpu_process.run(_refuse, why="no way")


async def test_a_helper_that_died_is_replaced():
    helper = await cpu_process.run(_pid)
    os.kill(helper, signal.SIGKILL)
    replacement = await cpu_process.run(_pid)
    assert replacement not in (helper, os.getpid())


async def test_the_invoice_pdf_crosses_as_plain_values():
    # imported here, not at the top: the helper imports this module to find the probes, and the warm-up
    # test below must see a helper that only the warm-up made load the PDF code
    from autogestion.adapters.invoice_pdf import render_invoice_pdf, render_invoice_pdf_values
    from tests.unit.adapters.test_invoice_pdf import make_invoice, text_of

    invoice, supply = make_invoice()
    values = {"brand": "Energía San Juan S.A.", "status_label": "Impaga"}
    remote = await cpu_process.run(
        render_invoice_pdf_values, invoice=invoice.model_dump(), supply=supply.model_dump(), **values
    )
    local = render_invoice_pdf(invoice=invoice, supply=supply, **values)
    assert remote.startswith(b"%PDF") and text_of(remote) == text_of(local)  # fpdf2 stamps the time: compare text
    assert "0012-00345678" in text_of(remote)


async def test_warm_up_starts_the_helper_with_the_pdf_code_loaded_and_shutdown_stops_it():
    cpu_process.shutdown()
    await cpu_process.warm_up()
    helper = await cpu_process.run(_pid)
    assert await cpu_process.run(_loaded, module="fpdf"), "the PDF library is imported before the first request"
    cpu_process.shutdown()
    assert await cpu_process.run(_pid) != helper, "after shutdown a new helper starts on demand"


def _loaded(*, module: str) -> bool:
    import sys

    return module in sys.modules
