"""/operador: the login form without an operator session; with one, the review queue — counters, filters,
search, one page of items (oldest deadline first, disputed first) — and "Levantar bloqueo de asociación"."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.fields import field, form_error
from autogestion.components.operator_layout import operator_layout
from autogestion.components.tables import card, card_list, card_row, card_title, data_table, pager
from autogestion.components.theme import CARD, ERROR, MUTED, OK, PRIMARY, PRIMARY_DARK
from autogestion.pages.operator_login import operator_login_form
from autogestion.state.operator_queue import OperatorQueueState as S
from autogestion.state.operator_session import OperatorSessionState

KIND_FILTERS = [("", "Todos"), ("dni", "Fotos de DNI"), ("poder", "Poderes"), ("link", "Asociaciones disputadas")]
STATE_FILTERS = [("pendiente", "Pendientes"), ("vencido", "Vencidos"), ("resuelto", "Resueltos")]
HEADERS = [
    "TIPO",
    "CLIENTE",
    "DOCUMENTO",
    "SUMINISTRO",
    "RECIBIDO",
    "VENCE",
    "TIEMPO RESTANTE",
    "ESTADO",
]
KIND_ICONS = (("dni", "id-card"), ("poder", "file-signature"), ("link", "shield-alert"), "file")


def item_href(row) -> rx.Var:
    return f"{routes.OPERADOR}/item/{row.id}"


# --- counters, filters, search ----------------------------------------------------------------------


def _counter(label: str, value, icon: str, color: str) -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon(icon, size=20, color=color),
            background="#eef3f9",
            border_radius="10px",
            width="40px",
            height="40px",
            flex_shrink="0",
        ),
        rx.vstack(
            rx.text(label, color=MUTED, font_size="0.8em", font_weight="600", line_height="1.2"),
            rx.text(value, font_size="1.5em", font_weight="800", color=PRIMARY_DARK, line_height="1.1"),
            spacing="0",
            align="start",
            min_width="0",
        ),
        align="center",
        spacing="3",
        background="white",
        border_radius="12px",
        box_shadow=CARD["box_shadow"],
        padding="0.8em 1em",
        width="100%",
        min_width="0",
    )


def _counters() -> rx.Component:
    c = S.counters
    return rx.grid(
        _counter("Pendientes", c.pending, "inbox", PRIMARY),
        _counter("Vencidos", c.overdue, "alarm-clock", ERROR),
        _counter("Resueltos hoy", c.resolved_today, "circle-check", OK),
        _counter("Mediana de resolución", rx.cond(c.median_resolution != "", c.median_resolution, "—"), "timer", MUTED),
        columns=rx.breakpoints(initial="2", md="4"),
        spacing="3",
        width="100%",
        role="region",
        aria_label="Contadores de la cola",
    )


def _filter_group(label: str, options: list[tuple[str, str]], current, handler) -> rx.Component:
    return rx.hstack(
        rx.text(label, color=MUTED, font_size="0.85em", font_weight="600", min_width="3.5em"),
        *[
            rx.button(
                text,
                size="2",
                variant=rx.cond(current == value, "solid", "soft"),
                aria_pressed=rx.cond(current == value, "true", "false"),
                on_click=handler(value),
            )
            for value, text in options
        ],
        align="center",
        spacing="2",
        wrap="wrap",
        role="group",
        aria_label=label,
    )


def _search() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(
                "Buscar por documento o N° de suministro", html_for="search", font_weight="600", font_size="0.85em"
            ),
            rx.hstack(
                rx.input(
                    id="search",
                    name="search",
                    placeholder="Ej.: 30123456 o 2000380655",
                    input_mode="numeric",
                    auto_complete="off",
                    max_length=40,
                    size="2",
                    width="100%",
                    max_width="18em",
                ),
                rx.button(rx.icon("search", size=16), "Buscar", type="submit", size="2"),
                spacing="2",
                align="center",
                width="100%",
            ),
            spacing="1",
            width="100%",
        ),
        on_submit=S.search_items,
        reset_on_submit=False,
        width="100%",
        max_width="32em",
        role="search",
    )


def _active_search() -> rx.Component:
    """The search in force (the box itself starts empty when the page is drawn again)."""
    return rx.cond(
        S.search != "",
        rx.hstack(
            rx.text("Búsqueda: ", rx.text.strong(S.search), font_size="0.9em"),
            rx.button("Limpiar", type="button", variant="soft", color_scheme="gray", size="1", on_click=S.clear_search),
            align="center",
            spacing="2",
        ),
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.vstack(
            _filter_group("Tipo", KIND_FILTERS, S.filter_kind, S.filter_by_kind),
            _filter_group("Estado", STATE_FILTERS, S.filter_state, S.filter_by_state),
            spacing="2",
        ),
        rx.vstack(_search(), _active_search(), spacing="2", width="100%", max_width="32em"),
        justify="between",
        align="end",
        wrap="wrap",
        gap="3",
        background="white",
        border_radius="12px",
        box_shadow=CARD["box_shadow"],
        padding="0.9em 1em",
        width="100%",
    )


# --- rows ---------------------------------------------------------------------------------------------


def time_flag(urgency, text) -> rx.Component:
    """The time left, flagged: red "vencido", amber "próximo a vencer", plain otherwise (words, not only colour)."""
    return rx.match(
        urgency,
        (
            "vencido",
            rx.badge(
                rx.icon("triangle-alert", size=13),
                text,
                color_scheme="red",
                variant="soft",
                high_contrast=True,
                white_space="nowrap",
            ),
        ),
        (
            "proximo",
            rx.badge(
                rx.icon("clock", size=13),
                "Próximo: ",
                text,
                color_scheme="amber",
                variant="soft",
                high_contrast=True,
                white_space="nowrap",
            ),
        ),
        rx.text(text, white_space="nowrap", font_size="0.92em"),
    )


def _left_or_decision(row) -> rx.Component:
    return rx.cond(
        row.status == "resuelto",
        rx.text(row.decision_label, rx.cond(row.decided_by != "", " · " + row.decided_by, ""), font_size="0.9em"),
        time_flag(row.urgency, row.time_left),
    )


def _holder(row) -> rx.Component:
    return rx.cond(
        row.reserved_by != "",
        rx.badge(
            rx.icon("eye", size=13),
            "En revisión por ",
            rx.cond(row.reserved_by == OperatorSessionState.operator_name, "vos", row.reserved_by),
            color_scheme="blue",
            variant="soft",
            high_contrast=True,
        ),
        rx.cond(
            row.status == "resuelto",
            rx.badge("Resuelto", color_scheme="green", variant="soft", high_contrast=True),
            rx.badge("Libre", color_scheme="gray", variant="soft", high_contrast=True),
        ),
    )


def _kind(row) -> rx.Component:
    return rx.hstack(
        rx.icon(rx.match(row.kind, *KIND_ICONS), size=16, color=PRIMARY, flex_shrink="0"),
        rx.text(row.kind_label, white_space="nowrap"),
        rx.cond(row.disputed, rx.badge("Disputado", color_scheme="red", variant="solid")),
        align="center",
        spacing="2",
    )


def _open_link(row, **props) -> rx.Component:
    return rx.link(
        row.customer_name,
        href=item_href(row),
        font_weight="600",
        on_click=rx.stop_propagation,
        **props,
    )


def _row(row) -> rx.Component:
    cell = {"vertical_align": "middle"}
    return rx.table.row(
        rx.table.cell(_kind(row), **cell),
        rx.table.row_header_cell(_open_link(row), **cell),
        rx.table.cell(row.customer_document, white_space="nowrap", **cell),
        rx.table.cell(
            rx.cond(row.supply_number != "", row.supply_number, "—"), font_family="ui-monospace, monospace", **cell
        ),
        rx.table.cell(row.submitted_at, white_space="nowrap", **cell),
        rx.table.cell(row.deadline_at, white_space="nowrap", **cell),
        rx.table.cell(_left_or_decision(row), **cell),
        rx.table.cell(_holder(row), **cell),
        on_click=rx.redirect(item_href(row)),
        cursor="pointer",
        background=rx.cond(row.urgency == "vencido", "#fff6f5", "transparent"),
        _hover={"background": "#f0f5fb"},
    )


def _card(row) -> rx.Component:
    return card(
        card_title(_kind(row), _holder(row)),
        _open_link(row, font_size="1.1em"),
        card_row("Documento", row.customer_document),
        card_row("Suministro", rx.cond(row.supply_number != "", row.supply_number, "—")),
        card_row("Recibido", row.submitted_at),
        card_row("Vence", row.deadline_at),
        rx.hstack(rx.spacer(), _left_or_decision(row), width="100%"),
    )


def _queue() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Ítems", size="4", color=PRIMARY_DARK, as_="h2"),
            rx.text("(", S.total_rows, ")", color=MUTED),
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=15), "Actualizar", variant="ghost", size="2", on_click=S.refresh),
            align="center",
            spacing="2",
            width="100%",
        ),
        form_error(S.error),
        rx.cond(
            S.total_rows > 0,
            rx.vstack(
                data_table(HEADERS, S.rows, _row, label="Cola de revisión"),
                card_list(S.rows, _card),
                pager(S, label="Páginas de la cola"),
                spacing="3",
                width="100%",
            ),
            rx.center(
                rx.vstack(
                    rx.icon("inbox", size=28, color=MUTED),
                    rx.text("No hay ítems con estos filtros.", color=MUTED),
                    align="center",
                ),
                style=CARD,
            ),
        ),
        spacing="3",
        width="100%",
    )


# --- Levantar bloqueo de asociación -----------------------------------------------------------------


def _lift_lock() -> rx.Component:
    e = S.lift_errors
    return rx.vstack(
        rx.heading("Levantar bloqueo de asociación", size="4", color=PRIMARY_DARK, as_="h2"),
        rx.text(
            "Tres respuestas equivocadas de cualquier cuenta bloquean la asociación de un suministro por 7 días. "
            "Si corresponde reabrirla, indicá el suministro y el motivo: queda en la auditoría.",
            color=MUTED,
            font_size="0.9em",
        ),
        form_error(S.lift_error),
        rx.cond(
            S.lift_message != "",
            rx.callout(
                S.lift_message,
                icon="circle-check",
                color_scheme="green",
                high_contrast=True,
                width="100%",
                role="status",
            ),
        ),
        rx.form(
            rx.flex(
                field(
                    "N° de suministro",
                    "supply_number",
                    id_="lift_supply_number",
                    error=e["supply_number"],
                    ok=False,
                    input_mode="numeric",
                    max_length=12,
                    width="100%",
                ),
                field("Motivo", "reason", id_="lift_reason", error=e["reason"], ok=False, max_length=300),
                rx.button("Levantar bloqueo", type="submit", size="3", variant="outline", flex_shrink="0"),
                direction=rx.breakpoints(initial="column", md="row"),
                align=rx.breakpoints(initial="stretch", md="end"),
                gap="3",
                width="100%",
            ),
            on_submit=S.lift_lock,
            reset_on_submit=False,
            width="100%",
        ),
        style={**CARD, "padding": ["1em", "1.25em"]},
        spacing="2",
        align="start",
    )


def _queue_page() -> rx.Component:
    return operator_layout(
        "Cola de revisión",
        rx.text(
            "DNI, poderes y asociaciones disputadas: cada ítem vence 24 horas hábiles después de recibido.",
            color=MUTED,
            margin_top="-0.6em",
        ),
        _counters(),
        _toolbar(),
        _queue(),
        _lift_lock(),
    )


def operador() -> rx.Component:
    """on_load: [OperatorLoginState.load, OperatorQueueState.load]."""
    return rx.cond(
        S.checked,
        rx.cond(OperatorSessionState.signed_in, _queue_page(), operator_login_form()),
        rx.center(rx.spinner(size="3"), min_height="60vh"),
    )
