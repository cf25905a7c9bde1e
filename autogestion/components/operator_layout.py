"""The back office frame (`/operador/…`): a dark header with the brand, the operator's name and Salir, the
links Cola / Auditoría (supervisors only), then the page's title and content at a wide, dense width."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.layout import BRAND
from autogestion.components.theme import ACCENT, BG, MUTED, PRIMARY_DARK
from autogestion.state.operator_session import OperatorSessionState

WIDTH = "90em"
HEADER_BG = "#0a2540"


def _brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.center(
                rx.icon("zap", color=PRIMARY_DARK, size=20), background=ACCENT, border_radius="8px", padding="5px"
            ),
            rx.vstack(
                rx.text("Back office — Operadores", font_weight="700", color="white", line_height="1.1"),
                rx.text(BRAND, color="#b9c9dc", font_size="0.75em", line_height="1.1"),
                spacing="0",
                align="start",
            ),
            align="center",
            spacing="2",
        ),
        href=routes.OPERADOR,
        underline="none",
        aria_label="Back office — Operadores: cola de revisión",
    )


def _nav_link(label: str, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label), spacing="1", align="center"),
        href=href,
        color="white",
        font_weight="600",
        font_size="0.92em",
        padding="0.4em 0.7em",
        border_radius="8px",
        underline="none",
        _hover={"background": "rgba(255,255,255,.12)"},
    )


def _operator_menu() -> rx.Component:
    return rx.hstack(
        rx.icon("circle-user", size=18, color="white", flex_shrink="0"),
        rx.text(
            OperatorSessionState.operator_name,
            color="white",
            font_weight="600",
            max_width="14em",
            overflow="hidden",
            text_overflow="ellipsis",
            white_space="nowrap",
        ),
        rx.cond(
            OperatorSessionState.is_supervisor,
            rx.badge("Supervisor", color_scheme="amber", variant="solid", radius="full"),
        ),
        rx.button(
            rx.icon("log-out", size=16),
            "Salir",
            variant="outline",
            size="2",
            color="white",
            style={"box_shadow": "inset 0 0 0 1px rgba(255,255,255,.55)"},
            on_click=OperatorSessionState.logout,
        ),
        align="center",
        spacing="2",
    )


def operator_header() -> rx.Component:
    return rx.el.header(
        rx.flex(
            _brand(),
            rx.hstack(
                _nav_link("Cola", routes.OPERADOR, "list-checks"),
                rx.cond(
                    OperatorSessionState.is_supervisor,
                    _nav_link("Auditoría", routes.OPERADOR_AUDITORIA, "scroll-text"),
                ),
                spacing="1",
                role="navigation",
                aria_label="Menú del back office",
            ),
            rx.spacer(display=["none", "none", "block"]),
            _operator_menu(),
            align="center",
            wrap="wrap",
            gap="3",
            padding="0.6em 1em",
            max_width=WIDTH,
            margin="0 auto",
        ),
        style={"background": HEADER_BG, "border_bottom": f"3px solid {ACCENT}"},
    )


def operator_layout(title: str | rx.Var, *children: rx.Component, aside: rx.Component | None = None) -> rx.Component:
    """The back office page: header, the title (with `aside` to its right, e.g. a back link) and content."""
    return rx.box(
        operator_header(),
        rx.el.main(
            rx.vstack(
                rx.flex(
                    rx.heading(title, size="6", color=PRIMARY_DARK, as_="h1"),
                    aside if aside is not None else rx.fragment(),
                    justify="between",
                    align="center",
                    wrap="wrap",
                    gap="2",
                    width="100%",
                ),
                *children,
                spacing="4",
                width="100%",
            ),
            style={"max_width": WIDTH, "margin": "0 auto", "padding": "1em clamp(0.6em, 2vw, 1.25em)"},
        ),
        rx.el.footer(
            rx.center(rx.text(f"{BRAND} | Back office de Autogestión", color=MUTED, font_size="0.8em")),
            style={"padding": "1.5em 1em"},
        ),
        background=BG,
        min_height="100vh",
    )
