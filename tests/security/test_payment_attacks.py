"""Attacks on Planes de Pago and Pagar through the running portal's websocket, as a script would send them.

A logged-in customer (the attacker) calls the handlers of Trámites (`TramitesState`), of a supply's invoices
(`InvoicesState`) and of the demo checkout (`CheckoutState`) with another customer's supply, invoices, cuotas
and payment; with a link still pending; with paid, in-plan and "en acreditación" invoices and a paid cuota;
with 0, 2 or 7 cuotas; with forged amounts and extra arguments; and without any session. Each call must be
refused (a Spanish message, or the redirect to the login), store nothing — read straight from the app's
database: no plan, no payment, no invoice, cuota or link changed, no e-mail — and send nothing of the other
customer to the attacker's tab.

Both customers are created the way a person does (registration, Asociar Suministro with the quiz and the DNI
photo) and subscribe and pay through the same handlers; only the operator's validation of their links is
written straight to the database, standing in for the back office (tests/e2e/test_tramites.py drives that).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
from dataclasses import dataclass, field

import pytest

from autogestion.services import payments, plans
from autogestion.services.formatting import format_money
from autogestion.services.invoices import INVOICE_NOT_FOUND
from autogestion.services.supplies import SUPPLY_NOT_FOUND
from autogestion.state.tramites import NOTHING_OVERDUE
from tests.security.conftest import Customer, Portal, _once, link_imported_supply, register, tracebacks
from tests.security.wsclient import WsClient

pytestmark = pytest.mark.security

CHECKOUT = "/pagos/demo/"


# --- the database, read as the app wrote it ---------------------------------------------------------------


def q(portal: Portal, sql: str, *params) -> list[tuple]:
    from tests.e2e.helpers import query

    return query(portal.data_dir, sql, *params)


def x(portal: Portal, sql: str, *params) -> int:
    from tests.e2e.helpers import execute

    return execute(portal.data_dir, sql, *params)


def stored(portal: Portal) -> dict[str, list[tuple]]:
    """Everything a plan or a payment could have written: compared before and after each batch of attacks."""
    return {
        "plans": q(portal, "SELECT id, user_id, supply_number, installments, total_cents, status FROM payment_plans"),
        "plan_invoices": q(portal, "SELECT invoice_id, plan_id FROM plan_invoices ORDER BY invoice_id"),
        "cuotas": q(portal, "SELECT id, plan_id, amount_cents, paid_at FROM plan_installments ORDER BY id"),
        "payments": q(
            portal,
            "SELECT id, user_id, invoice_id, installment_id, provider, status, amount_cents, external_id "
            "FROM payments ORDER BY id",
        ),
        "invoices": q(portal, "SELECT id, status, amount_cents FROM invoices WHERE number LIKE 'E2E-%' ORDER BY id"),
        "links": q(portal, "SELECT id, user_id, supply_number, status, digital_invoice FROM supply_links ORDER BY id"),
        "outbox": q(portal, "SELECT count(*) FROM outbox"),
    }


def assert_nothing_stored(portal: Portal, before: dict[str, list[tuple]]) -> None:
    after = stored(portal)
    changed = {table: (before[table], after[table]) for table in before if before[table] != after[table]}
    assert not changed, f"the attacks stored something: {changed}"


def invoice_id(portal: Portal, number: str) -> str:
    return q(portal, "SELECT id FROM invoices WHERE number = ?", number)[0][0]


def user_id(portal: Portal, customer: Customer) -> int:
    return q(portal, "SELECT id FROM users WHERE doc_number = ?", customer.person.dni)[0][0]


def validate_link(portal: Portal, customer: Customer, number: str) -> None:
    """What the operator's LEGIBLE leaves on the link (tests/e2e/test_tramites.py drives the back office)."""
    changed = x(
        portal,
        "UPDATE supply_links SET status = 'validado' WHERE supply_number = ? AND user_id = ?",
        number,
        user_id(portal, customer),
    )
    assert changed == 1, f"no link of {customer.person.dni} to {number}"


