"""Tables that stay usable on a phone: a real table from 768 px up, one card per row below, plus status badges."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from autogestion.components.theme import CARD, MUTED, PRIMARY_DARK
from autogestion.models import InvoicePublicStatus, LinkStatus

# Radix breakpoints: [initial, xs ≥ 30em, sm ≥ 48em, …]; the table needs about 48em, so cards below that.
TABLE_DISPLAY = ["none", "none", "block"]
CARDS_DISPLAY = ["flex", "flex", "none"]

LINK_STATUS_COLORS = (
    (LinkStatus.PENDING, "amber"),
    (LinkStatus.VALIDATED, "green"),
    (LinkStatus.REJECTED, "red"),
    "gray",
)
INVOICE_STATUS_COLORS = (
    (InvoicePublicStatus.PAID, "green"),
    (InvoicePublicStatus.UNPAID, "amber"),
    (InvoicePublicStatus.OVERDUE, "red"),
    (InvoicePublicStatus.CREDITING, "blue"),
    (InvoicePublicStatus.IN_PLAN, "violet"),
    "gray",
)


def status_badge(status: rx.Var, label: rx.Var, colors: tuple) -> rx.Component:
    """A coloured badge: the label as text, the colour from the status code (never colour alone)."""
    return rx.badge(
        label,
        color_scheme=rx.match(status, *colors),
        variant="soft",
        high_contrast=True,  # amber and green text on their soft backgrounds fall short of WCAG AA otherwise
        size="2",
        radius="full",
        white_space="nowrap",
    )


VISUALLY_HIDDEN = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "overflow": "hidden",
    "clip": "rect(0 0 0 0)",
    "white_space": "nowrap",
    "margin": "-1px",
    "padding": "0",
    "border": "0",
}


def visually_hidden(text: str) -> rx.Component:
    """Text for screen readers only (column titles of button columns, table captions)."""
    return rx.el.span(text, style=VISUALLY_HIDDEN)


def header_cell(text: str, align: str = "left", hidden: bool = False) -> rx.Component:
    return rx.table.column_header_cell(
        visually_hidden(text) if hidden else text,
        white_space="nowrap",
        color=MUTED,
        font_size="0.78em",
        letter_spacing="0.04em",
        text_align=align,
    )


def data_table(
    headers: list[str | tuple[str, str]],
    rows: rx.Var,
    render_row: Callable[[rx.Var], rx.Component],
    *,
    label: str,
) -> rx.Component:
    """A white card holding a table that scrolls sideways inside itself if the screen is narrower than it.

    Args:
        headers: Column titles; (title, "right") to right-align a column, (title, align, True) to show the
            title to screen readers only.
        rows: The list var.
        render_row: Builds one rx.table.row from an item var.
        label: Accessible name of the table (a caption only screen readers see).
    """
    cells = [header_cell(*h) if isinstance(h, tuple) else header_cell(h) for h in headers]
    return rx.box(
        rx.table.root(
            rx.el.caption(label, style=VISUALLY_HIDDEN),
            rx.table.header(rx.table.row(*cells, background="#f6f8fb")),
            rx.table.body(rx.foreach(rows, render_row)),
            variant="ghost",
            size="2",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
        background="white",
        border_radius="14px",
        box_shadow=CARD["box_shadow"],
        display=TABLE_DISPLAY,
    )


def card_list(rows: rx.Var, render_card: Callable[[rx.Var], rx.Component]) -> rx.Component:
    """One card per row, for phones."""
    return rx.vstack(rx.foreach(rows, render_card), spacing="3", width="100%", display=CARDS_DISPLAY)


def card(*children: rx.Component) -> rx.Component:
    return rx.vstack(
        *children,
        spacing="2",
        width="100%",
        align="stretch",
        background="white",
        border_radius="14px",
        box_shadow=CARD["box_shadow"],
        padding="1em",
    )


def card_row(label: str, value) -> rx.Component:
    """A "label ........ value" line inside a card."""
    return rx.hstack(
        rx.text(label, color=MUTED, font_size="0.85em"),
        rx.spacer(),
        rx.text(value, font_weight="500", font_size="0.92em", text_align="right"),
        align="center",
        width="100%",
        spacing="3",
    )


def card_title(*children) -> rx.Component:
    return rx.hstack(*children, align="center", justify="between", width="100%", wrap="wrap", color=PRIMARY_DARK)


def pager(state, *, label: str) -> rx.Component:
    """Anterior · Página N de M · Siguiente, for a state with page_number, total_pages, previous_page and
    next_page; `label` names the navigation for screen readers ("Páginas de facturas")."""
    return rx.hstack(
        rx.button(
            rx.icon("chevron-left", size=16),
            "Anterior",
            variant="outline",
            on_click=state.previous_page,
            disabled=state.page_number <= 1,
        ),
        rx.text("Página ", state.page_number, " de ", state.total_pages, color=MUTED, white_space="nowrap"),
        rx.button(
            "Siguiente",
            rx.icon("chevron-right", size=16),
            variant="outline",
            on_click=state.next_page,
            disabled=state.page_number >= state.total_pages,
        ),
        justify="center",
        align="center",
        spacing="3",
        width="100%",
        role="navigation",
        aria_label=label,
    )
