"""/operador/item/[id]: the document beside the data to compare it with (the customer's and each supply
holder's), the deadline, who holds the item, and the decision with its confirmation."""

from __future__ import annotations

import reflex as rx

from autogestion.components.fields import form_error
from autogestion.components.operator_layout import operator_layout
from autogestion.components.tables import LINK_STATUS_COLORS, VISUALLY_HIDDEN, visually_hidden
from autogestion.components.theme import CARD, ERROR, MUTED, PRIMARY_DARK
from autogestion.pages.operator_queue import time_flag
from autogestion.state.review_item import ReviewItemState as S

SECTION = {**CARD, "padding": ["1em", "1.25em"]}
LINK_STATUS_LABELS = (
    ("pendiente", "Pendiente de validación"),
    ("validado", "Validado"),
    ("rechazado", "Rechazado"),
    "—",
)
NEGATIVE_COLOR = "red"


def _label(text: str) -> rx.Component:
    return rx.text(text, color=MUTED, font_size="0.78em", letter_spacing="0.04em", text_transform="uppercase")


def _fact(label: str, value) -> rx.Component:
    return rx.vstack(
        _label(label),
        rx.text(rx.cond(value != "", value, "—"), font_weight="600", color=PRIMARY_DARK, word_break="break-word"),
        spacing="0",
        align="start",
        min_width="0",
    )


# --- the document ---------------------------------------------------------------------------------------


def _document() -> rx.Component:
    i = S.item
    return rx.vstack(
        rx.hstack(
            rx.heading(i.kind_label, size="4", color=PRIMARY_DARK, as_="h2"),
            rx.spacer(),
            rx.cond(
                S.document_url != "",
                rx.link(
                    rx.hstack(
                        rx.icon("external-link", size=15),
                        rx.cond(i.document_is_image, "Abrir en otra pestaña", "Abrir PDF"),
                        spacing="1",
                        align="center",
                    ),
                    href=S.document_url,
                    is_external=True,
                    font_size="0.9em",
                ),
            ),
            width="100%",
            align="center",
        ),
        rx.cond(
            S.document_url == "",
            rx.text("Este ítem no tiene un documento adjunto.", color=MUTED),
            rx.cond(
                i.document_is_image,
                rx.box(
                    rx.el.img(
                        src=S.document_url,
                        alt="Documento presentado por " + i.customer_name,
                        id="documento",
                        style={
                            "display": "block",
                            "max_width": "100%",
                            "max_height": "72vh",
                            "margin": "0 auto",
                            "object_fit": "contain",
                        },
                    ),
                    background="#e9eef4",
                    border_radius="10px",
                    padding="0.5em",
                    width="100%",
                ),
                rx.el.iframe(
                    src=S.document_url,
                    title="PDF presentado por " + i.customer_name,
                    style={
                        "width": "100%",
                        "height": "72vh",
                        "border": "1px solid #dde3ea",
                        "border_radius": "10px",
                        "background": "#e9eef4",
                    },
                ),
            ),
        ),
        rx.cond(
            i.document_uploaded_at != "",
            rx.text("Subido el ", i.document_uploaded_at, color=MUTED, font_size="0.85em"),
        ),
        style=SECTION,
        spacing="3",
        align="start",
    )


# --- the data to compare ---------------------------------------------------------------------------------


def _compare_row(label: str, customer, holder) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(label, color=MUTED, font_weight="600", white_space="nowrap"),
        rx.table.cell(rx.cond(customer != "", customer, "—"), word_break="break-word"),
        rx.table.cell(rx.cond(holder != "", holder, "—"), word_break="break-word"),
    )


