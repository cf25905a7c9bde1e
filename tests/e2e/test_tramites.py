"""Trámites Comerciales in a real browser: the demo customer links its supply, sees the simulator while it
is pending, and once validated subscribes a 3-cuota Plan de Pago that shows in Trámites and Notificaciones;
then pays its first cuota through the demo checkout and gets the receipt by e-mail. Screenshots of each state
at 1280 and 375 px go to $AUTOGESTION_SHOTS, and axe-core checks Trámites with the plan."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autogestion.clock import local_today
from autogestion.services import plan_math
from autogestion.services.formatting import format_money
from tests.e2e.helpers import asociar, decide_item, dni_photo, execute, login, operator_login, query, search_queue

DEMO_DNI, DEMO_PASSWORD, DEMO_EMAIL = "20123456", "Portal.Demo26", "juan.perez@example.com"
DEMO_SUPPLY = "2000380655"
SHOTS = Path(os.environ.get("AUTOGESTION_SHOTS", "/tmp/shots-tramites"))


def _shots(page, base_url: str, name: str) -> None:
    """/tramites at desktop and phone widths, full page (for people to look at)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _axe_violations(page, base_url: str) -> list[str]:
    """Serious or critical axe-core violations of /tramites at desktop and phone widths."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    found = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base_url + "/tramites")
        expect(page.get_by_role("heading", name="Mis Planes de Pago")).to_be_visible()
        page.wait_for_timeout(300)
        for violation in axe.run(page).response["violations"]:
            if violation.get("impact") in ("serious", "critical"):
                targets = [node["target"] for node in violation["nodes"]][:3]
                found.append(f"{width}px: {violation['id']} {targets}")
    page.set_viewport_size({"width": 1280, "height": 900})
    return found


def _overdue(data_dir) -> list[tuple[str, int]]:
    return query(
        data_dir,
        "SELECT i.number, i.amount_cents FROM invoices i WHERE i.supply_number = ? AND i.status = 'impaga' "
        "AND i.due_on < ? AND i.id NOT IN (SELECT invoice_id FROM plan_invoices) ORDER BY i.due_on, i.number",
        DEMO_SUPPLY,
        local_today().isoformat(),
    )


def _cleanup(data_dir) -> None:
    """Leave the demo customer without links or plans, as the other browser tests expect it."""
    user = "(SELECT id FROM users WHERE doc_number = ?)"
    plans = f"(SELECT id FROM payment_plans WHERE user_id = {user})"
    execute(data_dir, f"DELETE FROM payments WHERE user_id = {user}", DEMO_DNI)
    execute(data_dir, f"DELETE FROM plan_installments WHERE plan_id IN {plans}", DEMO_DNI)
    execute(data_dir, f"DELETE FROM plan_invoices WHERE plan_id IN {plans}", DEMO_DNI)
    execute(data_dir, f"DELETE FROM payment_plans WHERE user_id = {user}", DEMO_DNI)
    execute(
        data_dir,
        f"DELETE FROM review_items WHERE link_id IN (SELECT id FROM supply_links WHERE user_id = {user})",
        DEMO_DNI,
    )
    execute(data_dir, f"DELETE FROM supply_links WHERE user_id = {user}", DEMO_DNI)


def test_the_demo_customer_subscribes_a_plan_of_3_cuotas(page, base_url, app_server, outbox, tmp_path):
    data_dir = app_server["data_dir"]
    login(page, base_url, DEMO_DNI, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    try:
        # No link yet: the page only offers Asociar.
        page.goto(base_url + "/tramites")
        expect(page.get_by_role("heading", name="Asociá un suministro")).to_be_visible()
        expect(page.get_by_role("button", name="Asociar")).to_be_visible()
        _shots(page, base_url, "0-sin-suministro")

        # Pending: the review deadline and the read-only simulator of the plans it will allow.
        asociar(page, base_url, data_dir, DEMO_SUPPLY, dni=dni_photo(tmp_path))
        page.goto(base_url + "/tramites")
        expect(page.get_by_text("El Plan de Pago se habilita cuando un operador valida tu suministro")).to_be_visible()
        expect(page.get_by_text(re.compile(r"lo revisamos antes del [0-9]{2}/[0-9]{2}/[0-9]{4}"))).to_be_visible()
        expect(page.get_by_role("tab")).to_have_count(4)
        page.get_by_role("tab", name="12 cuotas").click()
        expect(page.get_by_role("table", name="Simulación de 12 cuotas").get_by_role("row")).to_have_count(14)
        expect(page.get_by_role("checkbox")).to_have_count(0)  # no form before validation
        page.get_by_role("tab", name="3 cuotas").click()
        _shots(page, base_url, "1-pendiente-simulador")

        # An operator validates the link in the back office: the DNI photo is LEGIBLE, the holder's link is validado.
        operator_page = page.context.browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        operator_login(operator_page, base_url)
        search_queue(operator_page, DEMO_DNI)
        queue = operator_page.get_by_role("table", name="Cola de revisión")
        while queue.get_by_role("link", name="Juan Perez").count():
            queue.get_by_role("link", name="Juan Perez").first.click()
            expect(operator_page.get_by_role("heading", name="Decisión")).to_be_visible()
            decide_item(operator_page, "LEGIBLE")
            operator_page.get_by_role("button", name="Volver a la cola").click()
            search_queue(operator_page, DEMO_DNI)
        operator_page.context.close()
        outbox.wait_mail(DEMO_EMAIL, "ya podés suscribir Planes de Pago")
        overdue = _overdue(data_dir)
        assert len(overdue) >= 2, overdue
        page.goto(base_url + "/tramites")
        expect(page.get_by_role("heading", name=f"Plan de Pago · Suministro N° {DEMO_SUPPLY}")).to_be_visible()
        boxes = page.get_by_role("checkbox")
        expect(boxes).to_have_count(len(overdue))
        for index in range(len(overdue)):
            expect(boxes.nth(index)).to_be_checked()

        # Leave the newest overdue invoice out, choose 3 cuotas: the schedule is plan_math's.
        boxes.nth(len(overdue) - 1).click()
        expect(boxes.nth(len(overdue) - 1)).not_to_be_checked()
        page.get_by_role("radio", name="3 cuotas").click()
        principal = sum(amount for _, amount in overdue[:-1])
        first_due = plan_math.next_business_day(local_today() + timedelta(days=30))
        expected = plan_math.schedule(
            principal_cents=principal, installments=3, monthly_rate_bp=250, first_due=first_due
        )
        total = format_money(plan_math.total_cents(expected))
        table = page.get_by_role("table", name="Cuotas del plan", exact=True)
        for number, due_on, amount in plan_math.describe(expected):
            expect(table.get_by_role("row").nth(int(number))).to_contain_text(due_on)
            expect(table.get_by_role("row").nth(int(number))).to_contain_text(amount)
        expect(table).to_contain_text(total)

        # NO closes the confirmation; SI subscribes.
        page.get_by_role("button", name="Suscribir plan").click()
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_contain_text(f"¿Confirmás el plan de 3 cuotas por {total}?")
        dialog.get_by_role("button", name="NO").click()
        expect(dialog).to_have_count(0)
        assert query(data_dir, "SELECT COUNT(*) FROM payment_plans WHERE supply_number = ?", DEMO_SUPPLY)[0][0] == 0
        page.get_by_role("button", name="Suscribir plan").click()
        page.get_by_role("alertdialog").get_by_role("button", name="SI").click()
        expect(page.get_by_role("status")).to_contain_text(f"Suscribiste un Plan de Pago de 3 cuotas por {total}")

        # The plan, its cuotas and its invoices, in Trámites (also after a reload).
        page.goto(base_url + "/tramites")
        expect(page.get_by_role("heading", name="Mis Planes de Pago")).to_be_visible()
        expect(page.get_by_text(f"Plan de 3 cuotas · Suministro N° {DEMO_SUPPLY}")).to_be_visible()
        for number, _ in overdue[:-1]:
            expect(page.get_by_text(number, exact=False).first).to_be_visible()
        [(installments, plan_total)] = query(
            data_dir, "SELECT installments, total_cents FROM payment_plans WHERE supply_number = ?", DEMO_SUPPLY
        )
        assert (installments, format_money(plan_total)) == (3, total)
        # The invoice left out is still offered.
        expect(page.get_by_role("checkbox")).to_have_count(1)
        _shots(page, base_url, "2-validado-formulario-y-plan")

        # Adhesión a factura digital: stored and confirmed by e-mail.
        page.get_by_role("switch").click()
        expect(page.get_by_role("status")).to_contain_text(f"Adheriste el suministro N° {DEMO_SUPPLY}")
        expect(page.get_by_role("switch")).to_be_checked()
        assert query(data_dir, "SELECT digital_invoice FROM supply_links WHERE supply_number = ?", DEMO_SUPPLY) == [
            (1,)
        ]
        outbox.wait_mail(DEMO_EMAIL, "adhesión a factura digital")

        # Each unpaid cuota offers Pagar (payments.start_payment is there).
        expect(page.get_by_role("button", name="Pagar la cuota N° 1")).to_be_visible()

        # The e-mail, and Notificaciones.
        mail = outbox.wait_mail(DEMO_EMAIL, "suscribiste un Plan de Pago de 3 cuotas")
        assert total in mail["body"]
        page.goto(base_url + "/notificaciones")
        expect(
            page.get_by_text(f"Suministro N° {DEMO_SUPPLY}: suscribiste un Plan de Pago de 3 cuotas").first
        ).to_be_visible()

        # Pagar la cuota N° 1: the demo checkout shows the cuota and its amount (from the database), Aprobar.
        [(plan_id,)] = query(data_dir, "SELECT id FROM payment_plans WHERE supply_number = ?", DEMO_SUPPLY)
        first_amount = format_money(expected[0].amount_cents)
        page.goto(base_url + "/tramites")
        page.get_by_role("button", name="Pagar la cuota N° 1").click()
        expect(page).to_have_url(re.compile(r"/pagos/demo/[0-9a-f]{32}/?$"))
        expect(page.get_by_text("Demostración — no se cobra nada.")).to_be_visible()
        expect(page.get_by_text(f"Cuota 1 del plan de pago N° {plan_id} — Suministro N° {DEMO_SUPPLY}")).to_be_visible()
        expect(page.get_by_text(first_amount, exact=True)).to_be_visible()
        [(charged, status)] = query(
            data_dir,
            "SELECT p.amount_cents, p.status FROM payments p JOIN plan_installments c ON c.id = p.installment_id "
            "WHERE c.plan_id = ? AND c.number = 1",
            plan_id,
        )
        assert (charged, status) == (expected[0].amount_cents, "pendiente")
        _shots(page, base_url, "4-checkout-cuota-pendiente")
        page.get_by_role("button", name="Aprobar pago").click()
        expect(page.get_by_role("status")).to_contain_text("Pago aprobado. La cuota figura como pagada")
        expect(page.get_by_role("button", name="Aprobar pago")).to_have_count(0)
        _shots(page, base_url, "5-checkout-cuota-aprobada")

        # Back in Trámites: cuota 1 is paid (no Pagar), cuota 2 still offers it; the receipt is in the Maildir.
        page.get_by_role("button", name="Volver").click()
        expect(page).to_have_url(re.compile(r"/tramites/?$"))
        schedule = page.get_by_role("table", name=f"Cuotas del Plan de Pago N° {plan_id}")
        paid_row = schedule.get_by_role("row").nth(1)
        expect(paid_row).to_contain_text("Pagada")
        expect(paid_row).to_contain_text(first_amount)
        expect(page.get_by_role("button", name="Pagar la cuota N° 1")).to_have_count(0)
        expect(page.get_by_role("button", name="Pagar la cuota N° 2")).to_be_visible()
        assert query(
            data_dir, "SELECT paid_at IS NOT NULL FROM plan_installments WHERE plan_id = ? ORDER BY number", plan_id
        ) == [(1,), (0,), (0,)]
        receipt = outbox.wait_mail(DEMO_EMAIL, f"Recibimos tu pago de {first_amount}")
        assert "la cuota 1 de tu plan de pago" in receipt["body"] and "figura como pagada" in receipt["body"]
        _shots(page, base_url, "3-plan-con-cuota-pagada")

        # axe-core on Trámites with the plan and its cuotas: no serious or critical violation.
        violations = _axe_violations(page, base_url)
        assert not violations, "\n".join(violations)

        # Rejected (what an operator's NO LEGIBLE leaves): the reason and what to do, no plan form.
        execute(
            data_dir,
            "UPDATE supply_links SET status = 'rechazado', reject_reason = 'NO_LEGIBLE' WHERE supply_number = ? "
            "AND user_id = (SELECT id FROM users WHERE doc_number = ?)",
            DEMO_SUPPLY,
            DEMO_DNI,
        )
        page.goto(base_url + "/tramites")
        expect(page.get_by_text("La imagen no se lee bien.")).to_be_visible()
        # The holder's own link has no poder to replace: no "Subí un poder nuevo".
        expect(page.get_by_role("link", name="Ver el detalle en Mis Suministros")).to_be_visible()
        expect(page.get_by_text("Subí un poder nuevo")).to_have_count(0)
        expect(page.get_by_role("checkbox")).to_have_count(0)
        _shots(page, base_url, "6-rechazado")
    finally:
        _cleanup(data_dir)
