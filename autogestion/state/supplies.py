"""Mis Suministros: the supplies linked to the logged-in user."""

from __future__ import annotations

import reflex as rx

from autogestion.db import session_scope
from autogestion.services import supplies
from autogestion.services.supplies import LinkRow
from autogestion.state.session import require_customer


class SuppliesState(rx.State):
    rows: list[LinkRow] = []
    loaded: bool = False
    message: str = ""
    # Set by Asociar Suministro right before it sends the user here; shown once.
    _flash: str = ""

    @rx.var
    def count(self) -> int:
        return len(self.rows)

    @rx.event
    async def load(self):
        self.message, self._flash = self._flash, ""
        # Start empty: the tab may still hold the rows of whoever used it before logging out.
        self.rows, self.loaded = [], False
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        async with session_scope() as db:
            self.rows = await supplies.list_links(session=db, user_id=user_id)
        self.loaded = True

    def _leave_message(self, message: str) -> None:
        # Private (leading underscore): other states call it; the client cannot, unlike public methods.
        self._flash = message
