"""The account journey in a real browser: registration, logout/login, wrong password, resume, recovery, Mi Perfil."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.helpers import (
    code_in,
    fill_captcha,
    login,
    logout,
    new_person,
    register_step1,
    register_step2,
    register_step3,
)


def register(page, base_url, outbox):
    person = new_person()
    register_step1(page, base_url, person)
    register_step2(page, person)
    codes = register_step3(page, outbox, person)
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    return person, codes


def test_registration_lands_on_mis_suministros(page, base_url, outbox):
    person, (email_code, sms_code) = register(page, base_url, outbox)
    expect(page.get_by_role("heading", name="Mis Suministros")).to_be_visible()
    expect(page.get_by_text("asociar", exact=False).first).to_be_visible()
    expect(page.get_by_role("button", name="Menú del usuario")).to_contain_text("Ana María Gómez")
    for item in ("Mis Suministros", "Asociar Suministro", "Trámites Comerciales", "Notificaciones"):
        expect(page.get_by_role("navigation").get_by_role("link", name=item)).to_be_visible()
    welcome = outbox.wait_mail(person.email, "Alta de usuario")
    assert "Ana María Gómez" in welcome["body"]
    received = "\n".join(page.ws_frames)
    for secret in (email_code, sms_code, person.password):
        assert secret not in received, "a secret travelled to the browser"


def test_logout_then_login(page, base_url, outbox):
    person, _ = register(page, base_url, outbox)
    logout(page)
    page.wait_for_function("() => !document.cookie.split('; ').includes('ag_in=1')", timeout=10_000)
    assert not [c for c in page.context.cookies() if c["name"] in ("ag_sid", "ag_in")]
    page.goto(base_url + "/suministros")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    login(page, base_url, person.dni, person.password)
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    [cookie] = [c for c in page.context.cookies() if c["name"] == "ag_sid"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    received = "\n".join(page.ws_frames)
    assert person.password not in received and cookie["value"] not in received
    assert page.evaluate("document.cookie").find("ag_sid") == -1  # scripts cannot read the session


def test_the_login_page_sends_a_live_session_on_and_forgets_a_dead_ones_hint(page, base_url, outbox):
    """The login page has no on_load; the ag_in hint (readable, not a credential) makes it ask the server."""
    register(page, base_url, outbox)
    [hint] = [c for c in page.context.cookies() if c["name"] == "ag_in"]
    assert hint["value"] == "1" and not hint["httpOnly"] and hint["sameSite"] == "Strict"
    page.goto(base_url + "/login")
    expect(page).to_have_url(re.compile(r"/suministros/?$"))
    page.context.clear_cookies(name="ag_sid")  # the session is gone; the hint is left behind
    page.goto(base_url + "/login")
    expect(page.get_by_role("heading", name="Ingresar")).to_be_visible()
    page.wait_for_function("() => !document.cookie.split('; ').includes('ag_in=1')", timeout=10_000)
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_wrong_password_is_generic(page, base_url):
    login(page, base_url, "20123456", "Clave.Mala99")
    expect(page.get_by_role("alert").filter(has_text="Documento o contraseña incorrectos.")).to_be_visible()
    login(page, base_url, "39999991", "Clave.Mala99")
    expect(page.get_by_role("alert").filter(has_text="Documento o contraseña incorrectos.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_bad_input_shows_spanish_message(page, base_url):
    page.goto(base_url + "/registro")
    page.get_by_label("Número de documento").fill("30A23456")
    page.get_by_label("Contraseña", exact=True).fill("corta")
    page.get_by_label("Repetir contraseña").fill("corta")
    fill_captcha(page)
    page.get_by_role("button", name="Registrar Cuenta").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/registro/?$"))


def test_resume_half_done_registration(page, base_url, outbox, browser):
    person = new_person()
    register_step1(page, base_url, person)
    other = browser.new_context().new_page()
    login(other, base_url, person.dni, person.password)
    expect(other.get_by_role("heading", name="Completá tus datos!")).to_be_visible()
    register_step2(other, person)
    logout_free = browser.new_context().new_page()
    login(logout_free, base_url, person.dni, person.password)
    expect(logout_free.get_by_label("Código recibido por e-mail")).to_be_visible()
    register_step3(logout_free, outbox, person)
    expect(logout_free).to_have_url(re.compile(r"/suministros/?$"))


def test_password_recovery(page, base_url, outbox):
    person, _ = register(page, base_url, outbox)
    logout(page)
    page.goto(base_url + "/recuperar")
    page.get_by_label("Número de documento").fill(person.dni)
    fill_captcha(page)
    page.get_by_role("button", name="Enviar código").click()
    expect(page.get_by_text("Si los datos corresponden a una cuenta")).to_be_visible()
    code = code_in(outbox.wait_mail(person.email, "código", after=1)["body"])
    new_password = "Otra.Clave" + person.password[-2:]
    page.get_by_label("Código recibido").fill(code)
    page.get_by_label("Contraseña nueva").fill(new_password)
    page.get_by_label("Repetir contraseña").fill(new_password)
    page.get_by_role("button", name="Cambiar contraseña").click()
    expect(page.get_by_text("cambiaste tu contraseña")).to_be_visible()
    outbox.wait_mail(person.email, "Cambiaste tu contraseña")
    login(page, base_url, person.dni, new_password)
    expect(page).to_have_url(re.compile(r"/suministros/?$"))


def test_unknown_document_recovery_looks_the_same(page, base_url):
    page.goto(base_url + "/recuperar")
    page.get_by_label("Número de documento").fill("39999992")
    fill_captcha(page)
    page.get_by_role("button", name="Enviar código").click()
    expect(page.get_by_text("Si los datos corresponden a una cuenta")).to_be_visible()
    expect(page.get_by_label("Código recibido")).to_be_visible()


def test_email_change_in_mi_perfil(page, base_url, outbox):
    person, _ = register(page, base_url, outbox)
    page.get_by_role("button", name="Menú del usuario").click()
    page.get_by_role("menuitem", name="Mi Perfil").click()
    expect(page.get_by_role("heading", name="Mi Perfil")).to_be_visible()
    new_email = "nuevo." + person.email
    page.get_by_label("E-mail nuevo").fill(new_email)
    page.locator("#email_current_password").fill(person.password)
    page.get_by_role("button", name="Enviar código al e-mail nuevo").click()
    expect(page.get_by_text("Tu e-mail actual sigue valiendo")).to_be_visible()
    outbox.wait_mail(person.email, "Pedido de cambio de e-mail")
    code = code_in(outbox.wait_mail(new_email, "código")["body"])
    page.get_by_label("Código recibido por e-mail").fill(code)
    page.get_by_role("button", name="Confirmar e-mail").click()
    expect(page.get_by_text("Listo: actualizamos tu e-mail.")).to_be_visible()
    expect(page.get_by_text(new_email, exact=True)).to_be_visible()
    assert code not in "\n".join(page.ws_frames)


def test_unreadable_dni_sends_to_mi_perfil_for_a_new_photo(page, base_url, outbox, app_server, tmp_path):
    import io
    import sqlite3

    from PIL import Image

    person, _ = register(page, base_url, outbox)
    logout(page)
    with sqlite3.connect(app_server["data_dir"] / "autogestion.db") as db:  # what an operator's NO LEGIBLE leaves
        db.execute("UPDATE users SET dni_status = 'no_legible' WHERE doc_number = ?", (person.dni,))
    login(page, base_url, person.dni, person.password)
    expect(page).to_have_url(re.compile(r"/perfil/?$"))
    expect(page.get_by_text("NO LEGIBLE").first).to_be_visible()
    page.goto(base_url + "/suministros")
    expect(page).to_have_url(re.compile(r"/perfil/?$"))
    photo = tmp_path / "dni.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (120, 140, 200)).save(buf, "JPEG")
    photo.write_bytes(buf.getvalue())
    page.locator("#perfil_dni_upload input[type=file]").set_input_files(str(photo))
    expect(page.get_by_text("Recibimos la foto de tu DNI")).to_be_visible()
    page.goto(base_url + "/suministros")
    expect(page.get_by_role("heading", name="Mis Suministros")).to_be_visible()
    expect(page.get_by_text("La foto de tu DNI está en análisis")).to_be_visible()


def _ws_handshake_status(base_url: str, origin: str) -> str:
    """The status line the server answers to a websocket upgrade sent with this Origin."""
    import base64
    import os
    import socket
    from urllib.parse import urlparse

    url = urlparse(base_url)
    request = (
        f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request.encode())
        sock.settimeout(10)
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = sock.recv(1024)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b"HTTP/1.1 101"):  # accepted: engine.io then opens, or closes a refused origin
                data += sock.recv(4096)
        except TimeoutError:
            pass
    return data.decode("latin-1")


def test_websocket_refuses_foreign_origins(base_url):
    allowed = _ws_handshake_status(base_url, base_url)
    refused = _ws_handshake_status(base_url, "https://evil.example")
    assert allowed.startswith("HTTP/1.1 101") and '"sid"' in allowed, allowed[:200]
    assert refused.startswith("HTTP/1.1 403") and '"sid"' not in refused, refused[:200]
