"""The landing ("Usuarios Registrados") and the login page."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.captcha import captcha_block
from autogestion.components.fields import field, form_error, select_field
from autogestion.components.layout import public_layout
from autogestion.components.theme import MUTED, PRIMARY, PRIMARY_DARK
from autogestion.http import LOGGED_IN_HINT
from autogestion.pages.common import DOC_TYPE_OPTIONS
from autogestion.state.login import LoginState


def landing() -> rx.Component:
    features = [
        ("file-text", "Consultá e imprimí tus facturas"),
        ("credit-card", "Pagá online las 24 horas"),
        ("calendar-check", "Pedí planes de pago"),
        ("bell", "Recibí avisos por e-mail y SMS"),
    ]
    return public_layout(
        rx.heading("Bienvenido al Portal de Autogestión", size="7", color=PRIMARY_DARK),
        rx.text("Oficina online las 24hs!", color=MUTED),
        rx.vstack(
            *[
                rx.hstack(rx.icon(icon, color=PRIMARY, size=20), rx.text(label), align="center")
                for icon, label in features
            ],
            spacing="2",
        ),
        rx.link(rx.button("Usuarios Registrados", size="4", width="100%"), href=routes.LOGIN, width="100%"),
        rx.hstack(
            rx.text("¿Todavía no tenés usuario?", color=MUTED),
            rx.link("Crear una Cuenta", href=routes.REGISTRO),
            wrap="wrap",
        ),
    )


def _ask_server_if_needed() -> rx.Component:
    """The login page has no on_load: a crowd opening it costs no server event. Once the tab is hydrated
    (so a reload's old errors are known), only a browser with the logged-in hint (maybe a live session
    to skip the form for) or with errors on screen sends LoginState.load; the condition is evaluated in
    the browser."""
    hint = rx.Var(
        f'(typeof document !== "undefined" && document.cookie.split("; ").includes("{LOGGED_IN_HINT}=1"))'
    ).to(bool)
    stale = (LoginState.form_error != "") | (LoginState.errors.values().join("") != "")
    return rx.cond(
        rx.State.is_hydrated,
        rx.box(on_mount=rx.cond(hint | stale, LoginState.load, rx.noop()), display="none"),
    )


def login() -> rx.Component:
    e = LoginState.errors
    return public_layout(
        _ask_server_if_needed(),
        rx.heading("Ingresar", size="7", color=PRIMARY_DARK),
        rx.text("Ingresá con tu documento, tu contraseña y el código de seguridad.", color=MUTED),
        form_error(LoginState.form_error),
        rx.form(
            rx.vstack(
                select_field("Tipo de documento", "doc_type", DOC_TYPE_OPTIONS, error=e["doc_type"]),
                field(
                    "Número de documento",
                    "doc_number",
                    error=e["doc_number"],
                    ok=False,
                    input_mode="numeric",
                    autocomplete="username",
                    max_length=20,
                ),
                field(
                    "Contraseña",
                    "password",
                    error=e["password"],
                    ok=False,
                    type_="password",
                    autocomplete="current-password",
                ),
                captcha_block(e["captcha"]),
                rx.button("Ingresar", type="submit", size="3", width="100%"),
                spacing="4",
                width="100%",
            ),
            on_submit=LoginState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        rx.vstack(
            rx.link("¿Se te olvidó tu contraseña?", href=routes.RECUPERAR),
            rx.hstack(
                rx.text("¿No tenés cuenta?", color=MUTED),
                rx.link("Crear una Cuenta", href=routes.REGISTRO),
                wrap="wrap",
            ),
            spacing="2",
        ),
    )
