"""Action helpers for the e2e flows: read codes from the real outboxes, fill the manual's forms."""

from __future__ import annotations

import csv
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from autogestion.adapters.mail_sink import read_maildir, read_sms_outbox
from autogestion.services.formatting import format_date, format_money
from tests.e2e.conftest import CAPTCHA_ANSWER

CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")


class Outbox:
    def __init__(self, data_dir: Path) -> None:
        self.mail_dir = data_dir / "mail"
        self.sms_file = data_dir / "sms" / "outbox.jsonl"

    def mails_to(self, address: str) -> list[dict]:
        if not self.mail_dir.exists():
            return []
        return [m for m in read_maildir(self.mail_dir) if address.lower() in m["to"].lower()]

    def wait_mail(self, address: str, subject_part: str, *, after: int = 0, timeout: float = 30) -> dict:
        """The newest e-mail to address whose subject contains subject_part, once more than `after` match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.mails_to(address) if subject_part.lower() in m["subject"].lower()]
            if len(found) > after:
                return found[0]
            time.sleep(0.3)
        raise AssertionError(f"no e-mail to {address} about {subject_part!r}")

    def wait_sms(self, e164: str, *, after: int = 0, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [s for s in read_sms_outbox(self.sms_file)] if self.sms_file.exists() else []
            found = [s for s in found if s["to"] == e164]
            if len(found) > after:
                return found[0]
            time.sleep(0.3)
        raise AssertionError(f"no SMS to {e164}")

    def count_mail(self, address: str, subject_part: str) -> int:
        return len([m for m in self.mails_to(address) if subject_part.lower() in m["subject"].lower()])

    def count_sms(self, e164: str) -> int:
        if not self.sms_file.exists():
            return 0
        return len([s for s in read_sms_outbox(self.sms_file) if s["to"] == e164])


def code_in(text: str) -> str:
    match = CODE.search(text)
    assert match, f"no 6-digit code in {text!r}"
    return match.group(1)


@dataclass
class Person:
    dni: str
    password: str
    first: str
    last: str
    email: str
    area: str
    number: str

    @property
    def e164(self) -> str:
        return f"+549{self.area}{self.number}"


def new_person() -> Person:
    n = secrets.randbelow(10**6)
    return Person(
        dni=str(30_000_000 + secrets.randbelow(9_000_000)),
        password="Clave.Segura" + str(secrets.randbelow(90) + 10),
        first="Ana María",
        last="Gómez",
        email=f"ana.{n}@example.com",
        area="264",
        number=str(4_000_000 + n % 1_000_000 * 3 % 6_000_000),
    )


def fill_captcha(page: Page) -> None:
    page.get_by_label("Código de seguridad").fill(CAPTCHA_ANSWER)


def register_step1(page: Page, base_url: str, person: Person) -> None:
    page.goto(base_url + "/registro")
    page.get_by_label("Tipo de documento").select_option("DNI")
    page.get_by_label("Número de documento").fill(person.dni)
    page.get_by_label("Contraseña", exact=True).fill(person.password)
    page.get_by_label("Repetir contraseña").fill(person.password)
    fill_captcha(page)
    page.get_by_role("button", name="Registrar Cuenta").click()
    expect(page.get_by_role("heading", name="Completá tus datos!")).to_be_visible()


def register_step2(page: Page, person: Person) -> None:
    page.get_by_label("Nombres").fill(person.first)
    page.get_by_label("Apellidos").fill(person.last)
    page.get_by_label("E-mail").fill(person.email)
    page.get_by_label("Código de área").fill(person.area)
    page.get_by_label("N° Celular").fill(person.number)
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_label("Código recibido por e-mail")).to_be_visible()


def register_step3(
    page: Page, outbox: Outbox, person: Person, *, mails_before: int = 0, sms_before: int = 0
) -> tuple[str, str]:
    email_code = code_in(outbox.wait_mail(person.email, "código", after=mails_before)["body"])
    sms_code = code_in(outbox.wait_sms(person.e164, after=sms_before)["text"])
    page.get_by_label("Código recibido por e-mail").fill(email_code)
    page.get_by_label("Código recibido por SMS").fill(sms_code)
    page.get_by_role("button", name="Continuar").click()
    return email_code, sms_code


def login(page: Page, base_url: str, dni: str, password: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Tipo de documento").select_option("DNI")
    page.get_by_label("Número de documento").fill(dni)
    page.get_by_label("Contraseña").fill(password)
    fill_captcha(page)
    page.get_by_role("button", name="Ingresar").click()


def logout(page: Page) -> None:
    # A click that lands before the page has hydrated opens nothing: open the menu again until it shows.
    salir = page.get_by_role("menuitem", name="Salir")
    for _ in range(4):
        page.get_by_role("button", name="Menú del usuario").click()
        try:
            salir.wait_for(state="visible", timeout=5_000)
            break
        except Exception:
            page.keyboard.press("Escape")
    salir.click()
    expect(page).to_have_url(re.compile(r"/login/?$"))


def register(page: Page, base_url: str, outbox: Outbox) -> Person:
    """A brand-new active customer, logged in on page (lands on Mis Suministros)."""
    person = new_person()
    register_step1(page, base_url, person)
    register_step2(page, person)
    register_step3(page, outbox, person)
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    # Wait for Mis Suministros to finish loading: Reflex cancels a page's unfinished on_load when the next
    # navigation starts, and a cancel in the middle of a database call leaves a traceback in the app's log.
    expect(page.get_by_role("heading", name="Todavía no tenés suministros asociados")).to_be_visible()
    return person


# --- supplies -------------------------------------------------------------------------------------


def dni_photo(folder: Path) -> Path:
    """A 1200 × 800 JPEG, big enough for the legibility check."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 800), (214, 222, 233))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 1140, 740), outline=(40, 70, 120), width=8)
    draw.text((120, 120), "REPUBLICA ARGENTINA - DNI", fill=(20, 40, 80))
    path = folder / "dni-frente.jpg"
    image.save(path, "JPEG", quality=90)
    return path