# --- what reached the tab ---------------------------------------------------------------------------------


def app_data(c: WsClient) -> str:
    """What the app's states and events sent (the root state's echo of the URL the tab asked for left out)."""
    return "\n".join(
        json.dumps(
            {"delta": {k: v for k, v in (f.get("delta") or {}).items() if k != c.app.root}, "events": f.get("events")},
            ensure_ascii=False,
        )
        for f in c.frames
    )


def toasted(c: WsClient, frames: list[dict], message: str) -> bool:
    """Whether these frames show `message` in a toast (its script carries it JSON-escaped: "est\\u00e1")."""
    scripts = "\n".join(c.scripts(frames))
    return message in scripts or json.dumps(message)[1:-1] in scripts


def checkout_redirects(c: WsClient, frames: list[dict] | None = None) -> list[str]:
    return [path for path in c.redirects(frames) if path.startswith(CHECKOUT)]


async def loaded(c: WsClient, state: str) -> None:
    """Wait for the page's on_load to finish (the tab connected on that page)."""
    await c.settle(until=lambda _: c.state_var(f"{state}.loaded") is True, timeout=15)


# --- the two customers ---------------------------------------------------------------------------------------


@dataclass
class Account:
    customer: Customer
    validated: str = ""  # a validated link with a plan
    pending: str = ""  # a link still pending (attacker only)
    invoices: dict[str, str] = field(default_factory=dict)  # "E2E-<n>-NN" → id, for every linked supply
    plan_id: int = 0
    cuota_ids: list[int] = field(default_factory=list)
    approved_payment: str = ""  # a demo payment approved (attacker) / left pending (victim)


def _number(supply: str, back: int) -> str:
    return f"E2E-{supply}-{back:02d}"


async def subscribe_plan(portal: Portal, account: Account, *, leave_out: list[str] = ()) -> None:
    """Trámites → the form opens on the validated link → leave some invoices out → Suscribir plan → SI."""
    async with portal.client(account.customer.cookie, path="/tramites") as c:
        await loaded(c, "TramitesState")
        assert c.state_var("TramitesState.plan_number") == account.validated, c.raw[-3:]
        for number in leave_out:
            await c.call("TramitesState.toggle_invoice", {"invoice_id": account.invoices[number], "checked": False})
        await c.call("TramitesState.ask_confirm", {}, until=lambda _: c.state_var("TramitesState.confirm_open"))
        await c.call("TramitesState.confirm", {}, until=lambda _: c.state_var("TramitesState.message"))
    [(plan_id,)] = q(
        portal, "SELECT id FROM payment_plans WHERE supply_number = ? AND status = 'activo'", account.validated
    )
    account.plan_id = plan_id
    account.cuota_ids = [
        row[0] for row in q(portal, "SELECT id FROM plan_installments WHERE plan_id = ? ORDER BY number", plan_id)
    ]
    assert len(account.cuota_ids) == 3


async def start_payment(portal: Portal, account: Account, *, invoice: str = "", cuota: int = 0) -> str:
    """**Pagar** on an invoice (its supply's page) or a cuota (Trámites): the demo checkout's payment id."""
    if invoice:
        path, handler, payload = f"/suministros/{account.validated}", "InvoicesState.pay", {"invoice_id": invoice}
    else:
        path, handler, payload = "/tramites", "TramitesState.pay", {"installment_id": cuota}
    async with portal.client(account.customer.cookie, path=path) as c:
        await loaded(c, handler.split(".")[0])
        frames = await c.call(handler, payload, until=lambda fr: bool(checkout_redirects(c, fr)))
        [target] = checkout_redirects(c, frames)
    return target.rstrip("/").rsplit("/", 1)[-1]


