"""The captcha block: picture, "Otra imagen" button and the "Código de seguridad" field.

The picture is drawn when the person gets to it: focusing the "Código de seguridad" field (or the
"Otra imagen" button) sends `CaptchaState.prepare` — React's focus events bubble to the block — only while
no picture or notice is on screen; after that the browser sends nothing more. Not at page load: most of a
crowd opening the login page has not typed anything yet, and the picture was 2/3 of the page's server time.
"""

from __future__ import annotations

import reflex as rx

from autogestion.components.fields import field
from autogestion.state.captcha import CaptchaState


def draw_on_focus():
    """Ask for the picture, only while there is none (evaluated in the browser: no event otherwise)."""
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
                        "Tocá «Código de seguridad» para ver la imagen.",
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
        on_focus=draw_on_focus(),
    )
