"""/suministros/asociar: Asociar Suministro, the manual's steps on one page."""

from __future__ import annotations

import reflex as rx

from autogestion.components.fields import error_line, field, status_icon
from autogestion.components.layout import app_layout
from autogestion.components.theme import CARD, ERROR, MUTED, OK, PRIMARY, PRIMARY_DARK
from autogestion.components.upload import IMAGES, IMAGES_OR_PDF, upload_box
from autogestion.models import DocumentKind
from autogestion.state.associate import UPLOAD_ID
from autogestion.state.associate import AssociateState as S

QUIZ_QUESTION = "Elegí el monto y vencimiento de tu última o penúltima factura"
QUIZ_WARNING = (
    "Elegí con cuidado: si la opción no es la correcta, este suministro queda bloqueado para tu cuenta durante "
    "24 horas."
)


def _step(number: int, title: str, *children, active=True, done=False, waiting: str = "") -> rx.Component:
    """A numbered card; until its turn comes it shows only what it will ask for."""
    badge = rx.center(
        rx.cond(done, rx.icon("check", size=16), rx.text(str(number), font_weight="700")),
        background=rx.cond(done, OK, rx.cond(active, PRIMARY, "#9aa8b8")),
        color="white",
        width="30px",
        height="30px",
        border_radius="50%",
        flex_shrink="0",
    )
    return rx.vstack(
        rx.hstack(badge, rx.heading(title, size="4", color=PRIMARY_DARK, as_="h2"), align="center", spacing="3"),
        rx.cond(
            active,
            rx.vstack(*children, spacing="3", width="100%", align="start"),
            rx.text(waiting, color=MUTED, font_size="0.92em"),
        ),
        style=CARD,
        spacing="3",
        align="start",
    )


def _ok_line(*children) -> rx.Component:
    return rx.hstack(
        rx.icon("circle-check", color=OK, size=18, flex_shrink="0", aria_label="Correcto"),
        *children,
        align="center",
        spacing="2",
        wrap="wrap",
    )


# --- 1 ------------------------------------------------------------------------------------------------


def _number_step() -> rx.Component:
    return _step(
        1,
        "N° de Suministro",
        rx.text("Lo encontrás en tu factura, arriba a la izquierda.", color=MUTED, font_size="0.92em"),
        rx.form(
            rx.flex(
                field(
                    "N° de Suministro",
                    "supply_number",
                    error=S.number_error,
                    ok=S.number_ok,
                    input_mode="numeric",
                    max_length=12,
                    placeholder="Ej.: 2000380655",
                    on_blur=S.check_number,
                ),
                rx.button(
                    rx.icon("search", size=16),
                    "Verificar",
                    type="submit",
                    size="3",
                    variant="soft",
                    margin_top=["0", "27px"],
                    flex_shrink="0",
                ),
                direction=rx.breakpoints(initial="column", xs="row"),
                gap="3",
                align=rx.breakpoints(initial="stretch", xs="start"),
                width="100%",
            ),
            on_submit=S.verify,
            reset_on_submit=False,
            width="100%",
            max_width="34em",
        ),
        done=S.number_ok,
    )


# --- 2 ------------------------------------------------------------------------------------------------


def _option(option) -> rx.Component:
    # "quiz-option" (styles.css) outlines the card whose radio is checked.
    return rx.el.label(
        rx.hstack(
            rx.radio_group.item(value=option.id.to_string(), aria_label=option.label),
            rx.vstack(
                rx.text(option.amount, font_weight="700", font_size="1.1em", color=PRIMARY_DARK),
                rx.text("Vence el ", option.due_on, color=MUTED, font_size="0.9em"),
                spacing="0",
                align="start",
            ),
            align="center",
            spacing="3",
        ),
        display="block",
        padding="0.8em 1em",
        border="1px solid #d5dde7",
        border_radius="10px",
        background="white",
        cursor="pointer",
        class_name="quiz-option",
        _hover={"border_color": PRIMARY, "background": "#f6f9fd"},
    )


