"""/suministros/desconocer/[token]: "yo no autoricé esto", opened from the holder's e-mail (no login)."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.layout import public_layout
from autogestion.components.theme import MUTED, PRIMARY_DARK
from autogestion.state.dispute import DisputeState as S


def _fact(label: str, value) -> rx.Component:
    return rx.hstack(
        rx.text(label, color=MUTED, min_width="9em"),
        rx.text(value, font_weight="600"),
        wrap="wrap",
        width="100%",
        spacing="2",
    )


def _facts() -> rx.Component:
    d = S.dispute
    return rx.vstack(
        _fact("Suministro N°", d.supply_number),
        _fact("Asociado por", d.linker_masked),
        _fact("Asociado el", d.linked_at),
        spacing="2",
        width="100%",
        padding="0.9em 1em",
        border="1px solid #d5dde7",
        border_radius="10px",
        background="#f8fafd",
    )


def _ask() -> rx.Component:
    d = S.dispute
    return rx.vstack(
        rx.text(
            "El ",
            d.linked_at,
            " el usuario registrado ",
            rx.text.strong(d.linker_masked),
            " asoció tu Suministro N° ",
            rx.text.strong(d.supply_number),
            " a su cuenta como apoderado, presentando un poder.",
        ),
        _facts(),
        rx.text(
            "Si no le otorgaste un poder a esa persona, avisanos: un operador revisará la asociación con prioridad y "
            "te informaremos por e-mail lo que resuelva.",
            color=MUTED,
        ),
        rx.button(
            rx.icon("shield-alert", size=18),
            "No autoricé esta asociación",
            size="3",
            color_scheme="red",
            high_contrast=True,
            width="100%",
            on_click=S.ask,
        ),
        rx.text("Si la autorizaste, no hace falta que hagas nada.", color=MUTED, font_size="0.88em"),
        spacing="4",
        width="100%",
    )


def _received() -> rx.Component:
    d = S.dispute
    return rx.vstack(
        rx.callout.root(
            rx.callout.icon(rx.icon("circle-check")),
            rx.callout.text(
                rx.cond(
                    d.already_received,
                    rx.text.span(
                        rx.text.strong("Ya recibimos tu aviso"), " sobre el Suministro N° ", d.supply_number, "."
                    ),
                    rx.text.span(
                        rx.text.strong("Recibimos tu aviso"),
                        ": no autorizaste la asociación del Suministro N° ",
                        d.supply_number,
                        ".",
                    ),
                ),
            ),
            color_scheme="green",
            high_contrast=True,
            width="100%",
            role="status",
        ),
        _facts(),
        rx.text(
            "Un operador revisa la asociación con prioridad y te informaremos por e-mail lo que resuelva.",
            color=MUTED,
        ),
        rx.cond(
            d.received_at != "",
            rx.text("Aviso recibido el ", d.received_at, ".", color=MUTED, font_size="0.88em"),
        ),
        spacing="4",
        width="100%",
    )


def _invalid() -> rx.Component:
    return rx.vstack(
        rx.callout(S.error, icon="triangle-alert", color_scheme="red", high_contrast=True, width="100%", role="alert"),
        rx.link(
            rx.button("Ir al Portal de Autogestión", variant="soft", width="100%"), href=routes.INDEX, width="100%"
        ),
        spacing="4",
        width="100%",
    )


def _confirm_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("No autoricé esta asociación"),
            rx.alert_dialog.description(
                "¿Confirmás que no autorizaste que ",
                S.dispute.linker_masked,
                " asocie el Suministro N° ",
                S.dispute.supply_number,
                " a su cuenta?",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Volver", variant="soft", color_scheme="gray", size="3")),
                rx.alert_dialog.action(
                    rx.button(
                        "Sí, no la autoricé", color_scheme="red", high_contrast=True, size="3", on_click=S.confirm
                    )
                ),
                gap="3",
                justify="end",
                wrap="wrap",
                margin_top="1em",
            ),
            max_width="28em",
        ),
        open=S.confirm_open,
        on_open_change=S.dialog_changed,
    )


def desconocer() -> rx.Component:
    return public_layout(
        rx.heading("Asociación de tu suministro", size="7", color=PRIMARY_DARK),
        rx.cond(
            S.loaded,
            rx.cond(S.error != "", _invalid(), rx.cond(S.dispute.received, _received(), _ask())),
            rx.center(rx.spinner(size="3"), width="100%", padding="2em"),
        ),
        _confirm_dialog(),
        max_width="36em",
    )