async def approve(portal: Portal, account: Account, payment_id: str) -> None:
    async with portal.client(account.customer.cookie, path=CHECKOUT + payment_id) as c:
        await loaded(c, "CheckoutState")
        await c.call(
            "CheckoutState.approve",
            {},
            until=lambda _: (c.state_var("CheckoutState.checkout") or {}).get("status") == "aprobado",
        )


@pytest.fixture(scope="module")
def victim(portal) -> Account:
    """Florencia: a validated supply with her own amounts, a 3-cuota plan and a demo payment left pending."""
    from tests.e2e.helpers import Outbox, new_person

    async def make() -> Account:
        person = dataclasses.replace(new_person(), first="Florencia Beatriz", last="Quiroga")
        customer = await register(portal, Outbox(portal.data_dir), person)
        await link_imported_supply(portal, customer)
        account = Account(customer=customer, validated=customer.supply)
        # Her amounts differ from every other imported supply's, so a leak of them can be told apart.
        x(
            portal,
            "UPDATE invoices SET amount_cents = amount_cents * 3 + 77 WHERE supply_number = ?",
            account.validated,
        )
        account.invoices = {
            _number(account.validated, b): invoice_id(portal, _number(account.validated, b)) for b in (1, 2, 3)
        }
        validate_link(portal, customer, account.validated)
        await subscribe_plan(portal, account)
        account.approved_payment = await start_payment(
            portal, account, invoice=account.invoices[_number(account.validated, 1)]
        )
        return account

    return _once("victim", make)


@pytest.fixture(scope="module")
def attacker(portal, victim) -> Account:
    """Tomás: a validated supply with a plan (cuota 1 paid), an invoice paid through the portal ("en
    acreditación"), a paid one, an overdue one left out of the plan; and a second supply still pending."""
    from tests.e2e.helpers import Outbox, new_person

    async def make() -> Account:
        person = dataclasses.replace(new_person(), first="Tomás Ezequiel", last="Ferreyra")
        customer = await register(portal, Outbox(portal.data_dir), person)
        await link_imported_supply(portal, customer)
        account = Account(customer=customer, validated=customer.supply)
        # -03 was paid at import; make it unpaid (and so overdue) so the plan form stays open on it; -04 stays paid.
        x(portal, "UPDATE invoices SET status = 'impaga' WHERE number = ?", _number(account.validated, 3))
        await link_imported_supply(portal, customer)
        account.pending = customer.supply
        account.invoices = {
            _number(supply, b): invoice_id(portal, _number(supply, b))
            for supply in (account.validated, account.pending)
            for b in (1, 2, 3, 4)
        }
        validate_link(portal, customer, account.validated)
        await subscribe_plan(portal, account, leave_out=[_number(account.validated, 3)])
        await approve(portal, account, await start_payment(portal, account, cuota=account.cuota_ids[0]))
        account.approved_payment = await start_payment(
            portal, account, invoice=account.invoices[_number(account.validated, 1)]
        )
        await approve(portal, account, account.approved_payment)
        return account

    return _once("attacker", make)


def victim_data(portal: Portal, victim: Account) -> list[str]:
    """What must never reach the attacker: her name, document, e-mail, invoice numbers and every amount of hers."""
    person = victim.customer.person
    amounts = [
        format_money(row[0])
        for row in q(portal, "SELECT amount_cents FROM invoices WHERE supply_number = ?", victim.validated)
        + q(portal, "SELECT amount_cents FROM plan_installments WHERE plan_id = ?", victim.plan_id)
        + q(portal, "SELECT total_cents FROM payment_plans WHERE id = ?", victim.plan_id)
    ]
    return [person.first, person.last, person.dni, person.email, *victim.invoices, *amounts]


def assert_no_leak(portal: Portal, victim: Account, *tabs: WsClient) -> None:
    secrets = victim_data(portal, victim)
    for tab in tabs:
        sent = app_data(tab)
        leaked = [s for s in secrets if s in sent]
        assert not leaked, f"the victim's data reached the attacker's tab at {tab.path}: {leaked}"


# --- another customer's supply, invoices, cuotas and payment --------------------------------------------------


