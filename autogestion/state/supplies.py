"""Mis Suministros: the supplies linked to the logged-in user, and "Subir un poder nuevo" for a rejected link."""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import DocumentKind, LinkPublic
from autogestion.services import supplies
from autogestion.services.errors import DomainError
from autogestion.state.guards import customer
from autogestion.state.uploads import REFUSED_BY_BROWSER, read_single_upload

PODER_UPLOAD_ID = "nuevo_poder_upload"


def poder_received(number: str, deadline: str) -> str:
    """What the page says once a new poder is stored (Mis Suministros and the supply's page)."""
    when = (
        f"Lo revisamos antes del {deadline}." if deadline else "Un operador lo revisa dentro de las 24 horas hábiles."
    )
    return f"Recibimos el poder nuevo del suministro N° {number}: la asociación volvió a quedar pendiente de validación. {when}"


class SuppliesState(rx.State):
    rows: list[LinkPublic] = []
    loaded: bool = False
    message: str = ""
    # Set by Asociar Suministro right before it sends the user here; shown once.
    _flash: str = ""
    # "Subir un poder nuevo": the dialog and the link it is for (the service checks it is the user's).
    poder_open: bool = False
    poder_number: str = ""
    poder_reason: str = ""
    poder_error: str = ""
    _poder_number: str = ""

    @rx.var
    def count(self) -> int:
        return len(self.rows)

    @rx.event
    @customer
    async def load(self, user_id: int):
        self.message, self._flash = self._flash, ""
        # Start empty: the tab may still hold the rows of whoever used it before logging out.
        self.rows, self.loaded = [], False
        self._close_poder()
        async with session_scope() as db:
            self.rows = await supplies.list_links(session=db, user_id=user_id)
        self.loaded = True

    def _leave_message(self, message: str) -> None:
        # Private (leading underscore): other states call it; the client cannot, unlike public methods.
        self._flash = message

    # --- "Subir un poder nuevo" -------------------------------------------------------------------

    def _close_poder(self) -> None:
        self.poder_open, self.poder_number, self.poder_reason, self.poder_error = False, "", "", ""
        self._poder_number = ""

    @rx.event
    @customer
    async def choose_poder(self, user_id: int, number: str):
        """**Subir un poder nuevo** on a row: open the upload for that link."""
        row = next((r for r in self.rows if r.number == number and r.can_replace_poder), None)
        if row is None:
            return
        self._close_poder()
        self.poder_number = self._poder_number = row.number
        self.poder_reason = row.reject_reason_text
        self.poder_open = True

    @rx.event
    @customer
    async def poder_dialog_changed(self, user_id: int, is_open: bool):
        """Escape, a click outside or **Cancelar** closes the dialog; only choose_poder opens it."""
        if is_open is not True:
            self._close_poder()

    @rx.event
    @customer
    async def upload_poder(self, user_id: int, files: list[rx.UploadFile]):
        """The new poder: stored, the link back to "pendiente", the poder in the operators' queue."""
        self.poder_error = ""
        if not self._poder_number:
            return
        try:
            upload = await read_single_upload(files)
            async with session_scope() as db:
                row = await supplies.replace_link_poder(
                    session=db,
                    user_id=user_id,
                    supply_number=self._poder_number,
                    data=upload.data,
                    filename=upload.filename,
                    now=utcnow(),
                )
        except DomainError as exc:
            self.poder_error = exc.message
            return
        self._close_poder()
        self.rows = [row if r.number == row.number else r for r in self.rows]
        self.message = poder_received(row.number, row.review_deadline)

    @rx.event
    @customer
    async def poder_rejected(self, user_id: int, rejected_files: list):
        """The browser refused the file (type or size) before sending it."""
        self.poder_error = REFUSED_BY_BROWSER[DocumentKind.PODER]
