"""The registration pages: /registro, /registro/datos and /registro/codigo."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.captcha import captcha_block
from autogestion.components.fields import field, form_error, form_info, select_field
from autogestion.components.layout import public_layout
from autogestion.components.theme import ERROR, MUTED, OK, PRIMARY_DARK
from autogestion.pages.common import DOC_TYPE_OPTIONS
from autogestion.state.registration import CodigoState, DatosState, RegistroState

CONSENT = (
    "Al registrar el teléfono celular y el email, UD. reconoce como válidas las comunicaciones que la distribuidora "
    "envíe por dichos canales y por lo tanto acepta que podrá ser notificado por ellos. Por lo cual se requiere el "
    "ingreso de un número de celular y cuenta de correo electrónico activos para recibir allí dichas comunicaciones. "
    "No se admite teléfono fijo."
)


def steps(current: int) -> rx.Component:
    names = ["Cuenta", "Tus datos", "Códigos"]
    return rx.hstack(
        *[
            rx.hstack(
                rx.center(
                    str(i + 1),
                    width="26px",
                    height="26px",
                    border_radius="50%",
                    font_size="0.8em",
                    font_weight="700",
                    background=PRIMARY_DARK if i <= current else "#dde3ea",
                    color="white" if i <= current else MUTED,
                ),
                rx.text(
                    name,
                    font_size="0.85em",
                    color=PRIMARY_DARK if i == current else MUTED,
                    font_weight="600" if i == current else "400",
                ),
                align="center",
                spacing="1",
            )
            for i, name in enumerate(names)
        ],
        spacing="4",
        wrap="wrap",
        aria_label=f"Paso {current + 1} de 3",
    )


def _rule(item) -> rx.Component:
    return rx.hstack(
        rx.cond(item[1], rx.icon("check", color=OK, size=14), rx.icon("x", color=ERROR, size=14)),
        rx.text(item[0], font_size="0.8em", color=MUTED),
        spacing="1",
        align="center",
    )


def registro() -> rx.Component:
    e = RegistroState.errors
    return public_layout(
        steps(0),
        rx.heading("Crear una Cuenta", size="7", color=PRIMARY_DARK),
        rx.text("Ingresá tu documento y elegí una contraseña.", color=MUTED),
        form_error(RegistroState.form_error),
        rx.form(
            rx.vstack(
                select_field(
                    "Tipo de documento",
                    "doc_type",
                    DOC_TYPE_OPTIONS,
                    error=e["doc_type"],
                    on_change=RegistroState.set_doc_type,
                ),
                field(
                    "Número de documento",
                    "doc_number",
                    error=e["doc_number"],
                    ok=RegistroState.oks["doc_number"],
                    input_mode="numeric",
                    autocomplete="username",
                    max_length=20,
                    hint="Sin puntos ni espacios, por ejemplo 30123456.",
                    on_blur=RegistroState.check_document,
                ),
                field(
                    "Contraseña",
                    "password",
                    error=e["password"],
                    ok=RegistroState.oks["password"],
                    type_="password",
                    autocomplete="new-password",
                    on_blur=RegistroState.check_password,
                ),
                rx.vstack(rx.foreach(RegistroState.rules, _rule), spacing="0"),
                field(
                    "Repetir contraseña",
                    "password2",
                    error=e["password2"],
                    ok=False,
                    type_="password",
                    autocomplete="new-password",
                ),
                captcha_block(e["captcha"]),
                rx.button("Registrar Cuenta", type="submit", size="3", width="100%"),
                spacing="4",
                width="100%",
            ),
            on_submit=RegistroState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        rx.hstack(rx.text("¿Ya tenés cuenta?", color=MUTED), rx.link("Ingresar", href=routes.LOGIN), wrap="wrap"),
    )


def datos() -> rx.Component:
    e = DatosState.errors
    return public_layout(
        steps(1),
        rx.heading("Completá tus datos!", size="7", color=PRIMARY_DARK),
        rx.text("Oficina online las 24hs!", color=MUTED),
        form_error(DatosState.form_error),
        rx.form(
            rx.vstack(
                field(
                    "Nombres",
                    "first_names",
                    error=e["first_names"],
                    ok=DatosState.oks["first_names"],
                    on_blur=lambda v: DatosState.check("first_names", v),
                    autocomplete="given-name",
                    max_length=60,
                    default_value=DatosState.first_names,
                ),
                field(
                    "Apellidos",
                    "last_names",
                    error=e["last_names"],
                    ok=DatosState.oks["last_names"],
                    on_blur=lambda v: DatosState.check("last_names", v),
                    autocomplete="family-name",
                    max_length=60,
                    default_value=DatosState.last_names,
                ),
                field(
                    "E-mail",
                    "email",
                    error=e["email"],
                    ok=DatosState.oks["email"],
                    on_blur=lambda v: DatosState.check("email", v),
                    type_="email",
                    autocomplete="email",
                    max_length=254,
                    default_value=DatosState.email,
                ),
                rx.hstack(
                    field(
                        "Código de área",
                        "area",
                        error=e["area"],
                        ok=DatosState.oks["area"],
                        on_blur=lambda v: DatosState.check("area", v),
                        input_mode="numeric",
                        max_length=4,
                        placeholder="264",
                        hint="Sin el 0",
                        width="40%",
                    ),
                    field(
                        "N° Celular",
                        "number",
                        error=e["number"],
                        ok=DatosState.oks["number"],
                        on_blur=lambda v: DatosState.check("number", v),
                        input_mode="numeric",
                        max_length=10,
                        placeholder="4123456",
                        hint="Sin el 15",
                        width="60%",
                    ),
                    width="100%",
                    align="start",
                ),
                rx.text(CONSENT, font_size="0.8em", color=MUTED),
                rx.callout(
                    "Favor de Completar todo el Proceso de Registración!",
                    title="Atención",
                    icon="info",
                    color_scheme="amber",
                    width="100%",
                ),
                rx.button("Continuar", type="submit", size="3", width="100%"),
                spacing="4",
                width="100%",
            ),
            on_submit=DatosState.submit,
            reset_on_submit=False,
            width="100%",
        ),
    )


def codigo() -> rx.Component:
    e = CodigoState.errors
    return public_layout(
        steps(2),
        rx.heading("Verificá tu e-mail y tu celular", size="7", color=PRIMARY_DARK),
        rx.text(
            "Te enviamos un código a ",
            rx.text.strong(CodigoState.email_masked),
            " y otro por SMS al ",
            rx.text.strong(CodigoState.phone_masked),
            ". Vencen en 10 minutos.",
            color=MUTED,
        ),
        form_error(CodigoState.form_error),
        form_info(CodigoState.info),
        rx.form(
            rx.vstack(
                field(
                    "Código recibido por e-mail",
                    "code_email",
                    error=e["code_email"],
                    ok=False,
                    input_mode="numeric",
                    max_length=7,
                    autocomplete="one-time-code",
                ),
                field(
                    "Código recibido por SMS",
                    "code_sms",
                    error=e["code_sms"],
                    ok=False,
                    input_mode="numeric",
                    max_length=7,
                    autocomplete="one-time-code",
                ),
                rx.button("Continuar", type="submit", size="3", width="100%"),
                spacing="4",
                width="100%",
            ),
            on_submit=CodigoState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        rx.hstack(
            rx.text("¿No te llegó?", color=MUTED),
            rx.button("Reenviar código", variant="ghost", on_click=CodigoState.resend),
            rx.link("Corregir mis datos", href=routes.REGISTRO_DATOS, font_size="0.9em"),
            align="center",
            wrap="wrap",
        ),
        rx.text("Revisá también la carpeta de spam.", font_size="0.8em", color=MUTED),
    )