async def test_another_customers_supply_invoices_cuotas_and_payment_are_not_found(
    portal, victim, attacker, backend_log
):
    before = stored(portal)
    cookie = attacker.customer.cookie
    async with (
        portal.client(cookie, path=f"/suministros/{attacker.validated}") as facturas,
        portal.client(cookie, path="/tramites") as tramites,
        portal.client(cookie, path=CHECKOUT + victim.approved_payment) as checkout,
    ):
        await loaded(facturas, "InvoicesState")
        await loaded(tramites, "TramitesState")
        await loaded(checkout, "CheckoutState")
        assert facturas.state_var("InvoicesState.rows"), "the attacker's own invoices did not load"

        # Pagar on her invoices, from the attacker's own supply page.
        for victim_invoice in victim.invoices.values():
            frames = await facturas.call("InvoicesState.pay", {"invoice_id": victim_invoice})
            assert toasted(facturas, frames, INVOICE_NOT_FOUND), facturas.raw[-3:]
            assert not checkout_redirects(facturas, frames)

        # Pagar on her cuotas; a plan on her supply; her invoices in the form; her factura digital.
        for victim_cuota in victim.cuota_ids:
            await tramites.call("TramitesState.pay", {"installment_id": victim_cuota})
            assert tramites.state_var("TramitesState.error") == payments.INSTALLMENT_NOT_FOUND
        assert not checkout_redirects(tramites)
        await tramites.call("TramitesState.choose_supply", {"number": victim.validated})
        assert tramites.state_var("TramitesState.error") == SUPPLY_NOT_FOUND
        assert tramites.state_var("TramitesState.plan_number") == attacker.validated  # the own form stays
        for victim_invoice in victim.invoices.values():
            await tramites.call("TramitesState.toggle_invoice", {"invoice_id": victim_invoice, "checked": True})
            assert tramites.state_var("TramitesState.form_error") == plans.OTHER_SUPPLY
            assert victim_invoice not in tramites.state_var("TramitesState.selected")
        await tramites.call("TramitesState.set_digital", {"number": victim.validated, "enabled": True})
        assert tramites.state_var("TramitesState.error") == SUPPLY_NOT_FOUND

        # Her pending demo payment: "Pago no encontrado.", and Aprobar / Rechazar do nothing.
        assert checkout.state_var("CheckoutState.not_found") is True
        await checkout.call("CheckoutState.approve", {})
        await checkout.call("CheckoutState.reject", {})
        assert not (checkout.state_var("CheckoutState.checkout") or {}).get("title")

        assert_no_leak(portal, victim, facturas, tramites, checkout)
    assert q(portal, "SELECT status FROM payments WHERE id = ?", victim.approved_payment) == [("pendiente",)]
    assert_nothing_stored(portal, before)
    assert not tracebacks(backend_log())


# --- the attacker's own pending link, paid, in-plan and "en acreditación" invoices ---------------------------


