"""/pagos/demo/[id]: the demo checkout — "Demostración — no se cobra nada" — with Aprobar / Rechazar."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.layout import app_layout
from autogestion.components.theme import CARD, ERROR, MUTED, PRIMARY_DARK
from autogestion.models import PaymentStatus
from autogestion.state.checkout import CheckoutState as S


def _result() -> rx.Component:
    c = S.checkout
    return rx.cond(
        c.status == PaymentStatus.APPROVED,
        rx.callout(
            rx.cond(
                c.return_url == routes.TRAMITES,  # a plan's cuota, paid at once
                "Pago aprobado. La cuota figura como pagada en Trámites Comerciales.",
                "Pago aprobado. La factura queda como «Pago en acreditación» hasta que se registre en el sistema "
                "comercial.",
            ),
            icon="circle-check",
            color_scheme="green",
            high_contrast=True,
            width="100%",
            role="status",
        ),
        rx.callout(
            "Pago rechazado. No se registró ningún pago; podés intentarlo de nuevo desde tus facturas.",
            icon="circle-x",
            color_scheme="red",
            high_contrast=True,
            width="100%",
            role="status",
        ),
    )


def _checkout() -> rx.Component:
    c = S.checkout
    return rx.vstack(
        rx.callout.root(
            rx.callout.icon(rx.icon("flask-conical")),
            rx.callout.text(
                rx.text.strong("Demostración — no se cobra nada."), " Esta página simula el medio de pago."
            ),
            color_scheme="amber",
            high_contrast=True,
            width="100%",
            role="note",
        ),
        rx.vstack(
            rx.text(c.title, font_weight="700", color=PRIMARY_DARK),
            rx.text(c.amount, font_size="1.8em", font_weight="800", color=PRIMARY_DARK),
            rx.text("Estado: ", c.status_label, color=MUTED),
            rx.cond(
                c.status == PaymentStatus.PENDING,
                rx.hstack(
                    rx.button(rx.icon("check", size=16), "Aprobar pago", color_scheme="green", on_click=S.approve),
                    rx.button(
                        rx.icon("x", size=16), "Rechazar pago", color_scheme="red", variant="soft", on_click=S.reject
                    ),
                    spacing="3",
                    wrap="wrap",
                ),
                _result(),
            ),
            rx.cond(S.error != "", rx.text(S.error, color=ERROR, role="alert")),
            rx.link(
                rx.button(rx.icon("arrow-left", size=16), "Volver", variant="soft"),
                href=c.return_url,
            ),
            style=CARD,
            spacing="3",
            align="start",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _not_found() -> rx.Component:
    return rx.vstack(
        rx.text("Pago no encontrado.", font_weight="700", font_size="1.1em"),
        rx.link(
            rx.button(rx.icon("arrow-left", size=16), "Volver a Mis Suministros", variant="soft"),
            href=routes.SUMINISTROS,
        ),
        style=CARD,
        spacing="3",
        align="start",
    )


def pago_demo() -> rx.Component:
    return app_layout(
        "Pagar",
        rx.cond(
            S.loaded,
            rx.cond(S.not_found, _not_found(), _checkout()),
            rx.center(rx.spinner(size="3"), width="100%", padding="2em"),
        ),
    )
