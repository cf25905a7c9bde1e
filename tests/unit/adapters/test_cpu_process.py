"""The helper process for GIL-holding work (adapters/cpu_process.py): really another process, errors come
back as they are, a helper that died is replaced."""

from __future__ import annotations

import io
import os
import signal
from datetime import date

import pytest
from pypdf import PdfReader

from autogestion.adapters import cpu_process


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


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
    from autogestion.models import Invoice, Supply

    invoice = Invoice(
        id="inv7",
        supply_number="2000380655",
        number="0012-00345678",
        period="2026-10",
        issued_on=date(2026, 10, 5),
        due_on=date(2026, 10, 25),
        amount_cents=1234567,
        status="impaga",
        consumption_kwh=321,
    )
    supply = Supply(
        number="2000380655",
        status="activo",
        tariff_group="T1",
        holder_name="Juan Perez",
        holder_doc_type="DNI",
        holder_doc_number="20123456",
        collection_status="normal",
        address="Av. Libertador 123",
    )
    values = {"brand": "Energía San Juan S.A.", "status_label": "Impaga"}
    remote = await cpu_process.run(
        render_invoice_pdf_values, invoice=invoice.model_dump(), supply=supply.model_dump(), **values
    )
    local = render_invoice_pdf(invoice=invoice, supply=supply, **values)
    assert remote.startswith(b"%PDF") and _text(remote) == _text(local)  # fpdf2 stamps the time: compare text
    assert "0012-00345678" in _text(remote)


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