async def test_a_pending_link_and_settled_invoices_and_cuotas_are_refused(portal, victim, attacker, backend_log):
    before = stored(portal)
    cookie, validated = attacker.customer.cookie, attacker.validated
    async with (
        portal.client(cookie, path=f"/suministros/{validated}") as facturas,
        portal.client(cookie, path="/tramites") as tramites,
        portal.client(cookie, path=CHECKOUT + attacker.approved_payment) as checkout,
    ):
        await loaded(facturas, "InvoicesState")
        await loaded(tramites, "TramitesState")
        await loaded(checkout, "CheckoutState")

        # A plan on the link still pending: why it is disabled; the form stays on the validated link.
        links = {link["number"]: link for link in tramites.state_var("TramitesState.links")}
        assert links[attacker.pending]["link_status"] == "pendiente" and links[attacker.pending]["invoices"] == []
        await tramites.call("TramitesState.choose_supply", {"number": attacker.pending})
        assert tramites.state_var("TramitesState.error") == plans.NOT_VALIDATED
        assert tramites.state_var("TramitesState.plan_number") == validated
        pending_overdue = attacker.invoices[_number(attacker.pending, 2)]
        await tramites.call("TramitesState.toggle_invoice", {"invoice_id": pending_overdue, "checked": True})
        assert tramites.state_var("TramitesState.form_error") == plans.OTHER_SUPPLY
        # The invoice already in the plan cannot go into the form again.
        in_plan = attacker.invoices[_number(validated, 2)]
        await tramites.call("TramitesState.toggle_invoice", {"invoice_id": in_plan, "checked": True})
        assert tramites.state_var("TramitesState.form_error") == plans.OTHER_SUPPLY
        assert tramites.state_var("TramitesState.selected") == [attacker.invoices[_number(validated, 3)]]

        # Pagar on a paid invoice, one in the plan, one "en acreditación"; on the paid cuota; a second approval.
        for number, message in (
            (_number(validated, 4), payments.ALREADY_PAID),
            (_number(validated, 2), payments.IN_PLAN),
            (_number(validated, 1), payments.CREDITING),
        ):
            frames = await facturas.call("InvoicesState.pay", {"invoice_id": attacker.invoices[number]})
            assert toasted(facturas, frames, message), (number, facturas.raw[-3:])
            assert not checkout_redirects(facturas, frames)
        await tramites.call("TramitesState.pay", {"installment_id": attacker.cuota_ids[0]})
        assert tramites.state_var("TramitesState.error") == payments.INSTALLMENT_PAID
        assert not checkout_redirects(tramites)
        await checkout.call("CheckoutState.approve", {})
        assert checkout.state_var("CheckoutState.error") == payments.ALREADY_DECIDED
        await checkout.call("CheckoutState.reject", {})
        assert checkout.state_var("CheckoutState.error") == payments.ALREADY_DECIDED
        assert checkout.state_var("CheckoutState.checkout")["status"] == "aprobado"
        assert_no_leak(portal, victim, facturas, tramites, checkout)
    rows = dict(q(portal, "SELECT number, status FROM invoices WHERE supply_number = ?", validated))
    assert (rows[_number(validated, 4)], rows[_number(validated, 2)], rows[_number(validated, 1)]) == (
        "pagada",
        "impaga",
        "impaga",
    )
    assert_nothing_stored(portal, before)
    assert not tracebacks(backend_log())


# --- cuotas other than 1, 3, 6, 12; forged amounts and arguments ---------------------------------------------