def poder_pdf(folder: Path) -> Path:
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", size=14)
    doc.cell(text="Poder especial para tramites ante la Distribuidora")
    path = folder / "poder.pdf"
    path.write_bytes(bytes(doc.output()))
    return path


def import_holder_supply(data_dir: Path, folder: Path, person: Person, *, invoices: int = 15) -> str:
    """A new supply whose holder is person, with monthly invoices, through `autogestion import-billing`."""
    numero = "9" + f"{secrets.randbelow(10**9):09d}"
    supplies_csv, invoices_csv = folder / "suministros.csv", folder / "facturas.csv"
    with supplies_csv.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "suministro",
                "estado",
                "grupo_tarifario",
                "titular",
                "tipo_documento",
                "documento",
                "estado_cobranza",
                "domicilio",
            ]
        )
        writer.writerow(
            [
                numero,
                "0",
                "DT1 (TRA-RSD)",
                f"{person.first} {person.last}",
                "DNI",
                person.dni,
                "NORMAL",
                "Calle Laprida 1450 (O), Capital, San Juan",
            ]
        )
    today = date.today()
    with invoices_csv.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["suministro", "numero", "periodo", "emision", "vencimiento", "importe", "estado", "consumo_kwh"]
        )
        for back in range(invoices, 0, -1):
            year, month = today.year, today.month - back
            while month < 1:
                year, month = year - 1, month + 12
            issued = date(year, month, 5) + timedelta(days=31)
            issued = issued.replace(day=5)
            # The newest bill is not due yet (Impaga), the one before is unpaid and past due (Vencida).
            due = (
                max(issued + timedelta(days=15), today + timedelta(days=10))
                if back == 1
                else issued + timedelta(days=15)
            )
            kwh = 180 + 17 * back % 140
            writer.writerow(
                [
                    numero,
                    f"E2E-{numero}-{back:02d}",
                    f"{year:04d}-{month:02d}",
                    issued.isoformat(),
                    due.isoformat(),
                    f"{kwh * 131 + 5200}.{back:02d}",
                    "impaga" if back <= 2 else "pagada",
                    kwh,
                ]
            )
    env = {**os.environ, "AUTOGESTION_ENV": "test", "AUTOGESTION_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [
            str(Path(sys.executable).parent / "autogestion"),
            "import-billing",
            "--suministros",
            str(supplies_csv),
            "--facturas",
            str(invoices_csv),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return numero


def query(data_dir: Path, sql: str, *params) -> list[tuple]:
    """Read the database the app under test uses (its SQLite file in the data dir)."""
    con = sqlite3.connect(f"file:{data_dir / 'autogestion.db'}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def real_quiz_labels(data_dir: Path, number: str) -> list[str]:
    """The quiz labels of the supply's last and penultimate invoices ("$ 12.345,67 — vence 10/11/2026")."""
    rows = query(
        data_dir,
        "SELECT amount_cents, due_on FROM invoices WHERE supply_number = ? "
        "ORDER BY issued_on DESC, period DESC, number DESC LIMIT 2",
        number,
    )
    return [f"{format_money(cents)} — vence {format_date(date.fromisoformat(due))}" for cents, due in rows]


def quiz_options(page: Page) -> list[str]:
    """The four options' accessible names, in display order."""
    radios = page.get_by_role("radio")
    expect(radios).to_have_count(4)
    return [radios.nth(i).get_attribute("aria-label") or "" for i in range(4)]


def verify_number(page: Page, numero: str) -> None:
    page.get_by_label("N° de Suministro").fill(numero)
    page.get_by_role("button", name="Verificar").click()


def choose_option(page: Page, label: str) -> None:
    page.get_by_role("radio", name=label, exact=True).click()
    page.get_by_role("button", name="Confirmar").click()


def upload(page: Page, button: str, path: Path) -> None:
    """Pick a file through the drop zone's button, as a person would."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=button).click()
    chooser.value.set_files(str(path))


def asociar(
    page: Page,
    base_url: str,
    data_dir: Path,
    numero: str,
    *,
    dni: Path | None = None,
    poder: Path | None = None,
    confirm: bool = True,
) -> None:
    """Asociar Suministro from the number to "SI": the right quiz option comes from the app's database."""
    page.goto(base_url + "/suministros/asociar")
    expect(page.get_by_role("heading", name="Asociar Suministro")).to_be_visible()
    verify_number(page, numero)
    expect(page.get_by_role("radio")).to_have_count(4)
    real = set(real_quiz_labels(data_dir, numero))
    right = [label for label in quiz_options(page) if label in real]
    assert len(right) == 1, f"expected one real invoice among the options, got {right}"
    choose_option(page, right[0])
    expect(page.get_by_text("¡Correcto!")).to_be_visible()
    if dni is not None:
        upload(page, "Elegir foto del DNI", dni)
        expect(page.get_by_text("Foto cargada:")).to_be_visible()
    if poder is not None:
        upload(page, "Elegir archivo del poder", poder)
        expect(page.get_by_text("Poder cargado:")).to_be_visible()
    page.get_by_role("button", name="Asociar", exact=True).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"¿Está seguro que desea asociar el suministro N° {numero} a su cuenta?")
    dialog.get_by_role("button", name="SI" if confirm else "NO").click()
    if confirm:
        expect(page).to_have_url(re.compile(r"/suministros/?$"))
        expect(page.get_by_role("status")).to_contain_text("pendiente de validación")


# --- the operators' review, as the customer sees it -----------------------------------------------


def register_with_document(page: Page, base_url: str, outbox: Outbox, dni: str) -> Person:
    """Like register(), with a chosen DNI (e.g. a demo supply's holder, so notices about it reach them)."""
    person = new_person()
    person.dni = dni
    register_step1(page, base_url, person)
    register_step2(page, person)
    register_step3(page, outbox, person)
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    expect(page.get_by_role("heading", name="Todavía no tenés suministros asociados")).to_be_visible()
    return person


def execute(data_dir: Path, sql: str, *params) -> int:
    """Write to the app's SQLite database, standing in for a back-office step the test does not drive."""
    con = sqlite3.connect(data_dir / "autogestion.db", timeout=10)
    try:
        with con:
            return con.execute(sql, params).rowcount
    finally:
        con.close()


def reject_poder(data_dir: Path, dni: str, numero: str, reason: str = "PODER_VENCIDO") -> None:
    """What an operator's RECHAZADO on the poder leaves behind: the poder rejected, its item resolved and
    the link rejected with the reason."""
    (link_id, poder_id) = query(
        data_dir,
        "SELECT l.id, l.poder_document_id FROM supply_links l JOIN users u ON u.id = l.user_id "
        "WHERE u.doc_number = ? AND l.supply_number = ?",
        dni,
        numero,
    )[0]
    execute(data_dir, "UPDATE documents SET status = 'rechazado', reject_reason = ? WHERE id = ?", reason, poder_id)
    execute(
        data_dir,
        "UPDATE review_items SET status = 'resuelto', decision = 'rechazado', reason = ? WHERE document_id = ?",
        reason,
        poder_id,
    )
    execute(data_dir, "UPDATE supply_links SET status = 'rechazado', reject_reason = ? WHERE id = ?", reason, link_id)


# --- the back office --------------------------------------------------------------------------------

DEMO_OPERATOR, DEMO_OPERATOR_PASSWORD = "operador", "Revision.Demo26"  # seed-demo's supervisor


def create_operator(data_dir: Path, username: str, password: str, *, supervisor: bool = False, name: str = "") -> None:
    """A back-office operator, through `autogestion create-operator` (the password twice on stdin)."""
    env = {**os.environ, "AUTOGESTION_ENV": "test", "AUTOGESTION_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    command = [str(Path(sys.executable).parent / "autogestion"), "create-operator", username]
    if supervisor:
        command.append("--supervisor")
    if name:
        command += ["--nombre", name]
    subprocess.run(command, input=f"{password}\n{password}\n", text=True, env=env, check=True, capture_output=True)


def operator_login(page: Page, base_url: str, username: str = DEMO_OPERATOR, password: str = DEMO_OPERATOR_PASSWORD):
    """Ingreso de operadores at /operador (captcha test answer), up to the queue."""
    page.goto(base_url + "/operador")
    expect(page.get_by_role("heading", name="Ingreso de operadores")).to_be_visible()
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    fill_captcha(page)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", name="Cola de revisión")).to_be_visible()


def search_queue(page: Page, text: str) -> None:
    """Buscar in the queue, and wait for the search to be applied."""
    page.get_by_label("Buscar por documento o N° de suministro").fill(text)
    page.get_by_role("button", name="Buscar").click()
    expect(page.get_by_role("button", name="Limpiar")).to_be_visible()


def open_queue_item(page: Page, customer_name: str) -> None:
    """Open the only pending item of the customer the queue shows (search first), up to the decision panel."""
    table = page.get_by_role("table", name="Cola de revisión")
    expect(table.get_by_role("row")).to_have_count(2)  # the header and the item
    table.get_by_role("link", name=customer_name).click()
    expect(page).to_have_url(re.compile(r"/operador/item/[0-9]+/?$"))
    expect(page.get_by_role("heading", name="Decisión")).to_be_visible()


def decide_item(page: Page, decision: str, reason: str | None = None) -> None:
    """A decision button, the reason when it rejects, then Confirmar in the dialog."""
    page.get_by_role("button", name=decision, exact=True).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"¿Confirmás {decision}")
    if reason is not None:
        dialog.get_by_label("Motivo").select_option(reason)
    dialog.get_by_role("button", name=f"Confirmar {decision}").click()
    expect(page.get_by_role("status").filter(has_text="Decisión registrada").first).to_be_visible()


def wait_sms_containing(outbox: Outbox, e164: str, part: str, *, timeout: float = 30) -> dict:
    """The newest SMS to e164 whose text contains part (the customer may have been sent others since)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = read_sms_outbox(outbox.sms_file) if outbox.sms_file.exists() else []
        found = [s for s in sent if s["to"] == e164 and part.lower() in s["text"].lower()]
        if found:
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"no SMS to {e164} containing {part!r}")
