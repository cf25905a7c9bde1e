"""Supplies in a real browser: Asociar Suministro (holder, apoderado, quiz lock), documents, invoices and PDFs."""

from __future__ import annotations

import io
import re

import httpx
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.helpers import (
    asociar,
    choose_option,
    dni_photo,
    import_holder_supply,
    login,
    poder_pdf,
    query,
    quiz_options,
    real_quiz_labels,
    register,
    upload,
    verify_number,
)

DEMO_SUPPLY = "2000380655"  # holder Juan Perez, DNI 20123456 (the demo customer)
MARIA_SUPPLY = "2000412873"  # holder María Fernanda Gómez, DNI 27345678 (no account)
QUIROGA_SUPPLY = "2000157420"


def _mis_suministros_row(page, numero: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=numero, exact=True))


def test_link_as_holder_sends_the_manuals_email(page, base_url, app_server, outbox, tmp_path):
    person = register(page, base_url, outbox)
    numero = import_holder_supply(app_server["data_dir"], tmp_path, person)

    asociar(page, base_url, app_server["data_dir"], numero, dni=dni_photo(tmp_path))

    expect(page.get_by_text("Detalle (1)")).to_be_visible()
    row = _mis_suministros_row(page, numero)
    for text in ("Titular", f"DNI {person.dni}", "DT1 (TRA-RSD)", "NORMAL", "Pendiente de validación"):
        expect(row).to_contain_text(text)
    mail = outbox.wait_mail(person.email, f"Asociación del Suministro N° {numero}")
    assert f"Ud. ha asociado al Suministro {numero} a su cuenta" in mail["body"]
    assert re.search(r"El día [0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} Ud\. ha asociado", mail["body"])
    # The quiz's answer key and the stored documents' ids never travel to the browser.
    frames = "\n".join(page.ws_frames)
    assert "correct_index" not in frames
    (doc_id,) = query(
        app_server["data_dir"],
        "SELECT d.id FROM documents d JOIN users u ON u.id = d.user_id WHERE u.doc_number = ?",
        person.dni,
    )[0]
    assert doc_id not in frames


def test_link_as_apoderado_with_a_poder(page, base_url, app_server, outbox, tmp_path):
    person = register(page, base_url, outbox)
    page.goto(base_url + "/suministros/asociar")
    verify_number(page, MARIA_SUPPLY)
    real = set(real_quiz_labels(app_server["data_dir"], MARIA_SUPPLY))
    choose_option(page, next(label for label in quiz_options(page) if label in real))
    expect(page.get_by_text("¡Correcto!")).to_be_visible()
    expect(page.get_by_text("No sos el titular de este suministro")).to_be_visible()
    upload(page, "Elegir foto del DNI", dni_photo(tmp_path))
    expect(page.get_by_text("Foto cargada:")).to_be_visible()

    # Without the poder "Asociar" says what is missing instead of asking for confirmation.
    page.get_by_role("button", name="Asociar", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="subí el poder")).to_be_visible()
    expect(page.get_by_role("alertdialog")).to_have_count(0)

    # An HTML page renamed .pdf is refused with the service's message; a real PDF is stored.
    fake = tmp_path / "poder-falso.pdf"
    fake.write_bytes(b"<html><body><script>alert(1)</script></body></html>")
    upload(page, "Elegir archivo del poder", fake)
    expect(
        page.get_by_role("alert").filter(has_text="El poder tiene que ser un PDF o una imagen JPEG o PNG.")
    ).to_be_visible()
    expect(page.get_by_text("Poder cargado:")).to_have_count(0)
    upload(page, "Elegir archivo del poder", poder_pdf(tmp_path))
    expect(page.get_by_text("Poder cargado:")).to_be_visible()

    # NO keeps everything as it was; SI links.
    page.get_by_role("button", name="Asociar", exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name="NO").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/suministros/asociar/?$"))
    page.get_by_role("button", name="Asociar", exact=True).click()
    expect(page.get_by_role("alertdialog")).to_contain_text(
        f"¿Está seguro que desea asociar el suministro N° {MARIA_SUPPLY} a su cuenta?"
    )
    page.get_by_role("alertdialog").get_by_role("button", name="SI").click()

    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    expect(page.get_by_role("status")).to_contain_text("podés consultar, imprimir y pagar tus facturas")
    row = _mis_suministros_row(page, MARIA_SUPPLY)
    expect(row).to_contain_text("Poder")
    expect(row).to_contain_text("María Fernanda Gómez")
    expect(row).to_contain_text("DNI *****678")  # masked for an apoderado until an operator validates the link
    expect(row).to_contain_text("Pendiente de validación")
    mail = outbox.wait_mail(person.email, f"Asociación del Suministro N° {MARIA_SUPPLY}")
    assert f"Ud. ha asociado al Suministro {MARIA_SUPPLY}" in mail["body"]
    kinds = query(
        app_server["data_dir"],
        "SELECT d.kind FROM supply_links l JOIN users u ON u.id = l.user_id "
        "JOIN documents d ON d.id IN (l.dni_document_id, l.poder_document_id) WHERE u.doc_number = ?",
        person.dni,
    )
    assert sorted(k for (k,) in kinds) == ["dni", "poder"]


