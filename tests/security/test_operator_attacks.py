"""Attacks on the back office through the websocket and the document route, as a script would send them:
every operator handler called without an operator session (nobody, a customer's session, a customer's
session id under the operator cookie's name), an operator deciding an item another operator holds, and an
operator's document link used with someone else's cookie."""

from __future__ import annotations

import asyncio
import inspect
import re

import httpx
import pytest

from tests.harness import CAPTCHA_ANSWER
from tests.security.conftest import (
    DEMO_SUPPLY,
    Customer,
    Portal,
    _once,
    _until_claim,
    link_imported_supply,
    register,
    tracebacks,
)
from tests.security.wsclient import WsClient

pytestmark = pytest.mark.security

OPERATOR_COOKIE = "ag_op"
PAGE_OF = {
    "OperatorQueueState": "/operador",
    "OperatorAuditState": "/operador/auditoria",
    "ReviewItemState": "/operador/item/{item}",
}
# Plausible arguments for every parameter name an operator handler takes; an unknown name fails the test, so
# a new handler is attacked with arguments too.
ARGUMENTS = {
    "kind": "dni",
    "value": "pendiente",
    "decision": "no_legible",
    "is_open": True,
    "form": {"search": "", "supply_number": DEMO_SUPPLY, "reason": "NO_LEGIBLE"},
}
B_USERNAME, B_PASSWORD = "seguridad.b", "Clave.Operadora26"


def ag_op(response: httpx.Response) -> str | None:
    """The ag_op value a response sets (None when it sets none)."""
    for header in response.headers.get_list("set-cookie"):
        match = re.match(rf"\s*{OPERATOR_COOKIE}=([^;]*)", header)
        if match and match.group(1).strip('"'):
            return match.group(1).strip('"')
    return None


async def operator_log_in(portal: Portal, username: str, password: str) -> str:
    """Ingreso de operadores over the websocket, the claim redeemed over HTTP: returns "ag_op=<session id>"."""
    async with portal.client(path="/operador") as c:
        frames = await c.call(
            "OperatorLoginState.submit",
            {"form": {"username": username, "password": password, "captcha": CAPTCHA_ANSWER}},
            until=_until_claim(c),
        )
        claim = c.login_claim(frames)
        response = await c.redeem(nonce=claim["nonce"])
        token = ag_op(response)
        assert response.status_code == 200 and token, f"operator claim not redeemed: {response.status_code}"
        return f"{OPERATOR_COOKIE}={token}"


def app_data(c: WsClient) -> str:
    """What the app's states sent (the root state's echo of the URL left out)."""
    import json

    return "\n".join(
        json.dumps(
            {"delta": {k: v for k, v in (f.get("delta") or {}).items() if k != c.app.root}, "events": f.get("events")},
            ensure_ascii=False,
        )
        for f in c.frames
    )


def _operator_handlers() -> dict[str, object]:
    from tests.security.test_handler_allowlist import ALLOWLIST, app_handlers

    handlers = app_handlers()
    return {
        name: handlers[name]
        for name, guard in ALLOWLIST.items()
        if name.split(".")[0] in PAGE_OF and name in handlers and guard in ("operator", "supervisor", "public")
    }


def _payload(fn) -> dict:
    payload = {}
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        assert param.name in ARGUMENTS, f"no plausible argument for {fn.__qualname__}({param.name})"
        payload[param.name] = ARGUMENTS[param.name]
    return payload


def _pending_item(portal: Portal, doc_number: str) -> int:
    from tests.e2e.helpers import query

    rows = query(
        portal.data_dir,
        "SELECT id FROM review_items WHERE doc_number = ? AND status = 'pendiente' ORDER BY id DESC",
        doc_number,
    )
    assert rows, f"no pending review item for {doc_number}"
    return rows[0][0]


def _item_row(portal: Portal, item_id: int) -> tuple:
    from tests.e2e.helpers import query

    return query(portal.data_dir, "SELECT status, reserved_by, decision FROM review_items WHERE id = ?", item_id)[0]


def _operator_id(portal: Portal, username: str) -> int:
    from tests.e2e.helpers import query

    return query(portal.data_dir, "SELECT id FROM operators WHERE username = ?", username)[0][0]


