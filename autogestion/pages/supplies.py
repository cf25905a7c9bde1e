"""/suministros: Mis Suministros, the manual's table of linked supplies (cards on a phone)."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.fields import error_line
from autogestion.components.layout import app_layout
from autogestion.components.tables import (
    LINK_STATUS_COLORS,
    card,
    card_list,
    card_row,
    card_title,
    data_table,
    status_badge,
)
from autogestion.components.theme import CARD, MUTED, PRIMARY, PRIMARY_DARK
from autogestion.components.upload import IMAGES_OR_PDF, upload_box
from autogestion.models import LinkStatus
from autogestion.state.supplies import PODER_UPLOAD_ID, SuppliesState

HEADERS = [
    "N°",
    "SUMINISTRO",
    "ESTADO",
    "GRUPO TARIFARIO",
    "TITULAR",
    "DOCUMENTO",
    "ESTADO COBRANZA",
    "PODER",
    "VALIDACIÓN",
]


def _supply_link(row, **props) -> rx.Component:
    return rx.link(
        row.number, href=routes.suministro(row.number), font_weight="700", color=PRIMARY, underline="always", **props
    )


def _validation(row) -> rx.Component:
    return status_badge(row.link_status, row.link_status_label, LINK_STATUS_COLORS)


def _deadline(row, **props) -> rx.Component:
    """ "Lo revisamos antes del dd/mm/aaaa hh:mm" under a pending link."""
    return rx.cond(
        (row.link_status == LinkStatus.PENDING) & (row.review_deadline != ""),
        rx.hstack(
            rx.icon("clock", size=14, color=MUTED, flex_shrink="0", margin_top="0.15em"),
            rx.text("Lo revisamos antes del ", row.review_deadline, color=MUTED, font_size="0.8em"),
            align="start",
            spacing="1",
            **props,
        ),
    )


def _poder_button(row, **props) -> rx.Component:
    return rx.button(
        rx.icon("upload", size=16),
        "Subir un poder nuevo",
        size="2",
        high_contrast=True,
        on_click=SuppliesState.choose_poder(row.number),
        aria_label="Subir un poder nuevo para el suministro " + row.number,
        **props,
    )


def _rejection(row) -> rx.Component:
    """A rejected link: why, and the way to fix it."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("circle-x")),
        rx.vstack(
            rx.text(
                rx.text.strong("Suministro N° ", row.number, ": Rechazado. "),
                rx.text.strong("Motivo: "),
                row.reject_reason_text,
            ),
            rx.cond(
                row.can_replace_poder,
                rx.vstack(
                    rx.text("Subí un poder nuevo firmado por el titular y lo revisamos otra vez.", font_size="0.9em"),
                    _poder_button(row, width=rx.breakpoints(initial="100%", xs="auto")),
                    spacing="2",
                    width="100%",
                    align=rx.breakpoints(initial="stretch", xs="start"),
                ),
            ),
            spacing="2",
            width="100%",
        ),
        color_scheme="red",
        high_contrast=True,
        width="100%",
        role="alert",
    )


