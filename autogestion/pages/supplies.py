"""/suministros: Mis Suministros."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.layout import app_layout
from autogestion.state.supplies import SuppliesState


def suministros() -> rx.Component:
    return app_layout(
        "Mis Suministros",
        rx.text(f"Detalle (", SuppliesState.count, ")"),
        rx.callout("Todavía no tenés suministros asociados. Asociá un suministro a tu cuenta para ver tus facturas.",
                   icon="info", width="100%"),
        rx.link(rx.button("Asociar Suministro"), href=routes.ASOCIAR),
    )
