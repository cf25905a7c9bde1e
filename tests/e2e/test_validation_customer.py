"""The operators' validation as the customer sees it, in a real browser: the deadline of a pending link, a
rejected link with its reason and "Subir un poder nuevo", and the holder's "yo no autoricé esto" link."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from autogestion.services.supplies import mask_name
from tests.e2e.helpers import (
    asociar,
    dni_photo,
    logout,
    poder_pdf,
    query,
    register,
    register_with_document,
    reject_poder,
    upload,
)

MARIA_SUPPLY = "2000412873"  # holder María Fernanda Gómez, DNI 27345678
HOLDER_DNI = "27345678"
REJECTED_SUPPLY = "2000298811"  # a demo supply whose holder has no account
DEADLINE = re.compile(r"Lo revisamos antes del [0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}")


def _row(page, numero: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=numero, exact=True))


def _dispute_items(data_dir, apoderado_dni: str) -> list[tuple]:
    return query(
        data_dir,
        "SELECT r.priority, r.status FROM review_items r JOIN supply_links l ON l.id = r.link_id "
        "JOIN users u ON u.id = l.user_id WHERE r.kind = 'link' AND u.doc_number = ? AND l.supply_number = ?",
        apoderado_dni,
        MARIA_SUPPLY,
    )


def test_the_holder_says_they_did_not_authorise_a_link_from_the_email(page, base_url, app_server, outbox, tmp_path):
    data_dir = app_server["data_dir"]
    holder = register_with_document(page, base_url, outbox, HOLDER_DNI)
    logout(page)
    apoderado = register(page, base_url, outbox)
    asociar(page, base_url, data_dir, MARIA_SUPPLY, dni=dni_photo(tmp_path), poder=poder_pdf(tmp_path))
    row = _row(page, MARIA_SUPPLY)
    expect(row).to_contain_text("Pendiente de validación")
    expect(row).to_contain_text(DEADLINE)
    logout(page)

    # The holder's e-mail carries the link, on the configured address.
    mail = outbox.wait_mail(holder.email, f"Su Suministro N° {MARIA_SUPPLY} fue asociado a otra cuenta")
    found = re.search(re.escape(base_url) + r"/suministros/desconocer/[A-Za-z0-9_.-]+", mail["body"])
    assert found, mail["body"]
    url = found.group(0)

    # Opened with no session: who linked it (partly hidden), a button and a confirmation.
    page.goto(url)
    expect(page.get_by_role("heading", name="Asociación de tu suministro")).to_be_visible()
    expect(page.get_by_text(f"Suministro N° {MARIA_SUPPLY}").first).to_be_visible()
    masked = mask_name(f"{apoderado.first} {apoderado.last}")
    expect(page.get_by_text(masked, exact=True).first).to_be_visible()
    assert apoderado.last not in page.content()
    page.get_by_role("button", name="No autoricé esta asociación").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"¿Confirmás que no autorizaste que {masked} asocie el Suministro N° {MARIA_SUPPLY}")
    dialog.get_by_role("button", name="Sí, no la autoricé").click()
    expect(page.get_by_role("status")).to_contain_text("Recibimos tu aviso: no autorizaste la asociación")
    assert _dispute_items(data_dir, apoderado.dni) == [(1, "pendiente")]
    received = outbox.wait_mail(holder.email, f"Recibimos su aviso sobre el Suministro N° {MARIA_SUPPLY}")
    assert "no autorizó la asociación" in received["body"]

    # A second visit changes nothing and says so.
    page.goto(url)
    expect(page.get_by_role("status")).to_contain_text(f"Ya recibimos tu aviso sobre el Suministro N° {MARIA_SUPPLY}")
    expect(page.get_by_role("button", name="No autoricé esta asociación")).to_have_count(0)
    assert _dispute_items(data_dir, apoderado.dni) == [(1, "pendiente")]
    assert outbox.count_mail(holder.email, "Recibimos su aviso") == 1

    # A tampered link gets a clear message and changes nothing either.
    page.goto(url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB"))
    expect(page.get_by_role("alert")).to_contain_text("no es válido o venció")
    expect(page.get_by_role("button", name="No autoricé esta asociación")).to_have_count(0)


def test_a_rejected_link_shows_its_reason_and_takes_a_new_poder(page, base_url, app_server, outbox, tmp_path):
    data_dir = app_server["data_dir"]
    person = register(page, base_url, outbox)
    asociar(page, base_url, data_dir, REJECTED_SUPPLY, dni=dni_photo(tmp_path), poder=poder_pdf(tmp_path))
    reject_poder(data_dir, person.dni, REJECTED_SUPPLY, "PODER_VENCIDO")

    page.reload()
    row = _row(page, REJECTED_SUPPLY)
    expect(row).to_contain_text("Rechazado")
    notice = page.get_by_role("alert").filter(has_text=f"Suministro N° {REJECTED_SUPPLY}: Rechazado.")
    expect(notice).to_contain_text("Motivo: El poder está vencido.")

    # The supply's page says why and how to fix it; its invoices stay closed.
    page.get_by_role("link", name=REJECTED_SUPPLY, exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="Un operador rechazó la asociación")).to_contain_text(
        "El poder está vencido."
    )
    expect(page.get_by_role("button", name="Subir un poder nuevo")).to_be_visible()
    expect(page.get_by_role("heading", name="Facturas", exact=True)).to_have_count(0)
    expect(page.get_by_text("Suministro no encontrado.")).to_have_count(0)

    # "Subir un poder nuevo" from Mis Suministros: back to pending, with its deadline.
    page.goto(base_url + "/suministros")
    page.get_by_role("button", name=f"Subir un poder nuevo para el suministro {REJECTED_SUPPLY}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("El poder está vencido.")
    upload(page, "Elegir archivo del poder", poder_pdf(tmp_path))
    expect(page.get_by_role("status")).to_contain_text(f"Recibimos el poder nuevo del suministro N° {REJECTED_SUPPLY}")
    expect(page.get_by_role("dialog")).to_have_count(0)
    row = _row(page, REJECTED_SUPPLY)
    expect(row).to_contain_text("Pendiente de validación")
    expect(row).to_contain_text(DEADLINE)
    expect(page.get_by_role("button", name=re.compile("Subir un poder nuevo"))).to_have_count(0)
    assert query(
        data_dir,
        "SELECT l.status, l.reject_reason, COUNT(r.id) FROM supply_links l JOIN users u ON u.id = l.user_id "
        "LEFT JOIN review_items r ON r.document_id = l.poder_document_id AND r.status = 'pendiente' "
        "WHERE u.doc_number = ? GROUP BY l.id",
        person.dni,
    ) == [("pendiente", "", 1)]

    # Its invoices are open again.
    page.get_by_role("link", name=REJECTED_SUPPLY, exact=True).click()
    expect(page.get_by_role("heading", name="Facturas", exact=True)).to_be_visible()
