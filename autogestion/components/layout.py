"""Page frames: the public one (landing, login, registration) and the customer one with the menu."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.clock import local_today
from autogestion.components.theme import ACCENT, BG, CARD, MUTED, PRIMARY, PRIMARY_DARK
from autogestion.config import get_settings
from autogestion.models import DniStatus
from autogestion.state.session import SessionState

BRAND = get_settings().brand  # AUTOGESTION_BRAND, the same name the e-mails sign with
MENU = [
    ("Mis Suministros", routes.SUMINISTROS, "zap"),
    ("Asociar Suministro", routes.ASOCIAR, "link"),
    ("Trámites Comerciales", routes.TRAMITES, "file-text"),
    ("Notificaciones", routes.NOTIFICACIONES, "bell"),
]


def brand_mark() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.center(
                rx.icon("zap", color=PRIMARY_DARK, size=22), background=ACCENT, border_radius="8px", padding="6px"
            ),
            rx.vstack(
                rx.text(
                    "Portal de Autogestión", font_weight="700", color="white", font_size="1.05em", line_height="1.1"
                ),
                rx.text(BRAND, color="#cfe0f5", font_size="0.75em", line_height="1.1"),
                spacing="0",
                align="start",
            ),
            align="center",
            spacing="2",
        ),
        href=routes.INDEX,
        underline="none",
    )


def footer() -> rx.Component:
    """The manual's footer: "Energía San Juan S.A. | Portal de Autogestión | 2026"."""
    return rx.center(
        rx.text(f"{BRAND} | Portal de Autogestión | {local_today().year}", color=MUTED, font_size="0.8em"),
        padding="1.5em 1em",
    )


def public_layout(*children: rx.Component, max_width: str = "30em") -> rx.Component:
    """A centred card under the brand bar."""
    return rx.box(
        rx.box(rx.hstack(brand_mark(), padding="0.8em 1.2em"), background=PRIMARY),
        rx.center(
            rx.vstack(*children, spacing="4", style=CARD, max_width=max_width),
            padding=["1em 0.75em", "2.5em 1em"],
        ),
        footer(),
        background=BG,
        min_height="100vh",
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle-user", size=18),
                rx.text(
                    "Sesión " + SessionState.user_name,
                    max_width=rx.breakpoints(initial="9em", sm="14em"),
                    overflow="hidden",
                    text_overflow="ellipsis",
                    white_space="nowrap",
                ),
                rx.icon("chevron-down", size=16),
                variant="ghost",
                color="white",
                aria_label="Menú del usuario",
            )
        ),
        rx.menu.content(
            rx.menu.item(rx.icon("user", size=16), "Mi Perfil", on_select=rx.redirect(routes.PERFIL)),
            rx.menu.separator(),
            rx.menu.item(rx.icon("log-out", size=16), "Salir", on_select=SessionState.logout),
        ),
    )


def nav() -> rx.Component:
    return rx.hstack(
        *[
            rx.link(
                rx.hstack(
                    rx.icon(icon, size=16),
                    rx.text(label, white_space="nowrap"),
                    rx.cond(SessionState.unread > 0, rx.badge(SessionState.unread, color_scheme="amber", radius="full"))
                    if href == routes.NOTIFICACIONES
                    else rx.fragment(),
                    spacing="1",
                    align="center",
                ),
                href=href,
                color=PRIMARY_DARK,
                font_weight="600",
                font_size="0.92em",
                padding=["0.45em 0.6em", "0.7em 0.9em"],
                underline="none",
                _hover={"background": "#e8f0fa"},
                border_radius="8px",
            )
            for label, href, icon in MENU
        ],
        spacing="1",
        flex_wrap="wrap",
        justify=rx.breakpoints(initial="center", md="start"),
        width="100%",
        max_width="72em",
        padding="0.2em 0.5em",
        role="navigation",
        aria_label="Menú principal",
    )


def dni_banner() -> rx.Component:
    return rx.cond(
        SessionState.dni_status == DniStatus.IN_REVIEW,
        rx.callout(
            "La foto de tu DNI está en análisis. Un operador la revisa dentro de las 24 horas hábiles.",
            icon="clock",
            color_scheme="amber",
            high_contrast=True,
            width="100%",
        ),
    )


def app_layout(title: str, *children: rx.Component) -> rx.Component:
    """The customer frame: brand bar with the user menu, the main menu, the page title and content."""
    return rx.box(
        rx.box(
            rx.hstack(
                brand_mark(),
                rx.spacer(),
                rx.link(
                    "Home",
                    href=routes.SUMINISTROS,
                    color="white",
                    font_weight="600",
                    underline="none",
                    padding="0 0.6em",
                    display=rx.breakpoints(initial="none", sm="block"),  # phones have the menu right below
                ),
                user_menu(),
                rx.text(
                    SessionState.today,
                    color="#cfe0f5",
                    font_size="0.85em",
                    display=rx.breakpoints(initial="none", sm="block"),
                ),
                align="center",
                padding="0.6em 1em",
                max_width="72em",
                margin="0 auto",
            ),
            background=PRIMARY,
        ),
        rx.box(rx.center(nav()), background="white", border_bottom="1px solid #dde3ea"),
        rx.box(
            rx.vstack(
                dni_banner(),
                rx.heading(title, size="7", color=PRIMARY_DARK),
                *children,
                spacing="4",
                width="100%",
            ),
            max_width="72em",
            margin="0 auto",
            padding=["1em 0.75em", "1.5em 1.25em"],
        ),
        footer(),
        background=BG,
        min_height="100vh",
    )
