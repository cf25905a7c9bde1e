"""End to end against the production setup (PostgreSQL, Redis, 2 backend workers, static export behind nginx):
a new customer registers (codes from the real Maildir and SMS outbox), links a demo supply with a DNI photo, an
operator validates it in /operador, and the customer sees it validated. Then a worker is killed while a customer
is logged in: the next action in the same tab works without logging in again."""

from __future__ import annotations

import os
import re
import signal
import time

import httpx
from playwright.sync_api import expect

from autogestion.components.connection import LOST
from autogestion.services.formatting import format_date, format_money
from tests.e2e.helpers import (
    Outbox,
    choose_option,
    decide_item,
    dni_photo,
    login,
    new_person,
    open_queue_item,
    operator_login,
    quiz_options,
    register_step2,
    register_step3,
    search_queue,
    upload,
    verify_number,
    wait_sms_containing,
)
from tests.production.stack import CAPTCHA_ANSWER, established_peers

MARIA_DNI, MARIA_SUPPLY = "27345678", "2000412873"  # demo supply whose holder has no account
DEMO_DNI, DEMO_PASSWORD = "20123456", "Portal.Demo26"
QUIROGA_SUPPLY = "2000157420"  # demo supply of someone else (the demo customer would link it as apoderado)


def goto_hydrated(page, url: str, timeout: float = 30) -> None:
    """Open url and wait until the tab's state has arrived over the websocket (a click before can be lost)."""
    since = len(page.ws_frames)
    page.goto(url)
    deadline = time.monotonic() + timeout
    while not any('is_hydrated_rx_state_":true' in frame for frame in page.ws_frames[since:]):
        assert time.monotonic() < deadline, f"{url} did not hydrate"
        page.wait_for_timeout(100)


def register_holder(page, base_url: str, outbox: Outbox, dni: str):
    """The three registration steps for a new person with the given document (codes from the real outboxes)."""
    person = new_person()
    person.dni = dni
    goto_hydrated(page, base_url + "/registro")
    page.get_by_label("Tipo de documento").select_option("DNI")
    page.get_by_label("Número de documento").fill(person.dni)
    page.get_by_label("Contraseña", exact=True).fill(person.password)
    page.get_by_label("Repetir contraseña").fill(person.password)
    page.get_by_label("Código de seguridad").fill(CAPTCHA_ANSWER)
    page.get_by_role("button", name="Registrar Cuenta").click()
    expect(page.get_by_role("heading", name="Completá tus datos!")).to_be_visible()
    register_step2(page, person)
    register_step3(page, outbox, person)
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    expect(page.get_by_role("heading", name="Todavía no tenés suministros asociados")).to_be_visible()
    return person


def real_quiz_labels(stack, number: str) -> list[str]:
    rows = stack.query(
        "SELECT amount_cents, due_on FROM invoices WHERE supply_number = $1 "
        "ORDER BY issued_on DESC, period DESC, number DESC LIMIT 2",
        number,
    )
    return [f"{format_money(cents)} — vence {format_date(due)}" for cents, due in rows]


def pass_quiz(page, stack, number: str) -> None:
    real = set(real_quiz_labels(stack, number))
    right = [label for label in quiz_options(page) if label in real]
    assert len(right) == 1, f"expected one real invoice among the options, got {right}"
    choose_option(page, right[0])
    expect(page.get_by_text("¡Correcto!")).to_be_visible()


def test_register_link_validate_behind_nginx_with_two_workers(customer_page, operator_page, stack, tmp_path):
    page, op, base_url = customer_page, operator_page, stack.base_url
    # The production shape: pages are static files from nginx, the backend runs 2 workers.
    served = httpx.get(base_url + "/login/")
    assert served.status_code == 200 and served.headers.get("server", "").startswith("nginx")
    assert "granian" not in served.headers.get("server", "")
    assert len(stack.backend.worker_pids()) == 2
    print(f"nginx configuration: {stack.nginx.conf_source}")

    # Register: the codes come from the real Maildir (SMTP sink) and SMS outbox.
    person = register_holder(page, base_url, Outbox(stack.data_dir), MARIA_DNI)
    name = f"{person.first} {person.last}"

    # Link the demo supply as its holder, with a photo of the DNI.
    page.goto(base_url + "/suministros/asociar")
    expect(page.get_by_role("heading", name="Asociar Suministro")).to_be_visible()
    verify_number(page, MARIA_SUPPLY)
    pass_quiz(page, stack, MARIA_SUPPLY)
    upload(page, "Elegir foto del DNI", dni_photo(tmp_path))
    expect(page.get_by_text("Foto cargada:")).to_be_visible()
    page.get_by_role("button", name="Asociar", exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name="SI").click()
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    expect(page.get_by_role("status")).to_contain_text("pendiente de validación")
    assert stack.query(
        "SELECT l.status FROM supply_links l JOIN users u ON u.id = l.user_id WHERE u.doc_number = $1", MARIA_DNI
    ) == [("pendiente",)]

    # An operator validates it in the back office.
    operator_login(op, base_url)
    search_queue(op, person.dni)
    open_queue_item(op, name)
    decide_item(op, "LEGIBLE")
    assert stack.query(
        "SELECT l.status FROM supply_links l JOIN users u ON u.id = l.user_id WHERE u.doc_number = $1", MARIA_DNI
    ) == [("validado",)]

    # The customer is told, and sees it validated.
    sms = wait_sms_containing(Outbox(stack.data_dir), person.e164, "Planes de Pago")
    assert MARIA_SUPPLY in sms["text"]
    page.goto(base_url + "/suministros")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=MARIA_SUPPLY, exact=True))
    expect(row).to_contain_text("Validado")


