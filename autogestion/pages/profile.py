"""/perfil (Mi Perfil): own data, contact changes verified by code, password change."""

from __future__ import annotations

import reflex as rx

from autogestion.components.fields import field, form_error, form_info
from autogestion.components.layout import app_layout
from autogestion.components.theme import CARD, MUTED, PRIMARY_DARK
from autogestion.state.profile import ProfileState

DNI_LABELS = {
    "none": "Todavía no cargaste la foto de tu DNI (se pide al asociar un suministro).",
    "en_analisis": "En análisis por un operador.",
    "legible": "Validada: LEGIBLE.",
    "no_legible": "NO LEGIBLE: cargá una foto nueva y legible del frente de tu DNI.",
}


def _row(label: str, value) -> rx.Component:
    return rx.hstack(rx.text(label, color=MUTED, min_width="8em"), rx.text(value, font_weight="600", word_break="break-all"),
                     wrap="wrap", width="100%")


def _card(title: str, *children) -> rx.Component:
    return rx.vstack(rx.heading(title, size="4", color=PRIMARY_DARK), *children, spacing="3", style=CARD, align="start")


def _email_card() -> rx.Component:
    e = ProfileState.email_errors
    return _card(
        "Cambiar e-mail",
        rx.form(
            rx.vstack(
                field("E-mail nuevo", "email", id_="new_email", error=e["email"], ok=False, type_="email", autocomplete="email"),
                field("Contraseña actual", "current_password", id_="email_current_password", error=e["current_password"], ok=False,
                      type_="password", autocomplete="current-password"),
                rx.button("Enviar código al e-mail nuevo", type="submit"),
                spacing="3", width="100%", align="start",
            ),
            on_submit=ProfileState.request_email, reset_on_submit=True, width="100%",
        ),
        rx.cond(
            ProfileState.pending_email != "",
            rx.form(
                rx.vstack(
                    rx.text("Esperando confirmar ", rx.text.strong(ProfileState.pending_email), color=MUTED),
                    field("Código recibido por e-mail", "code", id_="email_code", error=e["code"], ok=False,
                          input_mode="numeric", max_length=7, autocomplete="one-time-code"),
                    rx.button("Confirmar e-mail", type="submit"),
                    spacing="3", width="100%", align="start",
                ),
                on_submit=lambda form: ProfileState.confirm("email", form), reset_on_submit=True, width="100%",
            ),
        ),
    )


def _phone_card() -> rx.Component:
    e = ProfileState.phone_errors
    return _card(
        "Cambiar celular",
        rx.form(
            rx.vstack(
                rx.hstack(
                    field("Código de área", "area", error=e["area"], ok=False, input_mode="numeric", max_length=4, hint="Sin el 0",
                          width="40%"),
                    field("N° Celular", "number", error=e["number"], ok=False, input_mode="numeric", max_length=10,
                          hint="Sin el 15", width="60%"),
                    width="100%", align="start",
                ),
                field("Contraseña actual", "current_password", id_="phone_current_password", error=e["current_password"],
                      ok=False, type_="password", autocomplete="current-password"),
                rx.button("Enviar código al celular nuevo", type="submit"),
                spacing="3", width="100%", align="start",
            ),
            on_submit=ProfileState.request_phone, reset_on_submit=True, width="100%",
        ),
        rx.cond(
            ProfileState.pending_phone != "",
            rx.form(
                rx.vstack(
                    rx.text("Esperando confirmar ", rx.text.strong(ProfileState.pending_phone), color=MUTED),
                    field("Código recibido por SMS", "code", id_="phone_code", error=e["code"], ok=False,
                          input_mode="numeric", max_length=7, autocomplete="one-time-code"),
                    rx.button("Confirmar celular", type="submit"),
                    spacing="3", width="100%", align="start",
                ),
                on_submit=lambda form: ProfileState.confirm("phone", form), reset_on_submit=True, width="100%",
            ),
        ),
    )


def _password_card() -> rx.Component:
    e = ProfileState.password_errors
    return _card(
        "Cambiar contraseña",
        rx.form(
            rx.vstack(
                field("Contraseña actual", "current_password", id_="pw_current_password", error=e["current_password"], ok=False,
                      type_="password", autocomplete="current-password"),
                field("Contraseña nueva", "new_password", error=e["new_password"], ok=False, type_="password",
                      autocomplete="new-password", hint="Mínimo 8 caracteres, con al menos una minúscula, una mayúscula y un número."),
                field("Repetir contraseña nueva", "new_password2", error=e["new_password2"], ok=False, type_="password",
                      autocomplete="new-password"),
                rx.button("Cambiar contraseña", type="submit"),
                spacing="3", width="100%", align="start",
            ),
            on_submit=ProfileState.change_password, reset_on_submit=True, width="100%",
        ),
    )


def perfil() -> rx.Component:
    return app_layout(
        "Mi Perfil",
        form_error(ProfileState.error),
        form_info(ProfileState.message),
        _card(
            "Mis datos",
            _row("Nombre", ProfileState.full_name),
            _row("Documento", ProfileState.document),
            _row("E-mail", ProfileState.email),
            _row("Celular", ProfileState.phone),
            _row("Foto del DNI", rx.match(ProfileState.dni_status, *DNI_LABELS.items(), "")),
        ),
        rx.grid(_email_card(), _phone_card(), _password_card(), columns=rx.breakpoints(initial="1", md="2"), spacing="4",
                width="100%"),
    )
