"""/dev/bandeja: what the local SMTP sink and SMS outbox captured (development and QA only)."""

from __future__ import annotations

import reflex as rx

from autogestion.components.layout import public_layout
from autogestion.components.theme import MUTED
from autogestion.state.dev_inbox import DevInboxState


def _message(m) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(m.channel),
            rx.text(m.recipient, font_weight="600"),
            rx.text(m.date, color=MUTED, font_size="0.8em"),
            wrap="wrap",
        ),
        rx.cond(m.subject != "", rx.text(m.subject, font_weight="700")),
        rx.text(m.body, white_space="pre-wrap", font_size="0.85em"),
        border_bottom="1px solid #dde3ea",
        padding_bottom="0.8em",
        width="100%",
        align="start",
    )


def dev_bandeja() -> rx.Component:
    return public_layout(
        rx.heading("Bandeja de desarrollo", size="6"),
        rx.text("Mensajes capturados por el SMTP local y el outbox de SMS. No existe en producción.", color=MUTED),
        rx.button("Actualizar", on_click=DevInboxState.load, variant="soft"),
        rx.cond(
            DevInboxState.refused,
            rx.callout(
                "Esta bandeja solo se ve desde la misma máquina que corre el portal.",
                icon="shield-alert",
                color_scheme="red",
            ),
        ),
        rx.foreach(DevInboxState.messages, _message),
        max_width="50em",
    )
