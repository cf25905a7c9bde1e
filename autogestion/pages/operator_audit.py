"""/operador/auditoria (supervisors): the team's figures and the audit log, newest first, page by page."""

from __future__ import annotations

import reflex as rx

from autogestion.components.fields import form_error
from autogestion.components.operator_layout import operator_layout
from autogestion.components.tables import card, card_list, card_row, card_title, data_table, pager
from autogestion.components.theme import CARD, MUTED, PRIMARY_DARK
from autogestion.state.operator_audit import OperatorAuditState as S

TEAM_HEADERS = ["OPERADOR", ("HOY", "right"), ("ÚLTIMOS 7 DÍAS", "right"), ("MEDIANA", "right")]
AUDIT_HEADERS = ["FECHA", "OPERADOR", "ACCIÓN", "ÍTEM", "DETALLE", "DECISIÓN", "MOTIVO", "CAMBIO"]


def _dash(value) -> rx.Var:
    return rx.cond(value != "", value, "—")


def _item(row) -> rx.Component:
    return rx.cond(
        row.item_id > 0,
        rx.link("N° ", row.item_id, href=f"/operador/item/{row.item_id}", white_space="nowrap"),
        rx.text("—"),
    )


def _team_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.operator, font_weight="600"),
        rx.table.cell(row.today, text_align="right"),
        rx.table.cell(row.week, text_align="right"),
        rx.table.cell(row.median, text_align="right", white_space="nowrap"),
    )


def _team_card(row) -> rx.Component:
    return card(
        card_title(rx.text(row.operator, font_weight="700")),
        card_row("Hoy", row.today),
        card_row("Últimos 7 días", row.week),
        card_row("Mediana", row.median),
    )


def _audit_row(row) -> rx.Component:
    cell = {"vertical_align": "middle", "font_size": "0.92em"}
    return rx.table.row(
        rx.table.cell(row.at, white_space="nowrap", **cell),
        rx.table.cell(row.operator, white_space="nowrap", **cell),
        rx.table.cell(row.action, white_space="nowrap", **cell),
        rx.table.cell(_item(row), **cell),
        rx.table.cell(_dash(row.subject), **cell),
        rx.table.cell(_dash(row.decision), white_space="nowrap", **cell),
        rx.table.cell(_dash(row.reason), max_width="18em", **cell),
        rx.table.cell(_dash(row.change), white_space="nowrap", **cell),
    )


def _audit_card(row) -> rx.Component:
    return card(
        card_title(rx.text(row.action, font_weight="700"), rx.text(row.at, color=MUTED, font_size="0.85em")),
        card_row("Operador", row.operator),
        card_row("Ítem", _item(row)),
        card_row("Detalle", _dash(row.subject)),
        rx.cond(row.decision != "", card_row("Decisión", row.decision)),
        rx.cond(row.reason != "", card_row("Motivo", row.reason)),
        rx.cond(row.change != "", card_row("Cambio", row.change)),
    )


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(rx.heading(title, size="4", color=PRIMARY_DARK, as_="h2"), *children, spacing="3", width="100%")


def auditoria() -> rx.Component:
    """on_load: OperatorAuditState.load (supervisors only)."""
    return operator_layout(
        "Auditoría",
        form_error(S.error),
        rx.cond(
            S.loaded,
            rx.vstack(
                _section(
                    "Equipo",
                    rx.cond(
                        S.team.length() > 0,
                        rx.box(
                            data_table(TEAM_HEADERS, S.team, _team_row, label="Decisiones por operador"),
                            card_list(S.team, _team_card),
                            max_width="48em",
                            width="100%",
                        ),
                        rx.text("Nadie decidió ítems en los últimos 7 días.", color=MUTED, style=CARD),
                    ),
                ),
                _section(
                    "Registro de auditoría",
                    rx.text(
                        "Cada documento visto, cada decisión y cada bloqueo levantado, del más reciente al más antiguo.",
                        color=MUTED,
                        font_size="0.9em",
                    ),
                    rx.cond(
                        S.rows.length() > 0,
                        rx.vstack(
                            data_table(AUDIT_HEADERS, S.rows, _audit_row, label="Registro de auditoría"),
                            card_list(S.rows, _audit_card),
                            pager(S, label="Páginas de la auditoría"),
                            spacing="3",
                            width="100%",
                        ),
                        rx.text("Todavía no hay registros.", color=MUTED, style=CARD),
                    ),
                ),
                spacing="5",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), width="100%", padding="2em"),
        ),
    )
