"""The captcha block: picture, "Otra imagen" button and the "Código de seguridad" field.

The picture is drawn when the person starts filling in the form: pass `draw_on_focus()` as the form's
`on_focus` (React's focus events bubble, so any field's first focus sends `CaptchaState.prepare`; once a
picture or a notice is on screen the browser sends nothing more).
"""

from __future__ import annotations

import reflex as rx

from autogestion.components.fields import field
from autogestion.state.captcha import CaptchaState


def draw_on_focus():
    """The `on_focus` of a form with a captcha: ask for its picture, only while there is none."""
    return rx.cond((CaptchaState.src == "") & (CaptchaState.notice == ""), CaptchaState.prepare, rx.noop())


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
                rx.center(
                    rx.text(
                        "La imagen aparece cuando empezás a completar el formulario.",
                        font_size="0.8em",
                        color="#4a5868",
                        text_align="center",
                    ),
                    width="200px",
                    height="70px",
                    padding="6px",
                    border="1px dashed #b8c2cc",
                    border_radius="8px",
                    background="#f6f8fa",
                ),
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