def test_one_wrong_answer_locks_the_supply_for_24_hours(page, base_url, app_server, outbox):
    register(page, base_url, outbox)
    page.goto(base_url + "/suministros/asociar")
    verify_number(page, QUIROGA_SUPPLY)
    expect(page.get_by_text("si la opción no es la correcta, este suministro queda bloqueado")).to_be_visible()
    real = set(real_quiz_labels(app_server["data_dir"], QUIROGA_SUPPLY))
    wrong = [label for label in quiz_options(page) if label not in real]
    assert len(wrong) == 3

    choose_option(page, wrong[0])
    locked = "bloqueado para tu cuenta durante 24 horas"
    expect(page.get_by_role("alert").filter(has_text="Esa no es la opción correcta")).to_contain_text(locked)
    expect(page.get_by_label("Incorrecto")).to_be_visible()
    expect(page.get_by_role("button", name="Confirmar")).to_be_disabled()
    assert "intentos" not in page.get_by_role("alert").filter(has_text=locked).inner_text()

    # A reload gives no new chance (and no options at all).
    page.reload()
    verify_number(page, QUIROGA_SUPPLY)
    expect(page.get_by_role("alert").filter(has_text=locked)).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(0)
    assert "correct_index" not in "\n".join(page.ws_frames)


def test_unknown_and_malformed_numbers_get_a_red_cross(page, base_url, outbox):
    register(page, base_url, outbox)
    page.goto(base_url + "/suministros/asociar")
    verify_number(page, "1999999991")
    expect(page.get_by_role("alert").filter(has_text="No encontramos ese N° de suministro")).to_be_visible()
    expect(page.get_by_label("Incorrecto")).to_be_visible()
    verify_number(page, "20003806A5")
    expect(page.get_by_role("alert").filter(has_text="El N° de suministro solo lleva números.")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(0)
    # Checked on blur too, not only with the button.
    page.get_by_label("N° de Suministro").fill(DEMO_SUPPLY)
    page.get_by_label("N° de Suministro").blur()
    expect(page.get_by_role("radio")).to_have_count(4)
    expect(page.get_by_label("Correcto").first).to_be_visible()


def test_uploaded_file_is_viewable_only_by_its_owner(page, base_url, app_server, outbox, tmp_path, browser):
    register(page, base_url, outbox)
    page.goto(base_url + "/suministros/asociar")
    verify_number(page, MARIA_SUPPLY)
    real = set(real_quiz_labels(app_server["data_dir"], MARIA_SUPPLY))
    choose_option(page, next(label for label in quiz_options(page) if label in real))
    upload(page, "Elegir foto del DNI", dni_photo(tmp_path))
    expect(page.get_by_text("Foto cargada:")).to_be_visible()

    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Ver foto del DNI").click()
    viewer = opened.value
    viewer.wait_for_load_state()
    url = viewer.url
    assert "/api/archivo/" in url
    owner = page.request.get(url)
    assert owner.status == 200
    assert owner.headers["content-type"] == "image/jpeg"
    assert owner.body()[:3] == b"\xff\xd8\xff"
    assert owner.headers["x-content-type-options"] == "nosniff"

    # Another logged-in customer holding the same link gets nothing; so does someone without a session.
    other = browser.new_context()
    other_page = other.new_page()
    login(other_page, base_url, "20123456", "Portal.Demo26")
    expect(other_page).to_have_url(re.compile(r"/suministros/?$"))
    expect(other_page.get_by_role("heading", name="Todavía no tenés suministros asociados")).to_be_visible()
    assert other_page.request.get(url).status == 404
    other.close()
    assert httpx.get(url).status_code == 404
    # Nothing is ever published under Reflex's public upload folder.
    assert httpx.get(base_url + "/_upload/dni-frente.jpg").status_code == 404


def test_invoices_paginate_chart_and_print(page, base_url, app_server, outbox, tmp_path):
    person = register(page, base_url, outbox)
    numero = import_holder_supply(app_server["data_dir"], tmp_path, person, invoices=15)
    asociar(page, base_url, app_server["data_dir"], numero, dni=dni_photo(tmp_path))

    page.get_by_role("link", name=numero, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/suministros/{numero}/?$"))
    expect(page.get_by_text(f"Suministro N° {numero}")).to_be_visible()
    expect(page.get_by_text("Calle Laprida 1450 (O), Capital, San Juan")).to_be_visible()
    expect(page.get_by_text("pendiente de validación", exact=False).first).to_be_visible()
    table = page.get_by_role("table", name="Facturas")
    for header in ("PERÍODO", "N° DE FACTURA", "EMISIÓN", "VENCIMIENTO", "IMPORTE", "ESTADO"):
        expect(table.get_by_role("columnheader", name=header)).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(13)  # header + 12
    expect(page.get_by_text("Página 1 de 2")).to_be_visible()
    expect(page.get_by_role("button", name="Anterior")).to_be_disabled()
    for status in ("Impaga", "Vencida", "Pagada"):
        expect(table).to_contain_text(status)
    expect(table.get_by_text(re.compile(r"^\$ [0-9]{1,3}(\.[0-9]{3})*,[0-9]{2}$")).first).to_be_visible()
    chart = page.get_by_role("figure", name="Gráfico de consumo en kWh por período")
    expect(chart).to_be_visible()
    newest = table.get_by_role("rowheader").first.inner_text()
    expect(chart).to_contain_text(newest)  # the axis ends at the newest period

    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_text("Página 2 de 2")).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(4)  # header + 3 oldest
    expect(page.get_by_role("button", name="Siguiente")).to_be_disabled()

    oldest = f"E2E-{numero}-15"
    with page.expect_download() as download:
        page.get_by_role("button", name=f"Imprimir factura {oldest}").click()
    pdf = download.value
    data = open(pdf.path(), "rb").read()
    assert data.startswith(b"%PDF")
    assert pdf.suggested_filename == f"factura-{oldest}.pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert oldest in text
    assert numero in text

    page.get_by_role("button", name="Anterior").click()
    expect(page.get_by_text("Página 1 de 2")).to_be_visible()


def test_another_users_supply_is_not_found(page, base_url, app_server, outbox):
    register(page, base_url, outbox)
    for numero in (DEMO_SUPPLY, MARIA_SUPPLY, "1999999999", "abc"):
        page.goto(f"{base_url}/suministros/{numero}")
        expect(page.get_by_text("Suministro no encontrado.")).to_be_visible()
        expect(page.get_by_role("table")).to_have_count(0)
        expect(page.get_by_role("button", name="Siguiente")).to_have_count(0)
    frames = "\n".join(page.ws_frames)
    for secret in ("Av. Libertador", "Calle Mendoza 850", "María Fernanda", "20123456", "27345678"):
        assert secret not in frames, f"{secret!r} reached the browser"
    # The static route is not swallowed by /suministros/[numero].
    page.goto(base_url + "/suministros/asociar")
    expect(page.get_by_role("heading", name="Asociar Suministro")).to_be_visible()
    expect(page.get_by_label("N° de Suministro")).to_be_visible()