@pytest.fixture(scope="module")
def reviewed(portal) -> Customer:
    """A customer of this module's own whose linked supply's DNI photo waits in the queue (the session's
    shared customers are left undecided for the other tests)."""
    from tests.e2e.helpers import Outbox, new_person

    async def make() -> Customer:
        customer = await register(portal, Outbox(portal.data_dir), new_person())
        await link_imported_supply(portal, customer)
        return customer

    return _once("reviewed", make)


@pytest.fixture(scope="module")
def operator_a(portal) -> str:
    from tests.e2e.helpers import DEMO_OPERATOR, DEMO_OPERATOR_PASSWORD

    return asyncio.run(operator_log_in(portal, DEMO_OPERATOR, DEMO_OPERATOR_PASSWORD))


@pytest.fixture(scope="module")
def operator_b(portal) -> str:
    """A second operator, created with `autogestion create-operator` (password twice on stdin)."""
    from tests.e2e.helpers import create_operator

    create_operator(portal.data_dir, B_USERNAME, B_PASSWORD, name="Bruno Seguridad")
    return asyncio.run(operator_log_in(portal, B_USERNAME, B_PASSWORD))


# --- without an operator session ------------------------------------------------------------------------


async def test_operator_handlers_give_a_client_without_operator_session_nothing(
    portal, reviewed, customer_b, backend_log
):
    """Every back-office handler, called by nobody, by a customer's session and by a customer's session id
    sent as `ag_op`: no queue row, no item, no audit row, none of the customer's data, no document link,
    no decision, no reservation, no lifted lock."""
    handlers = _operator_handlers()
    assert len(handlers) >= 15, f"too few back-office handlers found: {sorted(handlers)}"
    item = _pending_item(portal, reviewed.person.dni)
    before = _item_row(portal, item)
    secrets = (reviewed.person.dni, reviewed.person.email, reviewed.person.e164, "Calle Laprida", "/api/archivo/")
    callers = {
        "nobody": None,
        "a customer": customer_b.cookie,
        "a customer's session as ag_op": f"{OPERATOR_COOKIE}={customer_b.cookie}",
    }
    limit = asyncio.Semaphore(8)
    problems: dict[str, str] = {}

    async def attack(who: str, cookie: str | None, name: str, fn) -> None:
        path = PAGE_OF[name.split(".")[0]].format(item=item)
        async with limit, portal.client(cookie, path=path) as c:
            await c.call(name, _payload(fn))
            sent = app_data(c)
            leaked = [s for s in secrets if s in sent]
            if leaked:
                problems[f"{who}: {name}"] = f"sent {leaked}"
            elif c.state_var("OperatorQueueState.rows") or c.state_var("OperatorAuditState.rows"):
                problems[f"{who}: {name}"] = "sent queue or audit rows"
            elif (c.state_var("ReviewItemState.item") or {}).get("customer_name"):
                problems[f"{who}: {name}"] = "sent the item"
            elif c.state_var("OperatorSessionState.signed_in"):
                problems[f"{who}: {name}"] = "was taken for an operator"

    await asyncio.gather(
        *(attack(who, cookie, name, fn) for who, cookie in callers.items() for name, fn in handlers.items())
    )
    assert not problems, f"back-office handlers that served a caller without operator session: {problems}"
    assert _item_row(portal, item) == before, "the item was decided or reserved"
    from tests.e2e.helpers import query

    assert not query(portal.data_dir, "SELECT id FROM audit_log WHERE action = 'levantar_bloqueo'")
    assert not tracebacks(backend_log())


async def test_the_item_page_sends_a_customer_to_the_operator_login(portal, reviewed):
    item = _pending_item(portal, reviewed.person.dni)
    async with portal.client(reviewed.cookie, path=f"/operador/item/{item}") as c:
        assert any(p.rstrip("/") == "/operador" for p in c.redirects()), c.raw[-3:]
        assert not (c.state_var("ReviewItemState.item") or {}).get("customer_name")


# --- one operator against another -----------------------------------------------------------------------


