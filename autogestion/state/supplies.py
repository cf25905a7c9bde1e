"""Mis Suministros page."""

from __future__ import annotations

import reflex as rx

from autogestion.state.session import require_customer


class SuppliesState(rx.State):
    count: int = 0

    @rx.event
    async def load(self):
        _, redirect = await require_customer(self)
        if redirect:
            return redirect
