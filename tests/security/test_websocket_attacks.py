"""Attacks on the running portal through its websocket and its HTTP session endpoint, as a script would send
them: any handler by name, any arguments, any order, no browser. Each test fails if the protection it names
is removed (see SECURITY.md: Reflex pitfalls 1-4 and 7, checklist 16, 25-27, 31-32, 40)."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import secrets
import uuid

import httpx
import pytest

from tests.harness import CAPTCHA_ANSWER
from tests.security.conftest import (
    DEMO_DNI,
    DEMO_PASSWORD,
    DEMO_SUPPLY,
    Portal,
    _until_claim,
    log_in,
    tracebacks,
)
from tests.security.wsclient import ConnectionRefused, WsClient, redeem_claim, session_cookie

pytestmark = pytest.mark.security

EVIL_ORIGIN = "http://evil.example"
CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
# The demo customer's data as it would appear in a frame (seed-demo): name, DNI, e-mail, mobile, the address
# and the invoice numbers of his supply 2000380655.
DEMO_CUSTOMER_DATA = ("Juan", "Perez", DEMO_DNI, "juan.perez@example.com", "2644123456", "Av. Libertador", "0012-0")
# Where a handler's page is, so an anonymous tab calls it from there (the page's on_load runs on connect too).
PAGE_OF = {
    "SuppliesState": "/suministros",
    "InvoicesState": f"/suministros/{DEMO_SUPPLY}",
    "AssociateState": "/suministros/asociar",
    "ProfileState": "/perfil",
    "NotificationsState": "/notificaciones",
    "TramitesState": "/tramites",
    "DatosState": "/registro/datos",
    "CodigoState": "/registro/codigo",
}
# One plausible form for any handler: every field some form of the portal has, filled with harmless values.
PLAUSIBLE_FORM = {
    "doc_type": "DNI",
    "doc_number": "30111222",
    "password": "Clave.Segura10",
    "password2": "Clave.Segura10",
    "captcha": CAPTCHA_ANSWER,
    "supply_number": DEMO_SUPPLY,
    "quiz": "0",
    "email": "nadie@example.com",
    "area": "264",
    "number": "4111222",
    "current_password": DEMO_PASSWORD,
    "new_password": "Clave.Nueva10",
    "new_password2": "Clave.Nueva10",
    "code": "123456",
    "code_email": "123456",
    "code_sms": "123456",
    "first_names": "Nadie",
    "last_names": "Nadie",
    "channel": "email",
}


def app_data(c: WsClient, frames: list[dict] | None = None) -> str:
    """What the app's own states and events sent (the root state's router echo — the URL the tab asked for —
    left out)."""
    parts = []
    for frame in c.frames if frames is None else frames:
        delta = {k: v for k, v in (frame.get("delta") or {}).items() if k != c.app.root}
        parts.append(json.dumps({"delta": delta, "events": frame.get("events") or []}, ensure_ascii=False))
    return "\n".join(parts)


def went_to_login(c: WsClient, frames: list[dict]) -> bool:
    return any(path.rstrip("/") == "/login" for path in c.redirects(frames))


def no_tracebacks(log_text: str) -> None:
    found = tracebacks(log_text)
    assert not found, f"the backend logged {len(found)} traceback(s): {found[:5]}"


def _demo_invoice_id(portal: Portal) -> str:
    from tests.e2e.helpers import query

    rows = query(
        portal.data_dir, "SELECT id FROM invoices WHERE supply_number = ? ORDER BY issued_on DESC", DEMO_SUPPLY
    )
    assert rows, "seed-demo left no invoice for the demo supply"
    return str(rows[0][0])


def plausible_payload(fn, invoice_id: str) -> dict | None:
    """Arguments for a handler, from its client-visible signature (None for an upload handler)."""
    payload = {}
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        name, annotation = param.name, str(param.annotation)
        if name == "files" or "UploadFile" in annotation:
            return None
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name == "form" or "dict" in annotation:
            payload[name] = dict(PLAUSIBLE_FORM)
        elif name == "invoice_id":
            payload[name] = invoice_id
        elif name == "kind":
            payload[name] = "dni"
        elif name == "name":
            payload[name] = "email"
        elif "bool" in annotation:
            payload[name] = True
        elif "list" in annotation:
            payload[name] = []
        elif "int" in annotation:
            payload[name] = 1
        else:
            payload[name] = DEMO_SUPPLY
    return payload


async def _login_claim(portal: Portal, c: WsClient, dni: str, password: str) -> dict:
    """Ingresar without redeeming: the hand-off the server sent to this tab."""
    frames = await c.call(
        "LoginState.submit",
        {"form": {"doc_type": "DNI", "doc_number": dni, "password": password, "captcha": CAPTCHA_ANSWER}},
        until=_until_claim(c),
    )
    claim = c.login_claim(frames)
    assert claim is not None
    return claim


# --- no session -----------------------------------------------------------------------------------


async def test_guarded_handlers_give_an_anonymous_client_nothing_but_the_login_page(portal):
    """Every customer/registering handler of the allowlist, called with plausible arguments by a client with no
    session: a redirect to /login, none of the demo customer's data, no login hand-off."""
    from tests.security.test_handler_allowlist import ALLOWLIST, app_handlers

    handlers = app_handlers()
    invoice_id = _demo_invoice_id(portal)
    targets = {
        name: handlers[name]
        for name, guard in ALLOWLIST.items()
        if guard in ("customer", "registering") and name in handlers
    }
    assert len(targets) >= 10, f"too few guarded handlers found: {sorted(targets)}"
    limit = asyncio.Semaphore(8)
    problems: dict[str, str] = {}
    skipped: list[str] = []

    async def attack(name: str, fn) -> None:
        payload = plausible_payload(fn, invoice_id)
        if payload is None:
            skipped.append(name)  # uploads: test_upload_handlers_refuse_a_client_without_session
            return
        state = name.split(".")[0]
        async with limit, portal.client(path=PAGE_OF.get(state, "/suministros")) as c:
            frames = await c.call(name, payload)
            leaked = [s for s in DEMO_CUSTOMER_DATA if s in app_data(c)]
            if leaked:
                problems[name] = f"sent the demo customer's {leaked}"
            elif c.session_calls():
                problems[name] = f"handed out a session: {c.session_calls()}"
            elif not went_to_login(c, frames):
                problems[name] = f"no redirect to /login (received {app_data(c, frames)[:300]!r})"

    await asyncio.gather(*(attack(name, fn) for name, fn in targets.items()))
    assert not problems, f"guarded handlers that served a client without session: {problems}"
    assert len(skipped) < len(targets)