async def test_operator_b_cannot_decide_an_item_operator_a_holds(portal, reviewed, operator_a, operator_b):
    """A holds the item: B sees who holds it and cannot decide it, not even from a tab where B had chosen a
    decision while B held it; the service's conditional update lets A's decision alone stand."""
    item = _pending_item(portal, reviewed.person.dni)
    path = f"/operador/item/{item}"
    a_id, b_id = _operator_id(portal, "operador"), _operator_id(portal, B_USERNAME)
    async with (
        portal.client(operator_b, path=path) as b1,
        portal.client(operator_b, path=path) as b2,
    ):
        assert b1.state_var("ReviewItemState.item")["reserved_by_me"] is True, b1.raw[-3:]
        assert b2.state_var("ReviewItemState.item")["can_decide"] is True
        await b2.call("ReviewItemState.choose", {"decision": "no_legible"})
        assert b2.state_var("ReviewItemState.confirm_open") is True
        await b1.call("ReviewItemState.release", {})  # B gives it back in one tab; the other still shows it
        assert _item_row(portal, item)[1] is None

        async with portal.client(operator_a, path=path) as a:
            shown = a.state_var("ReviewItemState.item")
            assert shown["reserved_by_me"] is True and shown["can_decide"] is True, a.raw[-3:]
            assert _item_row(portal, item)[1] == a_id

            # B's stale tab confirms its decision: the service refuses, nothing changes.
            await b2.call("ReviewItemState.decide_item", {"form": {"reason": "NO_LEGIBLE"}})
            assert b2.state_var("ReviewItemState.error") == "Otro operador está revisando este ítem."
            assert _item_row(portal, item) == ("pendiente", a_id, "")

            # B opening it again sees who holds it, cannot choose, cannot take it over.
            async with portal.client(operator_b, path=path) as b3:
                shown = b3.state_var("ReviewItemState.item")
                assert shown["reserved_by"] == "Operador Demo" and shown["can_decide"] is False, b3.raw[-3:]
                await b3.call("ReviewItemState.choose", {"decision": "legible"})
                assert b3.state_var("ReviewItemState.confirm_open") is not True
                await b3.call("ReviewItemState.decide_item", {"form": {"reason": ""}})
                await b3.call("ReviewItemState.release", {})
            assert _item_row(portal, item) == ("pendiente", a_id, "")

            # A decides; a second confirmation from A's tab is refused as already decided.
            await a.call("ReviewItemState.choose", {"decision": "legible"})
            await a.call("ReviewItemState.decide_item", {"form": {}})
            assert a.state_var("ReviewItemState.item")["decision_label"] == "LEGIBLE", a.raw[-3:]
            assert _item_row(portal, item) == ("resuelto", a_id, "legible")
            await b2.call("ReviewItemState.decide_item", {"form": {"reason": "NO_LEGIBLE"}})
            assert _item_row(portal, item)[2] == "legible"
    from tests.e2e.helpers import query

    decisions = query(
        portal.data_dir, "SELECT operator_id FROM audit_log WHERE item_id = ? AND action = 'decidir'", item
    )
    assert decisions == [(a_id,)], decisions
    assert b_id != a_id


# --- the operator document route ------------------------------------------------------------------------


async def test_an_operator_document_link_needs_that_operators_session(portal, customer_a, operator_a, operator_b):
    """The signed link of operator A's item page serves the photo inline to A's session only: not to B, not to
    a customer (the owner included), not under a forged cookie name, not to nobody."""
    item = _pending_item(portal, customer_a.person.dni)
    async with portal.client(operator_a, path=f"/operador/item/{item}") as a:
        url = a.state_var("ReviewItemState.document_url")
        assert url and url.startswith("/api/archivo/") and "/_upload" not in url, a.raw[-3:]
        await a.call("ReviewItemState.release", {})  # leave customer_a's item free for the other tests
    full = portal.base_url + url
    async with httpx.AsyncClient(timeout=10) as http:
        own = await http.get(full, headers={"Cookie": operator_a})
        assert own.status_code == 200, own.status_code
        assert own.headers["content-disposition"].startswith("inline")
        assert own.headers["x-content-type-options"] == "nosniff"
        assert own.headers["content-security-policy"].startswith("sandbox")
        assert own.content[:3] == b"\xff\xd8\xff"
        for cookie in (
            operator_b,
            f"ag_sid={customer_a.cookie}",
            f"{OPERATOR_COOKIE}={customer_a.cookie}",
            f"ag_sid={operator_a.split('=', 1)[1]}",
            "",
        ):
            refused = await http.get(full, headers={"Cookie": cookie} if cookie else {})
            assert refused.status_code == 404, f"served with cookie {cookie[:12]!r}…"
            assert refused.text == "No encontrado."
