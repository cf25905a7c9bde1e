"""Mis Suministros: the supplies linked to the logged-in user."""

from __future__ import annotations

import reflex as rx

from autogestion.db import session_scope
from autogestion.models import LinkPublic
from autogestion.services import supplies
from autogestion.state.guards import customer


class SuppliesState(rx.State):
    rows: list[LinkPublic] = []
    loaded: bool = False
    message: str = ""
    # Set by Asociar Suministro right before it sends the user here; shown once.
    _flash: str = ""

    @rx.var
    def count(self) -> int:
        return len(self.rows)

    @rx.event
    @customer
    async def load(self, user_id: int):
        self.message, self._flash = self._flash, ""
        # Start empty: the tab may still hold the rows of whoever used it before logging out.
        self.rows, self.loaded = [], False
        async with session_scope() as db:
            self.rows = await supplies.list_links(session=db, user_id=user_id)
        self.loaded = True

    def _leave_message(self, message: str) -> None:
        # Private (leading underscore): other states call it; the client cannot, unlike public methods.
        self._flash = message