async def test_upload_handlers_refuse_a_client_without_session(portal, backend_log, tmp_path):
    """/_upload runs whichever handler the `Reflex-Event-Handler` header names: each upload handler checks the
    session itself, and stores nothing for a client without one."""
    from tests.e2e.helpers import dni_photo

    photo = dni_photo(tmp_path).read_bytes()
    documents = portal.data_dir / "documents"
    before = set(documents.iterdir()) if documents.exists() else set()
    for handler, page in (
        ("AssociateState.upload_dni", "/suministros/asociar"),
        ("ProfileState.upload_dni", "/perfil"),
    ):
        async with portal.client(path=page) as c:
            start = len(c.frames)
            response = await c.upload(handler, [("dni-frente.jpg", photo, "image/jpeg")])
            assert response.status_code < 500, f"{handler}: {response.status_code} {response.text[:200]}"
            frames = c.frames[start:]
            assert went_to_login(c, frames), f"{handler}: no redirect to /login: {app_data(c, frames)[:300]}"
            assert c.state_var(f"{handler.split('.')[0]}.dni_ok") is not True
    after = set(documents.iterdir()) if documents.exists() else set()
    assert after == before, f"files stored for a client without session: {sorted(map(str, after - before))}"
    no_tracebacks(backend_log())


# --- another customer's session -------------------------------------------------------------------


