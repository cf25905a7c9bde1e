"""Ingreso de operadores: the form `/operador` shows when no operator is logged in."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.captcha import captcha_block
from autogestion.components.fields import field, form_error
from autogestion.components.layout import public_layout
from autogestion.components.theme import MUTED, PRIMARY_DARK
from autogestion.state.operator_login import OperatorLoginState


def operator_login_form() -> rx.Component:
    """Usuario, Contraseña, Código de seguridad and **Ingresar** (on_load: `OperatorLoginState.load`)."""
    e = OperatorLoginState.errors
    return public_layout(
        rx.heading("Ingreso de operadores", size="7", color=PRIMARY_DARK),
        rx.text("Ingresá con tu usuario de operador, tu contraseña y el código de seguridad.", color=MUTED),
        form_error(OperatorLoginState.form_error),
        rx.form(
            rx.vstack(
                field(
                    "Usuario",
                    "username",
                    error=e["username"],
                    ok=False,
                    autocomplete="username",
                    max_length=32,
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
            on_submit=OperatorLoginState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        rx.hstack(
            rx.text("¿Sos cliente?", color=MUTED),
            rx.link("Ingresá al Portal de Autogestión", href=routes.LOGIN),
            wrap="wrap",
        ),
    )
