"""The captcha block: picture, "Otra imagen" button and the "Código de seguridad" field."""

from __future__ import annotations

import reflex as rx

from autogestion.components.fields import field
from autogestion.state.captcha import CaptchaState


def captcha_block(error: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.cond(
                CaptchaState.src != "",
                rx.image(
                    src=CaptchaState.src,
                    alt="Imagen con el código de seguridad",
                    width="200px",
                    height="70px",
                    border="1px solid #dde3ea",
                    border_radius="8px",
                ),
                rx.skeleton(width="200px", height="70px"),
            ),
            rx.icon_button(
                rx.icon("refresh-cw", size=18),
                type="button",
                variant="soft",
                on_click=CaptchaState.refresh,
                aria_label="Otra imagen",
                title="Otra imagen",
            ),
            align="center",
        ),
        rx.cond(
            CaptchaState.notice != "", rx.text(CaptchaState.notice, color="#c62828", font_size="0.85em", role="alert")
        ),
        field(
            "Código de seguridad",
            "captcha",
            error=error,
            ok=False,
            placeholder="Escribí las letras de la imagen",
            max_length=12,
            autocomplete="off",
        ),
        width="100%",
        spacing="2",
    )