def _quiz_step() -> rx.Component:
    return _step(
        2,
        "Tu última factura",
        rx.form(
            rx.vstack(
                rx.text(QUIZ_QUESTION, id="quiz_question", font_weight="600"),
                rx.radio_group.root(
                    rx.grid(
                        rx.foreach(S.options, _option),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="3",
                        width="100%",
                    ),
                    name="quiz",
                    disabled=S.quiz_ok | S.quiz_locked,
                    aria_labelledby="quiz_question",
                    width="100%",
                ),
                rx.hstack(
                    rx.button("Confirmar", type="submit", size="3", disabled=S.quiz_ok | S.quiz_locked),
                    status_icon(S.quiz_error, S.quiz_ok),
                    align="center",
                    spacing="3",
                ),
                rx.cond(S.quiz_ok, _ok_line(rx.text("¡Correcto! Ya validamos que conocés tus facturas.", color=OK))),
                rx.cond(
                    S.quiz_locked,
                    rx.callout(S.quiz_error, icon="lock", color_scheme="red", role="alert", width="100%"),
                    rx.cond(S.quiz_error != "", rx.text(S.quiz_error, color=ERROR, font_size="0.9em", role="alert")),
                ),
                rx.cond(
                    ~S.quiz_ok & ~S.quiz_locked & (S.quiz_error == ""),
                    rx.text(QUIZ_WARNING, color=MUTED, font_size="0.85em"),
                ),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=S.answer,
            reset_on_submit=False,
            width="100%",
        ),
        active=S.number_ok,
        done=S.quiz_ok,
        waiting="Cuando verifiquemos el N° de suministro, te vamos a mostrar cuatro opciones de importe y vencimiento.",
    )


# --- 3 ------------------------------------------------------------------------------------------------


def _view_button(kind: str, label: str) -> rx.Component:
    return rx.button(
        rx.icon("eye", size=16),
        "Ver",
        size="2",
        variant="outline",
        type="button",
        on_click=S.view(kind),
        aria_label=label,
    )


def _dni_block() -> rx.Component:
    upload = upload_box(
        upload_id=UPLOAD_ID[DocumentKind.DNI],
        button="Elegir foto del DNI",
        hint="JPEG o PNG, hasta 10 MB. Que se lean bien los datos del frente.",
        accept=IMAGES,
        on_upload=S.upload_dni,
        on_rejected=S.dni_rejected,
    )
    return rx.vstack(
        rx.text("Foto del frente del DNI", font_weight="600"),
        rx.cond(
            S.dni_ok,
            _ok_line(
                rx.text("Foto cargada: ", rx.text.strong(S.dni_name), word_break="break-all"),
                _view_button(DocumentKind.DNI, "Ver foto del DNI"),
                rx.button("Cambiar", size="2", variant="ghost", type="button", on_click=S.toggle_replace_dni),
            ),
        ),
        rx.cond(
            S.dni_on_file & ~S.dni_ok,
            rx.hstack(
                rx.icon("id-card", size=22, color=PRIMARY, flex_shrink="0"),
                rx.vstack(
                    rx.text("Ya tenemos una foto de tu DNI", font_weight="600"),
                    rx.text(
                        "Cargada el ",
                        S.dni_file_date,
                        " · Estado: ",
                        rx.text.strong(S.dni_file_status),
                        color=MUTED,
                        font_size="0.85em",
                    ),
                    spacing="0",
                    align="start",
                ),
                rx.spacer(),
                _view_button(DocumentKind.DNI, "Ver foto del DNI"),
                rx.button(
                    rx.cond(S.dni_replace, "No reemplazar", "Reemplazar"),
                    size="2",
                    variant="ghost",
                    type="button",
                    on_click=S.toggle_replace_dni,
                ),
                align="center",
                wrap="wrap",
                width="100%",
                spacing="3",
                padding="0.8em 1em",
                border="1px solid #d5dde7",
                border_radius="10px",
                background="#f8fafd",
            ),
        ),
        rx.cond((~S.dni_ok & ~S.dni_on_file) | S.dni_replace, upload),
        error_line(S.dni_error),
        spacing="2",
        width="100%",
        align="start",
    )


def _poder_block() -> rx.Component:
    upload = upload_box(
        upload_id=UPLOAD_ID[DocumentKind.PODER],
        button="Elegir archivo del poder",
        hint="PDF, JPEG o PNG, hasta 10 MB.",
        accept=IMAGES_OR_PDF,
        on_upload=S.upload_poder,
        on_rejected=S.poder_rejected,
    )
    return rx.vstack(
        rx.text("Poder", font_weight="600"),
        rx.text(
            "No sos el titular de este suministro: subí el poder que te otorgó el titular. Un operador lo revisa "
            "antes de habilitar los trámites.",
            color=MUTED,
            font_size="0.9em",
        ),
        rx.cond(
            S.poder_ok,
            _ok_line(
                rx.text("Poder cargado: ", rx.text.strong(S.poder_name), word_break="break-all"),
                _view_button(DocumentKind.PODER, "Ver poder"),
            ),
            upload,
        ),
        error_line(S.poder_error),
        spacing="2",
        width="100%",
        align="start",
    )


def _documents_step() -> rx.Component:
    return _step(
        3,
        "Documentación",
        _dni_block(),
        rx.cond(S.needs_poder, rx.box(rx.separator(margin_y="0.5em"), _poder_block(), width="100%")),
        active=S.quiz_ok,
        # Only a tick on the card: "Asociar" asks the server whether everything is in order.
        done=(S.dni_ok | (S.dni_on_file & ~S.dni_replace)) & (~S.needs_poder | S.poder_ok),
        waiting="Después te pedimos una foto del frente de tu DNI y, si no sos el titular, el poder que te otorgó.",
    )


# --- 4–5 ----------------------------------------------------------------------------------------------


def _confirm_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Asociar Suministro"),
            rx.alert_dialog.description("¿Está seguro que desea asociar el suministro N° ", S.number, " a su cuenta?"),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button("NO", variant="soft", color_scheme="gray", size="3", on_click=S.cancel)
                ),
                rx.alert_dialog.action(rx.button("SI", size="3", on_click=S.confirm)),
                gap="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="28em",
        ),
        open=S.confirm_open,
        on_open_change=S.dialog_changed,
    )


def asociar() -> rx.Component:
    return app_layout(
        "Asociar Suministro",
        rx.text(
            "Asociá un suministro a tu cuenta para consultar, imprimir y pagar tus facturas. Tené a mano tu última "
            "factura.",
            color=MUTED,
        ),
        rx.cond(S.loaded, _steps(), rx.center(rx.spinner(size="3"), width="100%", padding="2em")),
        _confirm_dialog(),
    )


def _steps() -> rx.Component:
    return rx.vstack(
        _number_step(),
        _quiz_step(),
        _documents_step(),
        error_line(S.link_error),
        rx.flex(
            rx.text(
                "Vas a poder consultar, imprimir y pagar tus facturas en el momento. Los Planes de Pago y otros "
                "trámites se habilitan cuando un operador valida la asociación, dentro de las 24 horas hábiles.",
                color=MUTED,
                font_size="0.88em",
                flex="1",
            ),
            rx.button(rx.icon("link", size=18), "Asociar", size="3", on_click=S.ask_confirm, min_width="12em"),
            direction=rx.breakpoints(initial="column", sm="row"),
            align=rx.breakpoints(initial="stretch", sm="center"),
            gap="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )
