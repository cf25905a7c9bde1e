"""/notificaciones: the e-mails and SMS the portal sent, newest first."""

from __future__ import annotations

import reflex as rx

from autogestion.components.layout import app_layout
from autogestion.components.theme import CARD, MUTED, PRIMARY_DARK
from autogestion.state.notifications import NotificationsState


def _item(item) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(item.channel, color_scheme=rx.cond(item.channel == "SMS", "green", "blue")),
            rx.cond(item.unread, rx.badge("Nuevo", color_scheme="amber")),
            rx.text(item.when, color=MUTED, font_size="0.85em"),
            wrap="wrap",
            align="center",
        ),
        rx.text(item.title, font_weight="700", color=PRIMARY_DARK),
        rx.text(item.text, white_space="pre-wrap", font_size="0.9em"),
        style=CARD,
        spacing="2",
        align="start",
    )


def notificaciones() -> rx.Component:
    return app_layout(
        "Notificaciones",
        rx.cond(
            NotificationsState.items.length() > 0,
            rx.vstack(rx.foreach(NotificationsState.items, _item), spacing="3", width="100%"),
            rx.text("Todavía no te enviamos notificaciones.", color=MUTED),
        ),
    )
