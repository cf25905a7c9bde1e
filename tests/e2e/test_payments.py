"""Pagar una factura in a real browser, through the demo checkout ("Demostración — no se cobra nada").
Screenshots at 1280 and 375 px go to $AUTOGESTION_SHOTS (for people to look at)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.helpers import asociar, dni_photo, import_holder_supply, query, register

SHOTS = Path(os.environ.get("AUTOGESTION_SHOTS", "/tmp/shots-tramites"))


def _shots(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_pay_an_invoice_through_the_demo_checkout(page, base_url, app_server, outbox, tmp_path):
    person = register(page, base_url, outbox)
    numero = import_holder_supply(app_server["data_dir"], tmp_path, person, invoices=3)
    asociar(page, base_url, app_server["data_dir"], numero, dni=dni_photo(tmp_path))

    page.get_by_role("link", name=numero, exact=True).click()
    table = page.get_by_role("table", name="Facturas")
    overdue = f"E2E-{numero}-02"  # unpaid and past due: Vencida
    row = table.get_by_role("row").filter(has_text=overdue)
    expect(row).to_contain_text("Vencida")
    # Paid invoices have no Pagar; the two unpaid ones have it beside Imprimir.
    expect(table.get_by_role("button", name=f"Pagar factura E2E-{numero}-03")).to_have_count(0)
    expect(table.get_by_role("button", name=f"Imprimir factura E2E-{numero}-03")).to_be_visible()
    _shots(page, "7-facturas-con-pagar")
    row.get_by_role("button", name=f"Pagar factura {overdue}").click()

    expect(page).to_have_url(re.compile(r"/pagos/demo/[0-9a-f]{32}/?$"))
    expect(page.get_by_text("Demostración — no se cobra nada.")).to_be_visible()
    expect(page.get_by_text(f"Factura N° {overdue}")).to_be_visible()
    (amount,) = query(app_server["data_dir"], "SELECT amount_cents FROM invoices WHERE number = ?", overdue)[0]
    (paid,) = query(
        app_server["data_dir"],
        "SELECT p.amount_cents FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE i.number = ?",
        overdue,
    )[0]
    assert paid == amount
    _shots(page, "8-checkout-factura-pendiente")
    page.get_by_role("button", name="Aprobar pago").click()
    expect(page.get_by_text("Pago aprobado.")).to_be_visible()
    expect(page.get_by_role("button", name="Aprobar pago")).to_have_count(0)
    _shots(page, "9-checkout-factura-aprobada")

    page.get_by_role("button", name="Volver").click()
    expect(page).to_have_url(re.compile(rf"/suministros/{numero}/?$"))
    row = page.get_by_role("table", name="Facturas").get_by_role("row").filter(has_text=overdue)
    expect(row).to_contain_text("Pago en acreditación")
    expect(row.get_by_role("button", name=f"Pagar factura {overdue}")).to_have_count(0)
    expect(row.get_by_role("button", name=f"Imprimir factura {overdue}")).to_be_visible()
    _shots(page, "10-facturas-en-acreditacion")
    receipt = outbox.wait_mail(person.email, "Recibimos tu pago")
    assert overdue in receipt["body"] and "«Pago en acreditación»" in receipt["body"]