async def test_another_customers_supply_and_invoices_stay_hidden(portal, customer_a, customer_b):
    """B, logged in, opens A's supply page and asks for A's invoices by id: "Suministro no encontrado.",
    "Factura no encontrada.", and nothing of A in any frame."""
    path = f"/suministros/{customer_a.supply}"
    a_data = (
        customer_a.person.dni,
        customer_a.person.email,
        "Valentina",
        "Ibarra",
        f"E2E-{customer_a.supply}",
        "Calle Laprida",
        *customer_a.invoice_ids,
    )
    async with portal.client(customer_b.cookie, path=path) as c:
        assert c.state_var("SessionState.user_name"), "B's session was not recognised: the test proves nothing"
        assert c.state_var("InvoicesState.not_found") is True  # the page then says "Suministro no encontrado."
        assert not c.state_var("InvoicesState.rows")
        await c.call("InvoicesState.next_page", {})
        await c.call("InvoicesState.previous_page", {})
        for invoice_id in customer_a.invoice_ids[:3]:
            frames = await c.call("InvoicesState.print_invoice", {"invoice_id": invoice_id})
            assert not c.events("_download", frames), "B got a download link for A's invoice"
            assert any("Factura no encontrada." in s for s in c.scripts(frames)), c.scripts(frames)
        leaked = [s for s in a_data if s in app_data(c)]
        assert not leaked, f"A's data reached B: {leaked}"
        assert not c.state_var("InvoicesState.rows")


async def test_an_invoice_of_another_supply_is_not_printed(portal, customer_a, customer_b):
    """A, on A's own supply page, asks for the demo supply's invoice: refused. A's own download link does not
    work with B's session."""
    path = f"/suministros/{customer_a.supply}"
    async with portal.client(customer_a.cookie, path=path) as c:
        assert c.state_var("InvoicesState.rows"), "A does not see A's invoices: the test proves nothing"
        frames = await c.call("InvoicesState.print_invoice", {"invoice_id": _demo_invoice_id(portal)})
        assert not c.events("_download", frames)
        assert any("Factura no encontrada." in s for s in c.scripts(frames)), c.scripts(frames)
        frames = await c.call("InvoicesState.print_invoice", {"invoice_id": customer_a.invoice_ids[0]})
        [download] = c.events("_download", frames)
    url = portal.base_url + str(download["payload"]["url"])
    async with httpx.AsyncClient(timeout=10) as http:
        own = await http.get(url, headers={"Cookie": f"ag_sid={customer_a.cookie}"})
        assert own.status_code == 200 and own.content.startswith(b"%PDF"), own.status_code
        assert (await http.get(url, headers={"Cookie": f"ag_sid={customer_b.cookie}"})).status_code == 404
        assert (await http.get(url)).status_code == 404


# --- the login bypass -------------------------------------------------------------------------------

BYPASS_ATTEMPTS = (
    ("SessionState.start", {"user_id": 1, "target": "/suministros"}),
    ("SessionState._start", {"user_id": 1, "target": "/suministros"}),
    ("SessionState._start", {"ticket": {"user_id": 1, "status": "active"}, "target": "/suministros"}),
    ("SessionState.cookie_token", {}),
    ("SessionState._cookie_token", {}),
    ("SessionState.viewer", {}),
    ("SessionState._viewer", {}),
    ("CaptchaState.consume", {"answer": CAPTCHA_ANSWER, "action": "login"}),
    ("CaptchaState._consume", {"answer": CAPTCHA_ANSWER, "action": "login"}),
)