def _link(link) -> rx.Component:
    i = S.item
    return rx.vstack(
        rx.hstack(
            rx.text("Suministro N° ", link.supply_number, font_weight="700", color=PRIMARY_DARK),
            rx.badge(
                rx.cond(link.is_holder, "Como titular", "Como apoderado"),
                variant="soft",
                color_scheme="gray",
                high_contrast=True,
            ),
            rx.badge(
                rx.match(link.link_status, *LINK_STATUS_LABELS),
                color_scheme=rx.match(link.link_status, *LINK_STATUS_COLORS),
                variant="soft",
                high_contrast=True,
                radius="full",
            ),
            rx.cond(link.disputed, rx.badge("Disputada por el titular", color_scheme="red", variant="solid")),
            wrap="wrap",
            align="center",
            spacing="2",
        ),
        rx.box(
            rx.table.root(
                rx.el.caption(
                    "Datos del cliente y del titular del suministro ", link.supply_number, style=VISUALLY_HIDDEN
                ),
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(visually_hidden("Dato")),
                        rx.table.column_header_cell("Cliente"),
                        rx.table.column_header_cell("Titular del suministro"),
                        background="#f6f8fb",
                    )
                ),
                rx.table.body(
                    _compare_row("Nombre", i.customer_name, link.holder_name),
                    _compare_row("Documento", i.customer_document, link.holder_document),
                    _compare_row("Domicilio", "", link.address),
                ),
                variant="surface",
                size="1",
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
        ),
        spacing="2",
        width="100%",
        align="start",
    )


def _customer() -> rx.Component:
    i = S.item
    return rx.vstack(
        rx.heading("Datos para comparar", size="4", color=PRIMARY_DARK, as_="h2"),
        rx.grid(
            _fact("Cliente", i.customer_name),
            _fact("Documento", i.customer_document),
            _fact("E-mail", i.customer_email),
            _fact("Celular", i.customer_phone),
            columns="2",
            spacing="3",
            width="100%",
        ),
        rx.cond(
            i.links.length() > 0,
            rx.vstack(rx.foreach(i.links, _link), spacing="4", width="100%"),
            rx.text("Foto de Mi Perfil: todavía no está asociada a ningún suministro.", color=MUTED, font_size="0.9em"),
        ),
        style=SECTION,
        spacing="3",
        align="start",
    )


# --- deadline, reservation, decision --------------------------------------------------------------------