def _websocket_workers(stack) -> set[int]:
    """The backend workers holding a connection from nginx right now (the open tab's websocket)."""
    workers = set(stack.backend.worker_pids())
    return {pid for pid in established_peers(stack.backend.port).values() if pid in workers}


def _record(ws, sockets: list[list[str]]) -> None:
    frames: list[str] = []
    sockets.append(frames)
    ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else payload.decode()))


def _redis_keys(stack, token: str) -> list[str]:
    import redis

    client = redis.Redis.from_url(stack.env["REFLEX_REDIS_URL"])
    try:
        return [key.decode() for key in client.keys(f"{token}_*")]
    finally:
        client.close()


def test_a_worker_killed_while_a_customer_is_logged_in(customer_page, stack):
    page, base_url = customer_page, stack.base_url
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
    sockets: list[list[str]] = []  # the frames received on each websocket the tab opened, in order
    page.on("websocket", lambda ws: _record(ws, sockets))
    login(page, base_url, DEMO_DNI, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    page.get_by_role("link", name="Asociar Suministro").first.click()
    expect(page.get_by_role("heading", name="Asociar Suministro")).to_be_visible()
    verify_number(page, QUIROGA_SUPPLY)
    expect(page.get_by_role("radio")).to_have_count(4)
    token = page.evaluate("() => window.sessionStorage.getItem('token')")
    assert token and _redis_keys(stack, token), "the tab's state is not in Redis"
    logged_in_at = len(visited)

    deadline = time.monotonic() + 10
    while not (serving := _websocket_workers(stack)) and time.monotonic() < deadline:
        time.sleep(0.2)
    # Usually one worker; an earlier tab's socket may still be open on the other. Killing any worker takes the
    # whole backend down (see below), the tab's worker included.
    assert serving, "no worker holds the tab's websocket"
    victim = min(serving)
    starts_before, sockets_before = stack.backend.starts, len(sockets)
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)

    # Two workers serve again, the killed one replaced. Granian's supervisor (what `reflex run --env prod`
    # runs) does not respawn a dead worker: it stops the other one too and exits, and the restart policy (here
    # the harness, in production systemd's Restart= or compose's restart:) starts the backend again.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        alive = stack.backend.worker_pids()
        if len(alive) == 2 and victim not in alive:
            try:
                if httpx.get(stack.backend.url + "/ping", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    else:
        raise AssertionError(f"the backend did not come back after worker {victim} was killed")
    back_after = time.monotonic() - killed_at
    # The tab reconnects by itself (a new websocket) and its page loads again (on_load starts the form over).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any('loaded_rx_state_":true' in frame for ws in sockets[sockets_before:] for frame in ws):
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError(f"the tab did not reconnect: {[ws[-2:] for ws in sockets[sockets_before:]]}")
    assert "Cannot connect" not in page.content()  # Reflex's own English toast (see the next test)
    new_token = page.evaluate("() => window.sessionStorage.getItem('token')")
    print(
        f"worker {victim} killed; backend back after {back_after:.1f} s, tab reconnected after "
        f"{time.monotonic() - killed_at:.1f} s; whole backend restarted: {stack.backend.starts > starts_before}; "
        f"tab token kept: {new_token == token}"
    )

    # The next action in the same tab works without logging in again: verifying the number and answering the
    # quiz both need a logged-in customer (the cookie's session, in PostgreSQL) and the tab's state (in Redis).
    verify_number(page, QUIROGA_SUPPLY)
    pass_quiz(page, stack, QUIROGA_SUPPLY)
    expect(page.get_by_text("No sos el titular de este suministro")).to_be_visible()
    page.get_by_role("link", name="Mis Suministros").first.click()
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    expect(page.get_by_role("button", name="Menú del usuario")).to_contain_text("Juan")
    assert _redis_keys(stack, new_token)
    after = visited[logged_in_at:]
    assert not [url for url in after if "/login" in url], f"the tab was sent to log in again: {after}"


def test_a_tab_says_in_spanish_that_the_portal_is_out_of_reach_and_comes_back_by_itself(customer_page, stack):
    """The backend down for a while (a deploy, a crash before the restart): the open tab says so in Spanish
    (components/connection.py; Reflex's own toast said "Cannot connect to server: websocket error. Check if
    server is reachable at ws://…"), and once the backend is back it reconnects without a reload."""
    page = customer_page
    page.goto(stack.base_url + "/login")
    expect(page.get_by_role("heading", name="Ingresar")).to_be_visible()
    notice = page.get_by_text(LOST)
    expect(notice).to_have_count(0)
    stack.backend.stop()
    try:
        expect(notice).to_be_visible(timeout=30_000)
        assert "Cannot connect" not in page.content() and "websocket" not in page.inner_text("body").lower()
    finally:
        stack.backend.start()
    expect(notice).to_have_count(0, timeout=60_000)  # Reflex retries with a growing delay
    # The same tab works again without a reload: its events reach the server (the captcha picture is drawn).
    page.get_by_label("Código de seguridad").focus()
    expect(page.locator("img[src^='data:image']")).to_be_visible()