async def test_session_helpers_cannot_log_an_anonymous_client_in(portal):
    """The issue: `SessionState.start(user_id, target)` was a public method, so any client could emit it by name
    and get the demo customer's session. No frame may hand out a login, and the tab's token redeems nothing."""
    async with portal.client(path="/login") as c:
        for handler, payload in BYPASS_ATTEMPTS:
            await c.emit(handler, payload)
        await c.settle(quiet=0.8)
        assert not c.session_calls(), f"the server handed an anonymous client a session: {c.session_calls()}"
        assert c.login_claim() is None
        assert "Juan" not in app_data(c)
        for nonce in (None, "", secrets.token_urlsafe(16)):
            response = await redeem_claim(portal.base_url, client_token=c.token, nonce=nonce, origin=portal.base_url)
            assert response.status_code == 401, (nonce, response.status_code, response.text)
            assert session_cookie(response) is None
        await c.reload(path="/suministros")
        assert not c.state_var("SessionState.user_name")


async def test_the_captcha_picture_is_drawn_when_its_field_is_focused_and_only_once(portal):
    """Opening /login stores no challenge and draws nothing (a burst of visitors costs no pictures); the
    captcha field's focus (`CaptchaState.prepare`) draws one; sent again and again, as a script could, it draws
    nothing more while that picture is live; a wrong answer burns it and the next picture is a new one."""
    from tests.e2e.helpers import query

    def challenges() -> int:
        return query(portal.data_dir, "SELECT count(*) FROM captchas")[0][0]

    before = challenges()
    async with portal.client(path="/login") as c:
        await c.settle(quiet=0.6)
        assert challenges() == before and not c.state_var("CaptchaState.src")
        await c.call("CaptchaState.prepare", {})
        picture = c.state_var("CaptchaState.src")
        assert picture.startswith("data:image/jpeg;base64,") and challenges() == before + 1
        for _ in range(10):
            await c.emit("CaptchaState.prepare", {})
        await c.settle(quiet=0.6)
        assert challenges() == before + 1 and c.state_var("CaptchaState.src") == picture
        form = {"doc_type": "DNI", "doc_number": DEMO_DNI, "password": DEMO_PASSWORD, "captcha": "ZZZZZ"}
        await c.call("LoginState.submit", {"form": form})
        assert c.state_var("LoginState.errors")["captcha"], "a wrong answer must be refused"
        assert challenges() == before + 2 and c.state_var("CaptchaState.src") not in ("", picture)
        assert c.login_claim() is None


# --- the session endpoint ---------------------------------------------------------------------------


async def test_a_made_up_claim_is_refused(portal):
    for headers in (
        {"client_token": str(uuid.uuid4()), "nonce": secrets.token_urlsafe(16)},
        {"client_token": str(uuid.uuid4()), "nonce": None},
        {"client_token": None, "nonce": None},
    ):
        response = await redeem_claim(portal.base_url, origin=portal.base_url, **headers)
        assert response.status_code == 401, (headers, response.status_code)
        assert session_cookie(response) is None


async def test_a_claim_is_bound_to_its_tab_and_its_nonce(portal):
    """After a real login, the hand-off only works from the tab it was sent to, with the nonce it was sent."""
    async with portal.client(path="/login") as c:
        claim = await _login_claim(portal, c, DEMO_DNI, DEMO_PASSWORD)
        assert claim["nonce"], "the login hand-off carries no nonce: the tab token alone redeems the claim"
        stolen = await redeem_claim(
            portal.base_url, client_token=str(uuid.uuid4()), nonce=claim["nonce"], origin=portal.base_url
        )
        assert stolen.status_code == 401 and session_cookie(stolen) is None
        guessed = await redeem_claim(
            portal.base_url, client_token=c.token, nonce=secrets.token_urlsafe(16), origin=portal.base_url
        )
        assert guessed.status_code == 401 and session_cookie(guessed) is None


async def test_the_session_endpoint_wants_our_origin_and_redeems_once(portal):
    async with portal.client(path="/login") as c:
        claim = await _login_claim(portal, c, DEMO_DNI, DEMO_PASSWORD)
        for origin in (None, EVIL_ORIGIN):
            refused = await redeem_claim(portal.base_url, client_token=c.token, nonce=claim["nonce"], origin=origin)
            assert 400 <= refused.status_code < 500, (origin, refused.status_code)
            assert session_cookie(refused) is None, origin
        redeemed = await redeem_claim(
            portal.base_url, client_token=c.token, nonce=claim["nonce"], origin=portal.base_url
        )
        assert redeemed.status_code == 200 and session_cookie(redeemed)
        replayed = await redeem_claim(
            portal.base_url, client_token=c.token, nonce=claim["nonce"], origin=portal.base_url
        )
        assert replayed.status_code == 401 and session_cookie(replayed) is None


