"""/perfil (Mi Perfil): own data, contact changes verified by code, password change."""

from __future__ import annotations

import reflex as rx

from autogestion.components.fields import field, form_error, form_info
from autogestion.components.layout import app_layout
from autogestion.components.theme import CARD, MUTED, PRIMARY_DARK
from autogestion.components.upload import IMAGES, upload_box
from autogestion.models import DniStatus
from autogestion.state.profile import ProfileState

DNI_LABELS = {
    DniStatus.NONE: "Todavía no cargaste la foto de tu DNI (se pide al asociar un suministro).",
    DniStatus.IN_REVIEW: "En análisis por un operador.",
    DniStatus.LEGIBLE: "Validada: LEGIBLE.",
    DniStatus.NOT_LEGIBLE: "NO LEGIBLE: cargá una foto nueva y legible del frente de tu DNI.",
}


def _row(label: str, value) -> rx.Component:
    return rx.hstack(
        rx.text(label, color=MUTED, min_width="8em"),
        rx.text(value, font_weight="600", word_break="break-all"),
        wrap="wrap",
        width="100%",
    )


def _card(title: str, *children) -> rx.Component:
    return rx.vstack(rx.heading(title, size="4", color=PRIMARY_DARK), *children, spacing="3", style=CARD, align="start")


def _dni_card() -> rx.Component:
    return _card(
        "Foto del frente del DNI",
        rx.cond(
            ProfileState.profile.dni_status == DniStatus.NOT_LEGIBLE,
            rx.callout(
                "Un operador analizó tu DNI como NO LEGIBLE. Cargá una foto nueva y LEGIBLE del FRENTE de tu DNI "
                "para seguir usando el portal.",
                icon="triangle-alert",
                color_scheme="red",
                width="100%",
            ),
        ),
        rx.hstack(
            rx.vstack(
                rx.text(rx.match(ProfileState.profile.dni_status, *DNI_LABELS.items(), ""), color=MUTED),
                rx.cond(
                    (ProfileState.profile.dni_status == DniStatus.IN_REVIEW)
                    & (ProfileState.profile.dni_review_deadline != ""),
                    rx.hstack(
                        rx.icon("clock", size=15, color=MUTED, flex_shrink="0"),
                        rx.text(
                            "Lo revisamos antes del ",
                            rx.text.strong(ProfileState.profile.dni_review_deadline),
                            color=MUTED,
                            font_size="0.9em",
                        ),
                        align="center",
                        spacing="1",
                    ),
                ),
                spacing="1",
                align="start",
            ),
            rx.cond(
                ProfileState.profile.dni_on_file,
                rx.button(
                    rx.icon("eye", size=16),
                    "Ver",
                    variant="soft",
                    size="2",
                    on_click=ProfileState.view_dni,
                    aria_label="Ver foto del DNI",
                ),
            ),
            align="center",
            wrap="wrap",
            width="100%",
        ),
        upload_box(
            upload_id="perfil_dni_upload",
            button="Cargar foto nueva del DNI",
            hint="JPEG o PNG, hasta 10 MB, que se lean bien los datos del frente.",
            accept=IMAGES,
            on_upload=ProfileState.upload_dni,
            on_rejected=ProfileState.dni_rejected,
        ),
        rx.cond(
            ProfileState.dni_error != "",
            rx.text(ProfileState.dni_error, color="#c62828", font_size="0.85em", role="alert"),
        ),
        rx.cond(
            ProfileState.dni_ok,
            rx.hstack(
                rx.icon("circle-check", color="#1a7f37", size=18),
                rx.text("Foto recibida", color="#1a7f37"),
                align="center",
            ),
        ),
    )


