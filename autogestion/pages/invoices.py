"""/suministros/[numero]: a supply's data, its invoices (Imprimir) page by page, and its consumption chart."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.fields import error_line
from autogestion.components.layout import app_layout
from autogestion.components.tables import (
    INVOICE_STATUS_COLORS,
    LINK_STATUS_COLORS,
    card,
    card_list,
    card_row,
    card_title,
    data_table,
    pager,
    status_badge,
)
from autogestion.components.theme import CARD, MUTED, PRIMARY, PRIMARY_DARK
from autogestion.components.upload import IMAGES_OR_PDF, upload_box
from autogestion.state.invoices import PODER_UPLOAD_ID
from autogestion.state.invoices import InvoicesState as S

HEADERS = [
    "PERÍODO",
    "N° DE FACTURA",
    "EMISIÓN",
    "VENCIMIENTO",
    ("IMPORTE", "right"),
    "ESTADO",
    ("ACCIONES", "right", True),
]


def _fact(label: str, value) -> rx.Component:
    return rx.vstack(
        rx.text(label, color=MUTED, font_size="0.78em", letter_spacing="0.04em", text_transform="uppercase"),
        rx.text(value, font_weight="600", color=PRIMARY_DARK),
        spacing="0",
        align="start",
        min_width="0",
    )


def _header() -> rx.Component:
    d = S.detail
    return rx.vstack(
        rx.hstack(
            rx.center(
                rx.icon("zap", size=22, color=PRIMARY),
                background="#e8f0fa",
                border_radius="10px",
                width="44px",
                height="44px",
                flex_shrink="0",
            ),
            rx.vstack(
                rx.text("Suministro N° ", d.number, font_weight="800", font_size="1.35em", color=PRIMARY_DARK),
                rx.hstack(
                    rx.icon("map-pin", size=14, color=MUTED, flex_shrink="0"),
                    rx.text(d.address, color=MUTED, font_size="0.9em"),
                    align="center",
                    spacing="1",
                ),
                spacing="0",
                align="start",
            ),
            rx.spacer(),
            status_badge(d.link_status, d.link_status_label, LINK_STATUS_COLORS),
            align="center",
            width="100%",
            wrap="wrap",
            spacing="3",
        ),
        rx.separator(),
        rx.grid(
            _fact("Titular", d.holder_name),
            _fact("Documento", d.holder_document),
            _fact("Grupo tarifario", d.tariff_group),
            _fact("Estado cobranza", d.collection_status),
            _fact("Asociado como", d.poder),
            _fact("Asociado el", d.linked_at),
            columns=rx.breakpoints(initial="2", md="3", lg="6"),
            spacing="4",
            width="100%",
        ),
        rx.cond(
            ~d.procedures_enabled & ~d.rejected,
            rx.callout.root(
                rx.callout.icon(rx.icon("info")),
                rx.callout.text(
                    "La asociación está pendiente de validación: ya podés consultar, imprimir y pagar tus facturas. "
                    "Los Planes de Pago y otros trámites se habilitan cuando un operador la valida, dentro de las "
                    "24 horas hábiles.",
                    rx.cond(
                        d.review_deadline != "",
                        rx.text.strong(" Lo revisamos antes del ", d.review_deadline, "."),
                    ),
                ),
                color_scheme="amber",
                high_contrast=True,
                width="100%",
                size="1",
            ),
        ),
        style=CARD,
        spacing="3",
        align="start",
    )


def _print_button(row, **props) -> rx.Component:
    return rx.button(
        rx.icon("printer", size=16),
        "Imprimir",
        size="2",
        variant="soft",
        on_click=S.print_invoice(row.id),
        aria_label="Imprimir factura " + row.number,
        **props,
    )


def _pay_button(row, **props) -> rx.Component:
    return rx.button(
        rx.icon("credit-card", size=16),
        "Pagar",
        size="2",
        on_click=S.pay(row.id),
        aria_label="Pagar factura " + row.number,
        **props,
    )


def _actions(row) -> rx.Component:
    """Pagar (unpaid or overdue, not in acreditación nor in a plan) beside Imprimir."""
    return rx.hstack(
        rx.cond(row.payable, _pay_button(row)),
        _print_button(row),
        spacing="2",
        justify="end",
    )


def _row(row) -> rx.Component:
    cell = {"white_space": "nowrap", "vertical_align": "middle"}
    return rx.table.row(
        rx.table.row_header_cell(row.period, font_weight="600", **cell),
        rx.table.cell(row.number, font_family="ui-monospace, monospace", font_size="0.9em", **cell),
        rx.table.cell(row.issued_on, **cell),
        rx.table.cell(row.due_on, **cell),
        rx.table.cell(row.amount, text_align="right", font_weight="600", **cell),
        rx.table.cell(status_badge(row.status, row.status_label, INVOICE_STATUS_COLORS), **cell),
        rx.table.cell(_actions(row), text_align="right", **cell),
        _hover={"background": "#f6f9fd"},
    )


def _card(row) -> rx.Component:
    return card(
        card_title(
            rx.text("Período ", row.period, font_weight="700"),
            status_badge(row.status, row.status_label, INVOICE_STATUS_COLORS),
        ),
        rx.text(row.amount, font_size="1.5em", font_weight="800", color=PRIMARY_DARK),
        card_row("Vencimiento", row.due_on),
        card_row("Emisión", row.issued_on),
        card_row("N° de factura", row.number),
        rx.cond(row.payable, _pay_button(row, width="100%")),
        _print_button(row, width="100%"),
    )


def _invoices() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Facturas", size="5", color=PRIMARY_DARK, as_="h2"),
            rx.text("(", S.total_rows, ")", color=MUTED),
            align="baseline",
            spacing="2",
        ),
        rx.cond(
            S.total_rows > 0,
            rx.vstack(
                data_table(HEADERS, S.rows, _row, label="Facturas"),
                card_list(S.rows, _card),
                pager(S, label="Páginas de facturas"),
                spacing="3",
                width="100%",
            ),
            rx.text("Este suministro todavía no tiene facturas.", color=MUTED),
        ),
        spacing="3",
        width="100%",
    )


def _chart() -> rx.Component:
    return rx.vstack(
        rx.heading("Consumo (kWh)", size="5", color=PRIMARY_DARK, as_="h2"),
        rx.text("Energía facturada en cada período.", color=MUTED, font_size="0.9em"),
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False, stroke="#e3e8ef"),
            rx.recharts.x_axis(data_key="period", tick_line=False, font_size=11, interval="preserveStartEnd"),
            rx.recharts.y_axis(tick_line=False, axis_line=False, font_size=11, width=44),
            rx.recharts.graphing_tooltip(cursor={"fill": "#eef3f9"}),
            rx.recharts.bar(data_key="kwh", name="kWh", fill=PRIMARY, radius=[4, 4, 0, 0], max_bar_size=28),
            data=S.chart,
            width="100%",
            height=260,
            margin={"top": 10, "right": 8, "left": 0, "bottom": 0},
        ),
        style=CARD,
        spacing="2",
        align="start",
        role="figure",
        aria_label="Gráfico de consumo en kWh por período",
    )


def _rejected() -> rx.Component:
    """The user's own link, rejected by an operator: why, and the way to fix it (its invoices stay closed)."""
    d = S.detail
    return rx.vstack(
        rx.callout.root(
            rx.callout.icon(rx.icon("circle-x")),
            rx.callout.text(
                rx.text.strong("Un operador rechazó la asociación de este suministro. Motivo: "),
                d.reject_reason_text,
                " Mientras tanto no podés ver sus facturas.",
            ),
            color_scheme="red",
            high_contrast=True,
            width="100%",
            role="alert",
        ),
        rx.cond(
            d.can_replace_poder,
            rx.vstack(
                rx.heading("Subí un poder nuevo", size="4", color=PRIMARY_DARK, as_="h2"),
                rx.text(
                    "Subí el poder que te otorgó el titular del suministro. Vas a poder consultar, imprimir y pagar "
                    "tus facturas en cuanto lo recibamos, y un operador lo revisa dentro de las 24 horas hábiles.",
                    color=MUTED,
                    font_size="0.92em",
                ),
                upload_box(
                    upload_id=PODER_UPLOAD_ID,
                    button="Subir un poder nuevo",
                    hint="PDF, JPEG o PNG, hasta 10 MB.",
                    accept=IMAGES_OR_PDF,
                    on_upload=S.upload_poder,
                    on_rejected=S.poder_rejected,
                ),
                error_line(S.poder_error),
                style=CARD,
                spacing="3",
                align="start",
            ),
        ),
        spacing="4",
        width="100%",
    )