# --- what reaches the browser ---------------------------------------------------------------------------


def _sent_codes(portal: Portal) -> set[str]:
    from autogestion.adapters.mail_sink import read_maildir, read_sms_outbox
    from tests.e2e.helpers import Outbox

    outbox = Outbox(portal.data_dir)
    texts = [m["body"] for m in read_maildir(outbox.mail_dir)] if outbox.mail_dir.exists() else []
    texts += [s["text"] for s in read_sms_outbox(outbox.sms_file)] if outbox.sms_file.exists() else []
    return {code for text in texts for code in CODE.findall(text)}


async def test_no_secret_reaches_the_browser_during_login_and_mi_perfil(portal, customer_a, customer_b):
    """Password, verification codes, the session id, hashes and server paths never travel to the browser: a full
    login and a Mi Perfil load (A has a DNI photo on file), and B's whole registration."""
    async with portal.client(path="/login") as c:
        cookie = await log_in(c, customer_a.person.dni, customer_a.person.password)
        await c.reload(path="/perfil")
        await c.settle(quiet=0.6)
        assert customer_a.person.email in app_data(c), "Mi Perfil did not load: the scan proves nothing"
        received = c.text
    codes = _sent_codes(portal) | set(customer_a.codes) | set(customer_b.codes)
    assert codes, "no verification code found in the outboxes"
    for name, text, password, session in (
        ("login + Mi Perfil", received, customer_a.person.password, cookie),
        ("registration", customer_b.frames_text, customer_b.person.password, customer_b.cookie),
    ):
        found = [
            secret
            for secret in (password, session, "$2b$", "$2a$", "/documents/", str(portal.data_dir))
            if secret in text
        ]
        found += [code for code in codes if re.search(rf"(?<![0-9]){code}(?![0-9])", text)]
        assert not found, f"{name}: secrets in the frames sent to the browser: {found}"


# --- forged events --------------------------------------------------------------------------------------


async def test_forged_arguments_change_nothing_and_log_no_traceback(portal, customer_b, backend_log):
    """A customer's tab sends a foreign `user_id`, dicts and lists where strings belong, missing and extra
    arguments and 500 KB strings: refused quietly, nothing changes, the session still works."""
    from tests.e2e.helpers import query

    evil = f"evil.{secrets.token_hex(4)}@example.com"
    big = "A1a" * 170_000  # ≈ 500 KB, one per event: Reflex drops a socket whose message passes 1 MB
    forged = (
        (
            "ProfileState.request_email",
            {"user_id": 1, "form": {"email": evil, "current_password": customer_b.person.password}},
        ),
        ("ProfileState.request_email", {"form": {"email": {"$ne": ""}, "current_password": ["x"]}}),
        (
            "ProfileState.change_password",
            {
                "user_id": 1,
                "form": {
                    "current_password": "Clave.Mala10",
                    "new_password": "Clave.Nueva10",
                    "new_password2": "Clave.Nueva10",
                },
            },
        ),
        ("ProfileState.confirm", {"kind": ["email"], "form": None}),
        ("ProfileState.request_phone", {"form": {"area": "264", "number": "4111222", "current_password": big}}),
        ("InvoicesState.print_invoice", {"invoice_id": {"$ne": ""}}),
        ("InvoicesState.print_invoice", {"invoice_id": big}),
        ("InvoicesState.print_invoice", {}),
        ("InvoicesState.next_page", {"page": 99}),
        ("AssociateState.verify", {"form": {"supply_number": {"number": DEMO_SUPPLY}}}),
        ("AssociateState.verify", {"form": DEMO_SUPPLY}),
        ("AssociateState.answer", {"form": {"quiz": 0}}),
        ("AssociateState.view", {"kind": {"kind": "dni"}}),
        ("AssociateState.dialog_changed", {"is_open": "true"}),
        ("RegistroState.check_password", {"value": big}),
        ("RegistroState.check_document", {"value": {"x": 1}}),
        ("DatosState.check", {"name": "email", "value": {"x": 1}}),
        ("LoginState.submit", {"form": {"doc_type": "DNI", "doc_number": DEMO_DNI, "password": big, "captcha": "x"}}),
        ("LoginState.submit", {"form": "not a form"}),
    )
    async with portal.client(customer_b.cookie, path="/perfil") as c:
        assert customer_b.person.email in app_data(c), "B's Mi Perfil did not load: the test proves nothing"
        for handler, payload in forged:  # one tab's events run in order: send them all, then wait once
            await c.emit(handler, payload)
        await c.settle(quiet=1.0, timeout=20)
        assert c.connected, "the server dropped the tab"
        assert not c.events("_download")
        assert not c.session_calls()
        assert evil not in app_data(c)
        await c.reload(path="/perfil")
        assert customer_b.person.email in app_data(c), "B's session or profile changed"
        assert evil not in app_data(c)
    await asyncio.sleep(0.5)
    assert query(portal.data_dir, "SELECT count(*) FROM outbox WHERE recipient = ?", evil) == [(0,)]
    no_tracebacks(backend_log())


