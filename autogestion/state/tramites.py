"""Trámites Comerciales page (payment plans arrive with the operator validation)."""

from __future__ import annotations

import reflex as rx

from autogestion.state.guards import customer


class TramitesState(rx.State):
    @rx.event
    @customer
    async def load(self, user_id: int):
        """Only customers see the page (the guard redirects everyone else)."""