def _confirm_form(kind: str, pending: rx.Var, label: str, button: str, error: rx.Var) -> rx.Component:
    """The code form of a pending e-mail or mobile change, shown while a code is live."""
    return rx.cond(
        pending != "",
        rx.form(
            rx.vstack(
                rx.text("Esperando confirmar ", rx.text.strong(pending), color=MUTED),
                field(
                    label,
                    "code",
                    id_=f"{kind}_code",
                    error=error,
                    ok=False,
                    input_mode="numeric",
                    max_length=7,
                    autocomplete="one-time-code",
                ),
                rx.button(button, type="submit"),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=lambda form: ProfileState.confirm(kind, form),
            reset_on_submit=True,
            width="100%",
        ),
    )


def _email_card() -> rx.Component:
    e = ProfileState.email_errors
    return _card(
        "Cambiar e-mail",
        rx.form(
            rx.vstack(
                field(
                    "E-mail nuevo",
                    "email",
                    id_="new_email",
                    error=e["email"],
                    ok=False,
                    type_="email",
                    autocomplete="email",
                ),
                field(
                    "Contraseña actual",
                    "current_password",
                    id_="email_current_password",
                    error=e["current_password"],
                    ok=False,
                    type_="password",
                    autocomplete="current-password",
                ),
                rx.button("Enviar código al e-mail nuevo", type="submit"),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=ProfileState.request_email,
            reset_on_submit=True,
            width="100%",
        ),
        _confirm_form(
            "email", ProfileState.profile.pending_email, "Código recibido por e-mail", "Confirmar e-mail", e["code"]
        ),
    )


def _phone_card() -> rx.Component:
    e = ProfileState.phone_errors
    return _card(
        "Cambiar celular",
        rx.form(
            rx.vstack(
                rx.hstack(
                    field(
                        "Código de área",
                        "area",
                        error=e["area"],
                        ok=False,
                        input_mode="numeric",
                        max_length=4,
                        hint="Sin el 0",
                        width="40%",
                    ),
                    field(
                        "N° Celular",
                        "number",
                        error=e["number"],
                        ok=False,
                        input_mode="numeric",
                        max_length=10,
                        hint="Sin el 15",
                        width="60%",
                    ),
                    width="100%",
                    align="start",
                ),
                field(
                    "Contraseña actual",
                    "current_password",
                    id_="phone_current_password",
                    error=e["current_password"],
                    ok=False,
                    type_="password",
                    autocomplete="current-password",
                ),
                rx.button("Enviar código al celular nuevo", type="submit"),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=ProfileState.request_phone,
            reset_on_submit=True,
            width="100%",
        ),
        _confirm_form(
            "phone", ProfileState.profile.pending_phone, "Código recibido por SMS", "Confirmar celular", e["code"]
        ),
    )


def _password_card() -> rx.Component:
    e = ProfileState.password_errors
    return _card(
        "Cambiar contraseña",
        rx.form(
            rx.vstack(
                field(
                    "Contraseña actual",
                    "current_password",
                    id_="pw_current_password",
                    error=e["current_password"],
                    ok=False,
                    type_="password",
                    autocomplete="current-password",
                ),
                field(
                    "Contraseña nueva",
                    "new_password",
                    error=e["new_password"],
                    ok=False,
                    type_="password",
                    autocomplete="new-password",
                    hint="Mínimo 8 caracteres, con al menos una minúscula, una mayúscula y un número.",
                ),
                field(
                    "Repetir contraseña nueva",
                    "new_password2",
                    error=e["new_password2"],
                    ok=False,
                    type_="password",
                    autocomplete="new-password",
                ),
                rx.button("Cambiar contraseña", type="submit"),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=ProfileState.change_password,
            reset_on_submit=True,
            width="100%",
        ),
    )


def perfil() -> rx.Component:
    return app_layout(
        "Mi Perfil",
        form_error(ProfileState.error),
        form_info(ProfileState.message),
        _card(
            "Mis datos",
            _row("Nombre", ProfileState.profile.full_name),
            _row("Documento", ProfileState.profile.document),
            _row("E-mail", ProfileState.profile.email),
            _row("Celular", ProfileState.profile.phone),
        ),
        rx.grid(
            _dni_card(),
            _email_card(),
            _phone_card(),
            _password_card(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
    )
