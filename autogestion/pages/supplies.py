"""/suministros: Mis Suministros, the manual's table of linked supplies (cards on a phone)."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
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
from autogestion.state.supplies import SuppliesState

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


def _row(row) -> rx.Component:
    cell = {"white_space": "nowrap", "vertical_align": "middle"}
    return rx.table.row(
        rx.table.cell(row.position, color=MUTED, **cell),
        rx.table.row_header_cell(_supply_link(row), **cell),
        rx.table.cell(row.status, **cell),
        rx.table.cell(row.tariff_group, **cell),
        rx.table.cell(row.holder_name, vertical_align="middle", min_width="10em"),
        rx.table.cell(row.holder_document, **cell),
        rx.table.cell(row.collection_status, **cell),
        rx.table.cell(row.poder, **cell),
        rx.table.cell(_validation(row), **cell),
        _hover={"background": "#f6f9fd"},
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


def suministros() -> rx.Component:
    return app_layout(
        "Mis Suministros",
        rx.cond(
            SuppliesState.message != "",
            rx.callout(SuppliesState.message, icon="circle-check", color_scheme="green", width="100%", role="status"),
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
    )