async def test_bad_cuotas_forged_amounts_and_extra_arguments_change_nothing(portal, victim, attacker, backend_log):
    before = stored(portal)
    cookie, validated = attacker.customer.cookie, attacker.validated
    payable = attacker.invoices[_number(validated, 3)]  # unpaid, overdue, in no plan: Pagar would start a payment
    unpaid_cuota = attacker.cuota_ids[1]
    victim_uid = user_id(portal, victim.customer)
    async with (
        portal.client(cookie, path=f"/suministros/{validated}") as facturas,
        portal.client(cookie, path="/tramites") as tramites,
        portal.client(cookie, path=CHECKOUT + attacker.approved_payment) as checkout,
    ):
        await loaded(facturas, "InvoicesState")
        await loaded(tramites, "TramitesState")
        await loaded(checkout, "CheckoutState")
        assert tramites.state_var("TramitesState.plan_number") == validated, "the form is not open: proves nothing"
        preview = tramites.state_var("TramitesState.preview")

        for value in ("0", "2", "7", "24", 3, 7, "", None, ["3"]):
            await tramites.call("TramitesState.choose_installments", {"value": value})
            assert tramites.state_var("TramitesState.form_error") == plans.BAD_INSTALLMENTS, value
        assert tramites.state_var("TramitesState.installments") == "3"
        assert tramites.state_var("TramitesState.preview") == preview

        # The form's own vars cannot be set from the tab (no setters): the plan stays what the page shows.
        for var, value in (
            ("installments", "7"),
            ("plan_number", victim.validated),
            ("selected", list(victim.invoices.values())),
        ):
            await tramites.emit("TramitesState.setvar", {"var_name": var, "value": value})
        # Suscribir plan / SI / Pagar with arguments the handlers do not take: refused before they run.
        forged = (
            ("TramitesState.ask_confirm", {"installments": 7}),
            ("TramitesState.confirm", {"installments": 2}),
            (
                "TramitesState.confirm",
                {"supply_number": victim.validated, "invoice_ids": list(victim.invoices.values())},
            ),
            ("TramitesState.confirm", {"user_id": victim_uid}),
            ("TramitesState.pay", {"installment_id": unpaid_cuota, "amount_cents": 1}),
            ("TramitesState.pay", {"installment_id": victim.cuota_ids[0], "user_id": victim_uid}),
            ("TramitesState.set_digital", {"number": victim.validated, "enabled": True, "user_id": victim_uid}),
        )
        for handler, payload in forged:
            await tramites.emit(handler, payload)
        await tramites.settle(quiet=0.8)
        assert tramites.state_var("TramitesState.confirm_open") is not True
        assert tramites.state_var("TramitesState.installments") == "3"
        assert tramites.state_var("TramitesState.plan_number") == validated
        assert victim.invoices[_number(victim.validated, 2)] not in (tramites.state_var("TramitesState.selected") or [])
        assert not checkout_redirects(tramites)

        # A cuota id of the wrong type or out of any range: "Cuota no encontrada.", never a server error.
        # (Reflex turns a digit string into an int for an `int` argument: "2" asks for cuota 2, someone else's.)
        for value in ("2", "abc", "1e3", True, 0, -1, 2**63, 10**20, 1.5, {"$gt": 0}, [unpaid_cuota]):
            await tramites.call("TramitesState.pay", {"installment_id": value})
            assert tramites.state_var("TramitesState.error") == payments.INSTALLMENT_NOT_FOUND, value
        await tramites.call("TramitesState.pay", {"installment_id": None})
        assert tramites.state_var("TramitesState.error") == payments.CHOOSE_ONE
        assert not checkout_redirects(tramites)

        # Pagar with the amount (or the payer) chosen by the tab: refused; the amount always comes from the database.
        for payload in (
            {"invoice_id": payable, "amount_cents": 1},
            {"invoice_id": payable, "amount": "1,00"},
            {"invoice_id": payable, "user_id": victim_uid},
            {"invoice_id": victim.invoices[_number(victim.validated, 2)], "user_id": victim_uid},
        ):
            await facturas.emit("InvoicesState.pay", payload)
        for value in ({"$ne": ""}, [payable], payable.upper(), payable + "0", "", 7):
            frames = await facturas.call("InvoicesState.pay", {"invoice_id": value})
            assert toasted(facturas, frames, INVOICE_NOT_FOUND), value
        frames = await facturas.call("InvoicesState.pay", {"invoice_id": None})
        assert toasted(facturas, frames, payments.CHOOSE_ONE)
        await facturas.settle(quiet=0.8)
        assert not checkout_redirects(facturas)

        # Aprobar someone else's (or a made-up) payment by naming it: refused.
        for payload in ({"payment_id": victim.approved_payment}, {"payment_id": "f" * 32}, {"approve": True}):
            await checkout.emit("CheckoutState.approve", payload)
        await checkout.settle(quiet=0.8)
        assert tramites.connected and facturas.connected and checkout.connected, "the server dropped a tab"
        assert_no_leak(portal, victim, facturas, tramites, checkout)
    assert not q(portal, "SELECT id FROM payments WHERE invoice_id = ? OR installment_id = ?", payable, unpaid_cuota)
    assert q(portal, "SELECT status FROM payments WHERE id = ?", victim.approved_payment) == [("pendiente",)]
    assert_nothing_stored(portal, before)
    log = backend_log()
    assert not tracebacks(log)
    assert "never awaited" not in log, "setvar reached a handler (a handler named set_<var> is taken for a setter)"


