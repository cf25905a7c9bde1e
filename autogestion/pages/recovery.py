"""/recuperar: password recovery, enumeration-safe."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.captcha import captcha_block
from autogestion.components.fields import field, form_error, form_info, select_field
from autogestion.components.layout import public_layout
from autogestion.components.theme import ERROR, MUTED, PRIMARY_DARK
from autogestion.pages.common import DOC_TYPE_OPTIONS
from autogestion.state.recovery import RecoveryState


def _ask() -> rx.Component:
    e = RecoveryState.ask_errors
    return rx.form(
        rx.vstack(
            select_field("Tipo de documento", "doc_type", DOC_TYPE_OPTIONS, error=e["doc_type"]),
            field(
                "Número de documento",
                "doc_number",
                error=e["doc_number"],
                ok=False,
                input_mode="numeric",
                max_length=20,
            ),
            rx.el.fieldset(
                rx.el.legend("¿Dónde querés recibir el código?", font_weight="600", font_size="0.95em"),
                rx.radio_group.root(
                    rx.hstack(
                        rx.el.label(
                            rx.radio_group.item(value="email"),
                            " E-mail",
                            display="flex",
                            gap="6px",
                            align_items="center",
                        ),
                        rx.el.label(
                            rx.radio_group.item(value="sms"), " SMS", display="flex", gap="6px", align_items="center"
                        ),
                        spacing="5",
                    ),
                    name="channel",
                    default_value="email",
                ),
                rx.cond(e["channel"] != "", rx.text(e["channel"], color=ERROR, font_size="0.85em")),
                border="none",
                padding="0",
                margin="0",
            ),
            captcha_block(e["captcha"]),
            rx.button("Enviar código", type="submit", size="3", width="100%"),
            spacing="4",
            width="100%",
        ),
        on_submit=RecoveryState.ask,
        reset_on_submit=False,
        width="100%",
    )


def _reset() -> rx.Component:
    e = RecoveryState.reset_errors
    return rx.form(
        rx.vstack(
            field(
                "Código recibido",
                "code",
                error=e["code"],
                ok=False,
                input_mode="numeric",
                max_length=7,
                autocomplete="one-time-code",
            ),
            field(
                "Contraseña nueva",
                "password",
                error=e["password"],
                ok=False,
                type_="password",
                autocomplete="new-password",
                hint="Mínimo 8 caracteres, con al menos una minúscula, una mayúscula y un número.",
            ),
            field(
                "Repetir contraseña",
                "password2",
                error=e["password2"],
                ok=False,
                type_="password",
                autocomplete="new-password",
            ),
            rx.button("Cambiar contraseña", type="submit", size="3", width="100%"),
            spacing="4",
            width="100%",
        ),
        on_submit=RecoveryState.reset_password,
        reset_on_submit=False,
        width="100%",
    )


def recuperar() -> rx.Component:
    return public_layout(
        rx.heading("Recuperar contraseña", size="7", color=PRIMARY_DARK),
        form_error(RecoveryState.form_error),
        form_info(RecoveryState.info),
        rx.match(
            RecoveryState.step,
            ("reset", _reset()),
            ("done", rx.link(rx.button("Ir a Ingresar", size="3", width="100%"), href=routes.LOGIN, width="100%")),
            rx.vstack(
                rx.text("Ingresá tu documento y te enviamos un código para elegir una contraseña nueva.", color=MUTED),
                _ask(),
                width="100%",
                spacing="4",
            ),
        ),
        rx.link("Volver a Ingresar", href=routes.LOGIN),
    )
