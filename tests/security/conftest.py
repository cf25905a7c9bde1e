"""Fixtures and flows for the attack tests: the running portal (tests/harness.py's `app_server`), tabs that
talk to it over the websocket (tests/security/wsclient.py), and customers created the way a person does,
through the handlers: registration with the captcha test answer, codes from the SMTP sink and the SMS outbox,
the login claim redeemed over HTTP as the page script does."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.harness import CAPTCHA_ANSWER
from tests.security.wsclient import CompiledApp, WsClient, compiled_app, session_cookie, ws_client

DEMO_DNI = "20123456"
DEMO_PASSWORD = "Portal.Demo26"
DEMO_SUPPLY = "2000380655"


@dataclass
class Portal:
    """The app under test, as the tests see it."""

    base_url: str
    data_dir: Path
    web_dir: Path
    log: Path

    @property
    def app(self) -> CompiledApp:
        return compiled_app(self.web_dir)

    def client(self, cookie: str | None = None, **kwargs):
        """`async with portal.client(cookie=..., origin=..., path=...) as c:` one connected tab."""
        return ws_client(self.base_url, cookie, app=self.app, **kwargs)

    def tab(self, cookie: str | None = None, **kwargs) -> WsClient:
        """A tab that is not connected yet (connect it yourself, e.g. to see the handshake fail)."""
        return WsClient(self.base_url, self.app, cookie=cookie, **kwargs)

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")


@pytest.fixture(scope="session")
def portal(app_server) -> Portal:
    return Portal(
        base_url=app_server["base_url"],
        data_dir=Path(app_server["data_dir"]),
        web_dir=Path(app_server["web_dir"]),
        log=Path(app_server["log"]),
    )


@pytest.fixture
def outbox(portal):
    from tests.e2e.helpers import Outbox

    return Outbox(portal.data_dir)


@pytest.fixture
def backend_log(portal):
    """`backend_log()` → the app's log written since this test started, so a test can pin a traceback (or a
    leaked secret) on the events it sent; tests/harness.py also fails the session on any traceback."""
    offset = portal.log_size()

    def read() -> str:
        return portal.log_since(offset)

    return read


def tracebacks(log_text: str) -> list[str]:
    """Each traceback in a log excerpt, with the line that follows it up to its exception line."""
    found, lines = [], log_text.splitlines()
    for i, line in enumerate(lines):
        if "Traceback" in line:
            end = next((j for j in range(i + 1, len(lines)) if lines[j] and not lines[j].startswith((" ", "\t"))), i)
            found.append(lines[end] if end != i else line)
    return found


# --- people -------------------------------------------------------------------------------------


@dataclass
class Customer:
    person: object  # tests.e2e.helpers.Person
    cookie: str
    token: str
    codes: list[str] = field(default_factory=list)  # the verification codes the registration sent
    frames_text: str = ""  # every frame the registration tab received
    supply: str = ""
    invoice_ids: list[str] = field(default_factory=list)


def _until_claim(c: WsClient):
    return lambda frames: c.login_claim(frames) is not None


def _until_redirect(c: WsClient, pattern: str):
    return lambda frames: any(re.fullmatch(pattern, p.rstrip("/") or "/") for p in c.redirects(frames))


async def hand_off(c: WsClient, *, frames: list[dict] | None = None) -> str:
    """Redeem the login claim this tab was handed (POST /api/sesion) and reload with the cookie, as the page
    script does; returns the ag_sid value."""
    claim = c.login_claim(frames)
    assert claim is not None, f"no login hand-off in {c.raw[-5:]}"
    response = await c.redeem(nonce=claim["nonce"])
    cookie = session_cookie(response)
    assert response.status_code == 200 and cookie, f"claim not redeemed: {response.status_code} {response.text}"
    await c.reload(cookie=cookie, path=claim["target"] or "/suministros")
    return cookie


async def log_in(c: WsClient, dni: str, password: str) -> str:
    """Ingresar on the login page this tab shows; returns the session cookie (the tab is reloaded with it)."""
    frames = await c.call(
        "LoginState.submit",
        {"form": {"doc_type": "DNI", "doc_number": dni, "password": password, "captcha": CAPTCHA_ANSWER}},
        until=_until_claim(c),
    )
    return await hand_off(c, frames=frames)


async def advance(c: WsClient, handler: str, payload: dict, next_path: str) -> str | None:
    """Submit a form whose success moves the tab on: either a redirect to next_path, or a fresh login hand-off
    (the session is rotated when the account changes status), which is redeemed. Returns the new cookie, if any."""
    frames = await c.call(
        handler, payload, until=lambda fr: c.login_claim(fr) is not None or _until_redirect(c, next_path)(fr)
    )
    if c.login_claim(frames) is not None:
        return await hand_off(c, frames=frames)
    await c.reload(path=next_path)
    return None


async def register(portal: Portal, outbox, person=None) -> Customer:
    """A new active customer, through the three registration steps over the websocket."""
    from tests.e2e.helpers import code_in, new_person

    person = person or new_person()
    async with portal.client(path="/registro") as c:
        frames = await c.call(
            "RegistroState.submit",
            {
                "form": {
                    "doc_type": "DNI",
                    "doc_number": person.dni,
                    "password": person.password,
                    "password2": person.password,
                    "captcha": CAPTCHA_ANSWER,
                }
            },
            until=_until_claim(c),
        )
        cookie = await hand_off(c, frames=frames)
        assert c.path.rstrip("/") == "/registro/datos", c.path
        cookie = (
            await advance(
                c,
                "DatosState.submit",
                {
                    "form": {
                        "first_names": person.first,
                        "last_names": person.last,
                        "email": person.email,
                        "area": person.area,
                        "number": person.number,
                    }
                },
                "/registro/codigo",
            )
            or cookie
        )
        mail = await asyncio.to_thread(outbox.wait_mail, person.email, "código")
        sms = await asyncio.to_thread(outbox.wait_sms, person.e164)
        codes = [code_in(mail["body"]), code_in(sms["text"])]
        cookie = (
            await advance(
                c, "CodigoState.submit", {"form": {"code_email": codes[0], "code_sms": codes[1]}}, "/suministros"
            )
            or cookie
        )
        assert c.state_var("SessionState.user_name"), f"not logged in after registration: {c.raw[-3:]}"
        return Customer(person=person, cookie=cookie, token=c.token, codes=codes, frames_text=c.text)


async def link_imported_supply(portal: Portal, customer: Customer) -> None:
    """Import a supply whose holder is the customer (`autogestion import-billing`, as the e2e tests do) and link
    it through Asociar Suministro: number, quiz, DNI photo (over /_upload), SI."""
    from tests.e2e.helpers import dni_photo, import_holder_supply, real_quiz_labels

    folder = Path(tempfile.mkdtemp(prefix="ag-security-"))
    try:
        numero = await asyncio.to_thread(import_holder_supply, portal.data_dir, folder, customer.person, invoices=14)
        photo = dni_photo(folder).read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    async with portal.client(customer.cookie, path="/suministros/asociar") as c:
        await c.call(
            "AssociateState.verify",
            {"form": {"supply_number": numero}},
            until=lambda _: len(c.state_var("AssociateState.options") or []) == 4,
        )
        real = set(real_quiz_labels(portal.data_dir, numero))
        [right] = [o["id"] for o in c.state_var("AssociateState.options") if o["label"] in real]
        await c.call(
            "AssociateState.answer",
            {"form": {"quiz": str(right)}},
            until=lambda _: c.state_var("AssociateState.quiz_ok") is True,
        )
        response = await c.upload("AssociateState.upload_dni", [("dni-frente.jpg", photo, "image/jpeg")])
        assert response.status_code == 200, response.text
        assert c.state_var("AssociateState.dni_ok") is True, c.raw[-3:]
        await c.call("AssociateState.confirm", {}, until=_until_redirect(c, "/suministros"))
    async with portal.client(customer.cookie, path=f"/suministros/{numero}") as c:
        rows = c.state_var("InvoicesState.rows") or []
        assert rows, f"the owner does not see the invoices of {numero}: {c.raw[-3:]}"
        customer.supply, customer.invoice_ids = numero, [r["id"] for r in rows]


_FAILED: dict[str, BaseException] = {}


def _once(name: str, make) -> Customer:
    """Run a session fixture's flow once; a failure is re-raised for every later test instead of re-run."""
    if name in _FAILED:
        pytest.fail(f"{name} could not be set up: {_FAILED[name]!r}", pytrace=False)
    try:
        return asyncio.run(make())
    except Exception as exc:
        _FAILED[name] = exc
        raise


@pytest.fixture(scope="session")
def customer_a(portal):
    """A customer with a supply of their own (linked, with invoices): the victim of the IDOR attempts."""
    from tests.e2e.helpers import Outbox, new_person

    async def make() -> Customer:
        # A name of its own, so a test can tell A's data from B's in a frame.
        person = dataclasses.replace(new_person(), first="Valentina Sofía", last="Ibarra")
        customer = await register(portal, Outbox(portal.data_dir), person)
        await link_imported_supply(portal, customer)
        return customer

    return _once("customer_a", make)


@pytest.fixture(scope="session")
def customer_b(portal):
    """A second customer with no supply: the attacker of the IDOR attempts."""
    from tests.e2e.helpers import Outbox

    return _once("customer_b", lambda: register(portal, Outbox(portal.data_dir)))