# --- no session at all ---------------------------------------------------------------------------------------

STATES = ("TramitesState", "InvoicesState", "CheckoutState")
# Plausible arguments for every parameter a handler of these states takes; an unknown name fails the test, so a
# new handler is attacked too. (Uploads go over HTTP, not the websocket: tests/security/test_websocket_attacks.py.)
ARGUMENTS = {
    "number": "victim.validated",
    "invoice_id": "victim.invoice",
    "installment_id": "victim.cuota",
    "checked": True,
    "value": "3",
    "is_open": True,
    "enabled": True,
    "rejected_files": [],
}


def _handlers() -> dict[str, object]:
    from tests.security.test_handler_allowlist import ALLOWLIST, app_handlers

    handlers = app_handlers()
    found = {name: handlers[name] for name in ALLOWLIST if name.split(".")[0] in STATES and name in handlers}
    return {name: fn for name, fn in found.items() if not name.endswith(".upload_poder")}


def _payload(fn, victim: Account) -> dict:
    concrete = {
        "victim.validated": victim.validated,
        "victim.invoice": victim.invoices[_number(victim.validated, 2)],
        "victim.cuota": victim.cuota_ids[1],
    }
    payload = {}
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        assert param.name in ARGUMENTS, f"no plausible argument for {fn.__qualname__}({param.name})"
        value = ARGUMENTS[param.name]
        payload[param.name] = concrete.get(value, value) if isinstance(value, str) else value
    return payload


async def test_without_a_session_every_plan_and_payment_handler_sends_to_the_login(
    portal, victim, attacker, backend_log
):
    handlers = _handlers()
    assert len(handlers) >= 15, f"too few handlers found: {sorted(handlers)}"
    before = stored(portal)
    pages = {
        "TramitesState": "/tramites",
        "InvoicesState": f"/suministros/{victim.validated}",
        "CheckoutState": CHECKOUT + victim.approved_payment,
    }
    problems: dict[str, str] = {}
    limit = asyncio.Semaphore(6)

    async def attack(cookie: str | None, name: str, fn) -> None:
        async with limit, portal.client(cookie, path=pages[name.split(".")[0]]) as c:
            frames = await c.call(name, _payload(fn, victim))
            if not any(p.rstrip("/") == "/login" for p in c.redirects(frames)):
                problems[f"{cookie!r}: {name}"] = f"no redirect to the login: {c.raw[-2:]}"
            elif checkout_redirects(c):
                problems[f"{cookie!r}: {name}"] = "sent to a checkout"
            try:
                assert_no_leak(portal, victim, c)
            except AssertionError as exc:
                problems[f"{cookie!r}: {name}"] = str(exc)

    # Nobody, and a session id that was never issued.
    await asyncio.gather(*(attack(cookie, name, fn) for cookie in (None, "0" * 43) for name, fn in handlers.items()))
    assert not problems, f"handlers that served a caller without session: {problems}"
    assert_nothing_stored(portal, before)
    assert not tracebacks(backend_log())


# --- the form still says why, in words -------------------------------------------------------------------------


async def test_armar_un_plan_on_a_validated_link_without_overdue_invoices_says_why(portal, victim, backend_log):
    """Her only overdue invoice is in her plan: Armar un plan on that supply is refused with a reason."""
    before = stored(portal)
    async with portal.client(victim.customer.cookie, path="/tramites") as c:
        await loaded(c, "TramitesState")
        assert c.state_var("TramitesState.plan_number") == ""
        await c.call("TramitesState.choose_supply", {"number": victim.validated})
        assert c.state_var("TramitesState.error") == NOTHING_OVERDUE
        await c.call("TramitesState.ask_confirm", {})
        await c.call("TramitesState.confirm", {})
        assert c.state_var("TramitesState.confirm_open") is not True
    assert_nothing_stored(portal, before)
    assert not tracebacks(backend_log())