def _status() -> rx.Component:
    i = S.item
    return rx.vstack(
        rx.hstack(
            rx.badge(i.kind_label, variant="soft", size="2", high_contrast=True),
            rx.cond(i.disputed, rx.badge("Disputado", color_scheme="red", variant="solid", size="2")),
            rx.cond(
                i.status == "resuelto",
                rx.badge("Resuelto", color_scheme="green", variant="soft", size="2", high_contrast=True),
                time_flag(i.urgency, i.time_left),
            ),
            wrap="wrap",
            align="center",
            spacing="2",
        ),
        rx.grid(
            _fact("Recibido", i.submitted_at),
            _fact("Vence", i.deadline_at),
            columns="2",
            spacing="3",
            width="100%",
        ),
        rx.cond(
            i.status != "resuelto",
            rx.cond(
                i.reserved_by_me,
                rx.callout(
                    "Reservado para vos por 15 minutos: nadie más puede decidirlo mientras tanto.",
                    icon="lock",
                    color_scheme="blue",
                    high_contrast=True,
                    size="1",
                    width="100%",
                ),
                rx.cond(
                    i.reserved_by != "",
                    rx.callout(
                        rx.text("En revisión por ", rx.text.strong(i.reserved_by), ". Podés verlo, no decidirlo."),
                        icon="eye",
                        color_scheme="amber",
                        high_contrast=True,
                        size="1",
                        width="100%",
                    ),
                ),
            ),
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def _decision_button(option) -> rx.Component:
    negative = (option[0] == "no_legible") | (option[0] == "rechazado")
    return rx.button(
        rx.icon(rx.cond(negative, "circle-x", "circle-check"), size=18),
        option[1],
        size="3",
        color_scheme=rx.cond(negative, NEGATIVE_COLOR, "green"),
        variant=rx.cond(negative, "soft", "solid"),
        high_contrast=True,
        on_click=S.choose(option[0]),
        flex="1",
        min_width="9em",
    )


def _decision() -> rx.Component:
    i = S.item
    return rx.vstack(
        rx.heading("Decisión", size="4", color=PRIMARY_DARK, as_="h2"),
        _status(),
        rx.separator(),
        rx.cond(
            S.notice != "",
            rx.callout(
                S.notice, icon="circle-check", color_scheme="green", high_contrast=True, width="100%", role="status"
            ),
        ),
        rx.cond(
            S.error != "",
            rx.vstack(
                form_error(S.error),
                rx.button(rx.icon("refresh-cw", size=16), "Abrir de nuevo", variant="soft", on_click=S.load),
                spacing="2",
                width="100%",
                align="start",
            ),
        ),
        rx.cond(
            i.status == "resuelto",
            rx.vstack(
                rx.text(
                    "Resuelto: ",
                    rx.text.strong(i.decision_label),
                    rx.cond(i.reason_label != "", " — " + i.reason_label, ""),
                ),
                rx.text("Por ", i.decided_by, " el ", i.decided_at, color=MUTED, font_size="0.9em"),
                spacing="1",
                align="start",
            ),
            rx.cond(
                i.can_decide,
                rx.flex(rx.foreach(i.decisions, _decision_button), gap="3", wrap="wrap", width="100%"),
                rx.cond(
                    (i.reserved_by == "") & (S.error == ""),
                    rx.vstack(
                        rx.text("Tu reserva venció: abrilo de nuevo para decidir.", color=MUTED),
                        rx.button(rx.icon("refresh-cw", size=16), "Abrir de nuevo", variant="soft", on_click=S.load),
                        spacing="2",
                        align="start",
                    ),
                ),
            ),
        ),
        style=SECTION,
        spacing="3",
        align="start",
    )


def _reason_select() -> rx.Component:
    return rx.vstack(
        rx.el.label("Motivo", html_for="reason", font_weight="600", font_size="0.95em"),
        rx.el.select(
            rx.el.option("Elegí el motivo…", value=""),
            rx.foreach(S.item.reasons, lambda r: rx.el.option(r[1], value=r[0])),
            id="reason",
            name="reason",
            default_value="",
            aria_required="true",
            aria_invalid=rx.cond(S.reason_error != "", "true", "false"),
            style={
                "width": "100%",
                "height": "40px",
                "border": "1px solid #c9d2dc",
                "border_radius": "8px",
                "padding": "0 10px",
                "background": "white",
                "font_size": "16px",
            },
        ),
        rx.cond(S.reason_error != "", rx.text(S.reason_error, color=ERROR, font_size="0.85em", role="alert")),
        spacing="1",
        width="100%",
        align="start",
    )


def _confirm_dialog() -> rx.Component:
    i = S.item
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Confirmar decisión"),
            rx.alert_dialog.description(
                "¿Confirmás ",
                rx.text.strong(S.chosen_label),
                " para ",
                i.kind_label,
                " de ",
                i.customer_name,
                "? Se le avisa al cliente por e-mail y SMS.",
            ),
            rx.form(
                rx.vstack(
                    rx.cond(S.chosen_negative, _reason_select()),
                    rx.flex(
                        rx.button(
                            "Cancelar", type="button", variant="soft", color_scheme="gray", size="3", on_click=S.cancel
                        ),
                        rx.button(
                            "Confirmar ",
                            S.chosen_label,
                            type="submit",
                            size="3",
                            color_scheme=rx.cond(S.chosen_negative, NEGATIVE_COLOR, "green"),
                            high_contrast=True,
                        ),
                        gap="3",
                        justify="end",
                        wrap="wrap",
                        width="100%",
                    ),
                    spacing="4",
                    width="100%",
                    margin_top="1em",
                ),
                on_submit=S.decide_item,
                reset_on_submit=False,
            ),
            max_width="30em",
        ),
        open=S.confirm_open,
        on_open_change=S.dialog_changed,
    )


def _back() -> rx.Component:
    return rx.button(rx.icon("arrow-left", size=16), "Volver a la cola", variant="soft", on_click=S.release)


def _not_found() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("search-x", size=22, color=MUTED),
            rx.text(S.not_found, font_weight="700"),
            align="center",
        ),
        _back(),
        style=SECTION,
        spacing="3",
        align="start",
    )


def revision() -> rx.Component:
    """on_load: ReviewItemState.load."""
    return operator_layout(
        "Revisión",
        rx.cond(
            S.loaded,
            rx.cond(
                S.not_found != "",
                _not_found(),
                rx.grid(
                    _document(),
                    rx.vstack(_decision(), _customer(), spacing="4", width="100%"),
                    grid_template_columns=rx.breakpoints(
                        initial="minmax(0, 1fr)", lg="minmax(0, 1.35fr) minmax(0, 1fr)"
                    ),
                    spacing="4",
                    width="100%",
                ),
            ),
            rx.center(rx.spinner(size="3"), width="100%", padding="2em"),
        ),
        _confirm_dialog(),
        aside=_back(),
    )
