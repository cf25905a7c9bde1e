"""Trámites Comerciales page (payment plans arrive with the operator validation)."""

from __future__ import annotations

import reflex as rx

from autogestion.state.session import require_customer


class TramitesState(rx.State):
    @rx.event
    async def load(self):
        _, redirect = await require_customer(self)
        if redirect:
            return redirect
