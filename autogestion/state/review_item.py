"""One item of the operator's queue (/operador/item/<id>): opening it reserves it; the document is shown
through a link signed for this operator; a decision is confirmed, then recorded once; "Volver a la cola"
gives it back."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.http import file_url
from autogestion.models import ReviewItemPublic
from autogestion.services import review
from autogestion.services.documents import sign_link
from autogestion.services.errors import DomainError
from autogestion.state.forms import text
from autogestion.state.guards import operator

# The document link lives as long as the reservation: the page can show it for as long as the operator may decide.
DOCUMENT_LINK_TTL_S = int(review.RESERVATION.total_seconds())
NEGATIVE = {decision.value for decision in review.NEGATIVE}


class ReviewItemState(rx.State):
    loaded: bool = False
    not_found: str = ""  # the service's message when there is no such item
    item: ReviewItemPublic = ReviewItemPublic()
    document_url: str = ""  # /api/archivo/<token signed for this operator>; never a path
    chosen: str = ""  # the decision waiting for confirmation
    chosen_label: str = ""
    chosen_negative: bool = False  # it needs a reason
    confirm_open: bool = False
    reason_error: str = ""
    error: str = ""  # a refusal of the decision (another operator holds it, already decided, reservation over)
    notice: str = ""

    _item_id: int = 0

    def _route_item_id(self) -> int:
        raw = str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else 0

    def _clear(self) -> None:
        self.loaded, self.not_found, self.item, self.document_url = False, "", ReviewItemPublic(), ""
        self._close_dialog()
        self.error, self.notice, self._item_id = "", "", 0

    def _close_dialog(self) -> None:
        self.chosen, self.chosen_label, self.chosen_negative = "", "", False
        self.confirm_open, self.reason_error = False, ""

    def _show(self, item: ReviewItemPublic, operator_id: int) -> None:
        self.item, self._item_id = item, item.id
        self.document_url = (
            file_url(sign_link("opdoc", item.document_id, operator_id, ttl_s=DOCUMENT_LINK_TTL_S))
            if item.document_id
            else ""
        )

    @rx.event
    @operator
    async def load(self, operator_id: int):
        """Open the item of the URL: reserve it for 15 minutes when it is free (the service logs the view)."""
        self._clear()
        try:
            async with session_scope() as db:
                item = await review.open_item(
                    session=db, operator_id=operator_id, item_id=self._route_item_id(), now=utcnow()
                )
        except DomainError as exc:
            self.not_found, self.loaded = exc.message, True
            return
        self._show(item, operator_id)
        self.loaded = True

    @rx.event
    @operator
    async def choose(self, operator_id: int, decision: str):
        """A decision button: ask for confirmation (and for the reason, when it rejects)."""
        labels = dict(self.item.decisions)
        if not self.item.can_decide or decision not in labels:
            return
        self.error, self.reason_error = "", ""
        self.chosen, self.chosen_label = decision, labels[decision]
        self.chosen_negative = decision in NEGATIVE
        self.confirm_open = True

    @rx.event
    @operator
    async def dialog_changed(self, operator_id: int, is_open: bool):
        """Escape or a click outside closes the confirmation; the client can never open it by itself."""
        if is_open is not True:
            self._close_dialog()

    @rx.event
    @operator
    async def cancel(self, operator_id: int):
        """**Cancelar** in the confirmation."""
        self._close_dialog()

    @rx.event
    @operator
    async def decide_item(self, operator_id: int, form: dict):
        """**Confirmar**: record the decision (the service refuses it unless this operator holds the item)."""
        if not self.chosen or not self._item_id:
            self._close_dialog()
            return
        try:
            async with session_scope() as db:
                item = await review.decide(
                    session=db,
                    operator_id=operator_id,
                    item_id=self._item_id,
                    decision=self.chosen,
                    reason=text(form, "reason") if self.chosen_negative else "",
                    now=utcnow(),
                )
        except DomainError as exc:
            if exc.field == "reason":
                self.reason_error = exc.message
                return
            self._close_dialog()
            self.error = exc.message
            self.item = self.item.model_copy(update={"can_decide": False})
            return
        self._close_dialog()
        self._show(item, operator_id)
        self.notice = f"Decisión registrada: {item.decision_label}. Se le avisó al cliente por e-mail y SMS."

    @rx.event
    @operator
    async def release(self, operator_id: int):
        """**Volver a la cola**: give the item back (when this operator holds it) and go to the queue."""
        if self._item_id:
            try:
                async with session_scope() as db:
                    await review.release_item(session=db, operator_id=operator_id, item_id=self._item_id)
            except DomainError:
                pass  # gone meanwhile: the queue is where we go anyway
        self._clear()
        return rx.redirect(routes.OPERADOR)
