"""Action helpers for the e2e flows: read codes from the real outboxes, fill the manual's forms."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from autogestion.adapters.mail_sink import read_maildir, read_sms_outbox
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


def register_step3(page: Page, outbox: Outbox, person: Person, *, mails_before: int = 0, sms_before: int = 0) -> tuple[str, str]:
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
    page.get_by_role("button", name="Menú del usuario").click()
    page.get_by_role("menuitem", name="Salir").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