async def test_setvar_and_update_vars_cannot_set_the_session_vars(portal, customer_b, backend_log):
    """Reflex's built-in `setvar` handler and the `update_vars_internal` event (CVE-2025-47425) must not set
    `user_name` or `dni_status` on SessionState, for a client with or without a session."""
    session = None
    for cookie in (None, customer_b.cookie):
        async with portal.client(cookie, path="/perfil") as c:
            session = c.app.full_name("SessionState")
            own_name = c.state_var("SessionState.user_name")
            update_vars = f"{c.app.full_name('UpdateVarsInternalState')}.update_vars_internal"
            await c.emit("SessionState.setvar", {"var_name": "user_name", "value": "Juan Perez"})
            await c.emit("SessionState.setvar", {"var_name": "dni_status", "value": "valido"})
            for suffix in ("", "_rx_state_"):
                await c.emit(
                    update_vars,
                    {"vars": {f"{session}.user_name{suffix}": "Juan Perez", f"{session}.dni_status{suffix}": "valido"}},
                )
            await c.settle(quiet=0.8)
            assert "Juan Perez" not in app_data(c), "a client set SessionState.user_name"
            assert c.state_var("SessionState.dni_status") != "valido"
            await c.reload(path="/perfil")
            assert c.state_var("SessionState.user_name") == own_name
            assert "Juan Perez" not in app_data(c)
    assert session
    no_tracebacks(backend_log())


async def test_unknown_handler_names_log_no_traceback_and_no_session_id(portal, customer_b, backend_log):
    """A client naming a handler that does not exist (e.g. a private `_start`) gets nothing; the log gets one
    line at most: no traceback, and never the handshake's cookie (the session id)."""
    async with portal.client(customer_b.cookie, path="/perfil") as c:
        await c.call("SessionState._start", {"user_id": 1, "target": "/suministros"})
        await c.call("SessionState.no_such_handler", {})
        await c.emit(f"{c.app.root}.no_such_state.no_such_handler", {})
        await c.settle()
        assert not c.session_calls()
    log = backend_log()
    assert customer_b.cookie not in log, "the backend log holds a session id"
    no_tracebacks(log)


# --- the websocket handshake -------------------------------------------------------------------------------


async def test_a_websocket_from_a_foreign_origin_is_refused(portal):
    tab = portal.tab(origin=EVIL_ORIGIN, path="/login")
    with pytest.raises(ConnectionRefused):
        await tab.connect()
    assert not tab.frames
    async with portal.client(path="/login") as own:  # the portal's own origin connects
        assert own.connected and own.frames