def _unreadable_dni(row) -> rx.Component:
    """A pending link whose DNI photo an operator judged NO LEGIBLE."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert")),
        rx.vstack(
            rx.text(
                rx.text.strong("Suministro N° ", row.number, ": "),
                "la foto de tu DNI es NO LEGIBLE. ",
                rx.link(
                    "Cargá una foto nueva del frente de tu DNI en Mi Perfil", href=routes.PERFIL, underline="always"
                ),
                ".",
            ),
            spacing="2",
            width="100%",
        ),
        color_scheme="amber",
        high_contrast=True,
        width="100%",
    )


def _notice(row) -> rx.Component:
    return rx.cond(
        row.link_status == LinkStatus.REJECTED,
        _rejection(row),
        rx.cond(row.dni_unreadable, _unreadable_dni(row)),
    )


def _row(row) -> rx.Component:
    cell = {"white_space": "nowrap", "vertical_align": "middle"}
    return rx.fragment(
        rx.table.row(
            rx.table.cell(row.position, color=MUTED, **cell),
            rx.table.row_header_cell(_supply_link(row), **cell),
            rx.table.cell(row.status, **cell),
            rx.table.cell(row.tariff_group, **cell),
            rx.table.cell(row.holder_name, vertical_align="middle", min_width="10em"),
            rx.table.cell(row.holder_document, **cell),
            rx.table.cell(row.collection_status, **cell),
            rx.table.cell(row.poder, **cell),
            rx.table.cell(
                rx.vstack(_validation(row), _deadline(row, max_width="11em"), spacing="1", align="start"),
                vertical_align="middle",
            ),
            _hover={"background": "#f6f9fd"},
        ),
        # What a rejected link or an unreadable DNI photo needs, across the whole table under its row.
        rx.cond(
            (row.link_status == LinkStatus.REJECTED) | row.dni_unreadable,
            rx.table.row(rx.table.cell(_notice(row), col_span=len(HEADERS), padding_top="0")),
        ),
    )


def _card(row) -> rx.Component:
    return card(
        card_title(
            rx.hstack(
                rx.icon("zap", size=18, color=PRIMARY),
                _supply_link(row, font_size="1.15em"),
                align="center",
                spacing="2",
            ),
            _validation(row),
        ),
        rx.separator(),
        card_row("Titular", row.holder_name),
        card_row("Documento", row.holder_document),
        card_row("Grupo tarifario", row.tariff_group),
        card_row("Estado", row.status),
        card_row("Estado cobranza", row.collection_status),
        card_row("Poder", row.poder),
        _deadline(row),
        _notice(row),
        rx.link(
            rx.button(rx.icon("file-text", size=16), "Ver facturas", variant="soft", width="100%"),
            href=routes.suministro(row.number),
            width="100%",
        ),
    )


def _empty() -> rx.Component:
    return rx.vstack(
        rx.center(
            rx.icon("plug-zap", size=30, color=PRIMARY),
            background="#e8f0fa",
            border_radius="50%",
            width="64px",
            height="64px",
        ),
        rx.heading("Todavía no tenés suministros asociados", size="5", color=PRIMARY_DARK, as_="h2"),
        rx.text(
            "Para consultar, imprimir y pagar tus facturas, primero tenés que asociar un suministro a tu cuenta. "
            "Tené a mano tu última factura: vas a necesitar el N° de Suministro y el importe y vencimiento de tu "
            "última o penúltima factura.",
            color=MUTED,
            max_width="40em",
        ),
        rx.link(rx.button(rx.icon("link", size=16), "Asociar Suministro", size="3"), href=routes.ASOCIAR),
        style=CARD,
        align="center",
        text_align="center",
        spacing="3",
        padding="2.5em 1.5em",
    )


def _list() -> rx.Component:
    return rx.vstack(
        rx.text("Haga clic en el N° de Suministro para ver el detalle de las facturas.", color=MUTED),
        data_table(HEADERS, SuppliesState.rows, _row, label="Mis Suministros"),
        card_list(SuppliesState.rows, _card),
        spacing="3",
        width="100%",
    )


def _poder_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Subir un poder nuevo"),
            rx.dialog.description("Suministro N° ", SuppliesState.poder_number, color=MUTED),
            rx.vstack(
                rx.cond(
                    SuppliesState.poder_reason != "",
                    rx.text(rx.text.strong("Motivo del rechazo: "), SuppliesState.poder_reason, font_size="0.9em"),
                ),
                rx.text(
                    "Subí el poder que te otorgó el titular del suministro. Un operador lo revisa dentro de las 24 "
                    "horas hábiles.",
                    color=MUTED,
                    font_size="0.9em",
                ),
                upload_box(
                    upload_id=PODER_UPLOAD_ID,
                    button="Elegir archivo del poder",
                    hint="PDF, JPEG o PNG, hasta 10 MB.",
                    accept=IMAGES_OR_PDF,
                    on_upload=SuppliesState.upload_poder,
                    on_rejected=SuppliesState.poder_rejected,
                ),
                error_line(SuppliesState.poder_error),
                rx.flex(
                    rx.dialog.close(rx.button("Cancelar", variant="soft", color_scheme="gray")),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                margin_top="1em",
                width="100%",
            ),
            max_width="32em",
        ),
        open=SuppliesState.poder_open,
        on_open_change=SuppliesState.poder_dialog_changed,
    )


def suministros() -> rx.Component:
    return app_layout(
        "Mis Suministros",
        rx.cond(
            SuppliesState.message != "",
            rx.callout(
                SuppliesState.message,
                icon="circle-check",
                color_scheme="green",
                high_contrast=True,
                width="100%",
                role="status",
            ),
        ),
        rx.hstack(
            rx.text("Detalle (", SuppliesState.count, ")", font_weight="600", color=PRIMARY_DARK, font_size="1.05em"),
            rx.spacer(),
            rx.cond(
                SuppliesState.count > 0,
                rx.link(
                    rx.button(rx.icon("plus", size=16), "Asociar otro suministro", variant="soft"), href=routes.ASOCIAR
                ),
            ),
            align="center",
            width="100%",
            wrap="wrap",
        ),
        rx.cond(
            SuppliesState.loaded,
            rx.cond(SuppliesState.count > 0, _list(), _empty()),
            rx.center(rx.spinner(size="3"), width="100%", padding="2em"),
        ),
        _poder_dialog(),
    )
