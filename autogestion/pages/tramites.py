"""/tramites: Trámites Comerciales, disabled until an operator validates a supply."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.layout import app_layout
from autogestion.components.theme import CARD, MUTED


def tramites() -> rx.Component:
    return app_layout(
        "Trámites Comerciales",
        rx.vstack(
            rx.hstack(
                rx.icon("lock", size=20), rx.text("Planes de Pago y otros trámites", font_weight="700"), align="center"
            ),
            rx.text(
                "Se habilitan cuando un operador de la Distribuidora valida tu suministro, dentro de las 24 horas hábiles "
                "de asociarlo. Te avisamos por SMS y por e-mail. Mientras tanto podés consultar, imprimir y pagar tus facturas.",
                color=MUTED,
            ),
            rx.link(rx.button("Ver Mis Suministros", variant="soft"), href=routes.SUMINISTROS),
            style=CARD,
            align="start",
            spacing="3",
        ),
    )
