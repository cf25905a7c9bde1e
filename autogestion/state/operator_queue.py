"""The operator's queue (/operador): counters, filters by kind and state, search, one page of items, and
"Levantar bloqueo de asociación".

Who is logged in lives in `OperatorSessionState` (refreshed by the `@operator` guard at every event), so the
page shows the login form the moment an operator session ends, whichever handler noticed it.
"""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import QueueCountersPublic, QueuePagePublic, QueueRowPublic
from autogestion.services import review
from autogestion.services.errors import DomainError
from autogestion.state.forms import clean, place, text
from autogestion.state.guards import operator, public
from autogestion.state.operator_session import OperatorSessionState

KINDS = ("", "dni", "poder", "link")  # Todos, Fotos de DNI, Poderes, Asociaciones disputadas
STATES = ("pendiente", "vencido", "resuelto")
LIFT_FIELDS = ("supply_number", "reason")
SEARCH_MAX = 40


class OperatorQueueState(rx.State):
    checked: bool = False  # load has run: the page may show the queue or the login form
    rows: list[QueueRowPublic] = []  # one page only (the service's page size)
    counters: QueueCountersPublic = QueueCountersPublic()
    page_number: int = 1
    total_pages: int = 1
    total_rows: int = 0
    filter_kind: str = ""
    filter_state: str = "pendiente"
    search: str = ""
    error: str = ""
    lift_errors: dict[str, str] = clean(LIFT_FIELDS)
    lift_error: str = ""
    lift_message: str = ""

    def _clear(self) -> None:
        self.rows, self.counters = [], QueueCountersPublic()
        self.page_number, self.total_pages, self.total_rows, self.error = 1, 1, 0, ""
        self.lift_errors, self.lift_error, self.lift_message = clean(LIFT_FIELDS), "", ""

    def _show(self, shown: QueuePagePublic) -> None:
        self.rows, self.counters = shown.rows, shown.counters
        self.page_number, self.total_pages, self.total_rows = shown.page, shown.total_pages, shown.total_rows
        self.error = ""

    async def _fetch(self, page: int) -> None:
        try:
            async with session_scope() as db:
                shown = await review.queue_page(
                    session=db,
                    now=utcnow(),
                    kind=self.filter_kind,
                    state=self.filter_state,
                    search=self.search,
                    page=max(1, page),
                )
        except DomainError as exc:
            self.error = exc.message
            return
        self._show(shown)

    @rx.event
    @public
    async def load(self):
        """/operador's on_load (after the login form's): the queue when an operator is logged in, nothing
        otherwise (the page then shows the login form; no redirect, this is where it would go)."""
        who = await (await self.get_state(OperatorSessionState))._operator()
        self.checked = True
        if who is None:
            self._clear()
            return
        self.lift_errors, self.lift_error, self.lift_message = clean(LIFT_FIELDS), "", ""
        await self._fetch(1)

    @rx.event
    @operator
    async def refresh(self, operator_id: int):
        """**Actualizar**: the same page again, with fresh counters."""
        await self._fetch(self.page_number)

    @rx.event
    @operator
    async def filter_by_kind(self, operator_id: int, kind: str):
        """Todos / Fotos de DNI / Poderes / Asociaciones disputadas."""
        if kind not in KINDS:
            return
        self.filter_kind = kind
        await self._fetch(1)

    @rx.event
    @operator
    async def filter_by_state(self, operator_id: int, value: str):
        """Pendientes / Vencidos / Resueltos."""
        if value not in STATES:
            return
        self.filter_state = value
        await self._fetch(1)

    @rx.event
    @operator
    async def search_items(self, operator_id: int, form: dict):
        """**Buscar** by the customer's document or the supply number ("" shows everything)."""
        self.search = text(form, "search").strip()[:SEARCH_MAX]
        await self._fetch(1)

    @rx.event
    @operator
    async def clear_search(self, operator_id: int):
        self.search = ""
        await self._fetch(1)
        return rx.set_value("search", "")

    @rx.event
    @operator
    async def next_page(self, operator_id: int):
        await self._fetch(self.page_number + 1)

    @rx.event
    @operator
    async def previous_page(self, operator_id: int):
        await self._fetch(self.page_number - 1)

    @rx.event
    @operator
    async def lift_lock(self, operator_id: int, form: dict):
        """**Levantar bloqueo**: reopen linking a supply that wrong quiz answers locked for everyone."""
        self.lift_errors, self.lift_error, self.lift_message = clean(LIFT_FIELDS), "", ""
        try:
            async with session_scope() as db:
                number = await review.lift_quiz_lock(
                    session=db,
                    operator_id=operator_id,
                    supply_number=text(form, "supply_number"),
                    reason=text(form, "reason"),
                    now=utcnow(),
                )
        except DomainError as exc:
            self.lift_errors, self.lift_error = place(LIFT_FIELDS, exc)
            return
        self.lift_message = f"Listo: el suministro N° {number} ya puede asociarse de nuevo."
        return [rx.set_value("lift_supply_number", ""), rx.set_value("lift_reason", "")]
