"""The back office in a real browser: a customer and an operator, each in a browser context of their own.

The DNI photo of a new link goes to the queue; the operator finds it by the customer's document, sees the
photo through the operator document route and judges it NO LEGIBLE; the customer is sent to Mi Perfil and
uploads a new one; the operator judges that one LEGIBLE and the link is validated (e-mail, SMS, Mis
Suministros). A customer session never opens the back office nor an operator's document link.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    asociar,
    create_operator,
    decide_item,
    dni_photo,
    import_holder_supply,
    login,
    logout,
    open_queue_item,
    operator_login,
    query,
    register,
    search_queue,
    wait_sms_containing,
)


def _operator_page(browser, **context_args):
    """A second browser context (its own cookies) whose uncaught errors are collected."""
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def _document_image(op):
    image = op.get_by_role("img", name=re.compile("^Documento presentado por"))
    expect(image).to_be_visible()
    op.wait_for_function(
        "() => { const i = document.getElementById('documento'); return i && i.complete && i.naturalWidth > 0; }"
    )
    return image


def test_operator_reviews_a_dni_photo_twice_and_the_link_is_validated(
    page, browser, base_url, app_server, outbox, tmp_path
):
    data_dir = app_server["data_dir"]
    # (a) The customer links a supply of their own, with a photo of the DNI.
    person = register(page, base_url, outbox)
    numero = import_holder_supply(data_dir, tmp_path, person)
    asociar(page, base_url, data_dir, numero, dni=dni_photo(tmp_path))
    logout(page)
    name = f"{person.first} {person.last}"

    # (b) The operator finds the item by the customer's document, sees the photo, and judges it NO LEGIBLE.
    context, op, errors = _operator_page(browser)
    operator_login(op, base_url)
    search_queue(op, person.dni)
    row = op.get_by_role("table", name="Cola de revisión").get_by_role("row").nth(1)
    for text in ("Foto del DNI", name, f"DNI {person.dni}", numero, "faltan"):
        expect(row).to_contain_text(text)
    open_queue_item(op, name)
    expect(op.get_by_text("Reservado para vos")).to_be_visible()
    image = _document_image(op)
    src = image.get_attribute("src") or ""
    assert src.startswith("/api/archivo/") and "/_upload" not in src
    compare = op.get_by_role("table", name=f"Datos del cliente y del titular del suministro {numero}")
    expect(compare).to_contain_text("Calle Laprida 1450 (O), Capital, San Juan")
    expect(compare.get_by_role("row", name=re.compile("^Documento"))).to_contain_text(f"DNI {person.dni}")

    # The document route: inline for the operator's session, never for a customer's nor for nobody.
    served = op.request.get(base_url + src)
    assert served.status == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["content-disposition"].startswith("inline")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"].startswith("sandbox")
    login(page, base_url, "20123456", "Portal.Demo26")  # the demo customer, in the customer's context
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    assert page.request.get(base_url + src).status == 404
    assert httpx.get(base_url + src).status_code == 404
    logout(page)

    # A reason is required to reject.
    op.get_by_role("button", name="NO LEGIBLE", exact=True).click()
    dialog = op.get_by_role("alertdialog")
    dialog.get_by_role("button", name="Confirmar NO LEGIBLE").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Elegí el motivo del rechazo.")
    dialog.get_by_label("Motivo").select_option("NO_LEGIBLE")
    dialog.get_by_role("button", name="Confirmar NO LEGIBLE").click()
    expect(op.get_by_role("status").filter(has_text="Decisión registrada: NO LEGIBLE").first).to_be_visible()
    expect(op.get_by_text("No se lee")).to_be_visible()
    outbox.wait_mail(person.email, "La foto de tu DNI no es legible")

    # (c) The customer logs in, lands on Mi Perfil and uploads a new photo.
    login(page, base_url, person.dni, person.password)
    expect(page).to_have_url(re.compile(r"/perfil/?$"))
    expect(page.get_by_text("NO LEGIBLE: cargá una foto nueva")).to_be_visible()  # Mi Perfil has loaded
    page.locator("#perfil_dni_upload input[type=file]").set_input_files(str(dni_photo(tmp_path)))
    expect(page.get_by_text("Recibimos la foto de tu DNI")).to_be_visible()

    # (d) The operator opens the new item (the first one is resolved) and judges it LEGIBLE.
    op.get_by_role("button", name="Volver a la cola").click()
    expect(op.get_by_role("heading", name="Cola de revisión")).to_be_visible()
    search_queue(op, person.dni)
    open_queue_item(op, name)
    _document_image(op)
    decide_item(op, "LEGIBLE")
    assert query(
        data_dir,
        "SELECT l.status FROM supply_links l JOIN users u ON u.id = l.user_id WHERE u.doc_number = ?",
        person.dni,
    ) == [("validado",)]

    # (e) The customer is told by e-mail and SMS, and Mis Suministros says "Validado".
    mail = outbox.wait_mail(person.email, "ya podés suscribir Planes de Pago")
    assert numero in mail["subject"]
    sms = wait_sms_containing(outbox, person.e164, "Planes de Pago")
    assert numero in sms["text"]
    page.goto(base_url + "/suministros")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=numero, exact=True))
    expect(row).to_contain_text("Validado")

    # The supervisor's audit log has both decisions and the views.
    op.get_by_role("link", name="Auditoría").click()
    expect(op.get_by_role("heading", name="Registro de auditoría")).to_be_visible()
    log = op.get_by_role("table", name="Registro de auditoría")
    expect(log.get_by_role("row").filter(has_text="Decidió").filter(has_text="NO LEGIBLE").first).to_contain_text(
        "No se lee"
    )
    expect(log.get_by_role("row").filter(has_text="Decidió").filter(has_text="LEGIBLE").first).to_be_visible()
    expect(log.get_by_role("row").filter(has_text="Vio el documento").first).to_be_visible()
    context.close()
    assert not errors, f"browser errors in the operator's page: {errors}"


def test_a_customer_session_never_opens_the_back_office(page, base_url, outbox):
    register(page, base_url, outbox)
    for path in ("/operador/item/1", "/operador/auditoria", "/operador"):
        page.goto(base_url + path)
        expect(page.get_by_role("heading", name="Ingreso de operadores")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/operador/?$"))
        expect(page.get_by_role("heading", name="Decisión")).to_have_count(0)
        expect(page.get_by_role("heading", name="Cola de revisión")).to_have_count(0)


def test_an_operador_sees_the_queue_but_not_the_audit_log(page, base_url, app_server):
    create_operator(app_server["data_dir"], "e2e.operador", "Clave.Operador26", name="Lucía Quiroga")
    operator_login(page, base_url, "e2e.operador", "Clave.Operador26")
    expect(page.get_by_text("Lucía Quiroga")).to_be_visible()
    expect(page.get_by_role("link", name="Auditoría")).to_have_count(0)
    page.goto(base_url + "/operador/auditoria")
    expect(page).to_have_url(re.compile(r"/operador/?$"))
    expect(page.get_by_text("Esta acción es solo para supervisores.")).to_be_visible()
    expect(page.get_by_role("heading", name="Registro de auditoría")).to_have_count(0)
    # "Salir" ends the operator session: the form again, and the queue is gone.
    with page.expect_navigation():  # the session endpoint clears ag_op, then the page reloads
        page.get_by_role("button", name="Salir").click()
    expect(page.get_by_role("heading", name="Ingreso de operadores")).to_be_visible()
    page.goto(base_url + "/operador/item/1")
    expect(page.get_by_role("heading", name="Ingreso de operadores")).to_be_visible()


@pytest.mark.parametrize("width", [1440, 375])
def test_back_office_pages_have_no_serious_accessibility_violations(page, base_url, width):
    """axe-core on the login form, the queue, an item and the audit log (serious and critical only)."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    axe = axe_module.Axe()
    page.set_viewport_size({"width": width, "height": 900})

    def check(what: str) -> None:
        results = axe.run(page)
        serious = [
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")
        ]
        assert not serious, f"{what}: {serious}"

    page.goto(base_url + "/operador")
    expect(page.get_by_role("heading", name="Ingreso de operadores")).to_be_visible()
    check("login form")
    operator_login(page, base_url)
    check("queue")
    item = page.locator("a[href^='/operador/item/']:visible").first
    if not item.count():  # nothing pending now: a resolved item will do
        page.get_by_role("button", name="Resueltos").click()
        expect(page.get_by_role("button", name="Resueltos")).to_have_attribute("aria-pressed", "true")
    if item.count():
        item.click()
        expect(page.get_by_role("heading", name="Decisión")).to_be_visible()
        check("item")
        page.get_by_role("button", name="Volver a la cola").click()
        expect(page.get_by_role("heading", name="Cola de revisión")).to_be_visible()
    page.goto(base_url + "/operador/auditoria")
    expect(page.get_by_role("heading", name="Registro de auditoría")).to_be_visible()
    check("audit log")
