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


def _dni_card() -> rx.Component:
    return _card(
        "Foto del frente del DNI",
        rx.cond(
            ProfileState.dni_status == "no_legible",
            rx.callout("Un operador analizó tu DNI como NO LEGIBLE. Cargá una foto nueva y LEGIBLE del FRENTE de tu DNI "
                       "para seguir usando el portal.", icon="triangle-alert", color_scheme="red", width="100%"),
        ),
        rx.hstack(
            rx.text(rx.match(ProfileState.dni_status, *DNI_LABELS.items(), ""), color=MUTED),
            rx.cond(ProfileState.dni_on_file,
                    rx.button(rx.icon("eye", size=16), "Ver", variant="soft", size="2", on_click=ProfileState.view_dni,
                              aria_label="Ver foto del DNI")),
            align="center", wrap="wrap", width="100%",
        ),
        rx.upload(
            rx.vstack(
                rx.icon("cloud-upload", size=26, color=PRIMARY_DARK),
                rx.button(rx.icon("paperclip", size=16), "Cargar foto nueva del DNI", type="button", variant="soft"),
                rx.text("JPEG o PNG, hasta 10 MB, que se lean bien los datos del frente.", color=MUTED, font_size="0.8em",
                        text_align="center"),
                align="center", spacing="2",
            ),
            id="perfil_dni_upload",
            accept={"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"]},
            multiple=False, max_files=1, max_size=10 * 1024 * 1024,
            on_drop=ProfileState.upload_dni(rx.upload_files(upload_id="perfil_dni_upload")),
            on_drop_rejected=ProfileState.dni_rejected,
            border="2px dashed #b8c6d6", border_radius="12px", padding="1em", width="100%", background="#f8fafd",
            cursor="pointer",
        ),
        rx.cond(ProfileState.dni_error != "", rx.text(ProfileState.dni_error, color="#c62828", font_size="0.85em", role="alert")),
        rx.cond(ProfileState.dni_ok, rx.hstack(rx.icon("circle-check", color="#1a7f37", size=18),
                                              rx.text("Foto recibida", color="#1a7f37"), align="center")),
    )


def _confirm_form(kind: str, pending: rx.Var, label: str, button: str, error: rx.Var) -> rx.Component:
    """The code form of a pending e-mail or mobile change, shown while a code is live."""
    return rx.cond(
        pending != "",
        rx.form(
            rx.vstack(
                rx.text("Esperando confirmar ", rx.text.strong(pending), color=MUTED),
                field(label, "code", id_=f"{kind}_code", error=error, ok=False, input_mode="numeric", max_length=7,
                      autocomplete="one-time-code"),
                rx.button(button, type="submit"),
                spacing="3", width="100%", align="start",
            ),
            on_submit=lambda form: ProfileState.confirm(kind, form), reset_on_submit=True, width="100%",
        ),
    )


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
        _confirm_form("email", ProfileState.pending_email, "Código recibido por e-mail", "Confirmar e-mail", e["code"]),
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
        _confirm_form("phone", ProfileState.pending_phone, "Código recibido por SMS", "Confirmar celular", e["code"]),
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
        ),
        rx.grid(_dni_card(), _email_card(), _phone_card(), _password_card(), columns=rx.breakpoints(initial="1", md="2"), spacing="4",
                width="100%"),
    )