def _not_found() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("search-x", size=22, color=MUTED),
            rx.text("Suministro no encontrado.", font_weight="700", font_size="1.1em"),
            align="center",
        ),
        rx.link(
            rx.button(rx.icon("arrow-left", size=16), "Volver a Mis Suministros", variant="soft"),
            href=routes.SUMINISTROS,
        ),
        style=CARD,
        spacing="3",
        align="start",
    )


def facturas() -> rx.Component:
    return app_layout(
        "Detalle de facturas",
        rx.cond(
            ~S.not_found,
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=16), rx.text("Mis Suministros"), align="center", spacing="1"),
                href=routes.SUMINISTROS,
                font_size="0.9em",
                margin_top="-0.5em",
            ),
        ),
        rx.cond(
            S.loaded,
            rx.cond(
                S.not_found,
                _not_found(),
                rx.vstack(
                    rx.cond(
                        S.poder_message != "",
                        rx.callout(
                            S.poder_message,
                            icon="circle-check",
                            color_scheme="green",
                            high_contrast=True,
                            width="100%",
                            role="status",
                        ),
                    ),
                    _header(),
                    rx.cond(S.detail.rejected, _rejected(), rx.fragment(_invoices(), _chart())),
                    spacing="5",
                    width="100%",
                ),
            ),
            rx.center(rx.spinner(size="3"), width="100%", padding="2em"),
        ),
    )
