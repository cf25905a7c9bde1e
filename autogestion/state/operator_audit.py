"""The audit log and the team's figures (/operador/auditoria), for supervisors only."""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import AuditPagePublic, AuditRowPublic, TeamFigurePublic
from autogestion.services import review
from autogestion.services.errors import DomainError
from autogestion.state.guards import operator

ACTION_LABELS = {"ver": "Vio el documento", "decidir": "Decidió", "levantar_bloqueo": "Levantó un bloqueo"}
DECISION_LABELS: dict[str, str] = {}
for _options in review.DECISIONS.values():  # the first label wins: "rechazado" reads RECHAZADO, not RECHAZAR
    for _value, _label in _options.items():
        DECISION_LABELS.setdefault(_value.value, _label)
REASON_LABELS = {reason.value: label for reason, label in review.REASON_LABELS.items()}


def _readable(row: AuditRowPublic) -> AuditRowPublic:
    """The log's codes in the words the queue uses (a lifted lock's reason is the operator's own text)."""
    return row.model_copy(
        update={
            "action": ACTION_LABELS.get(row.action, row.action),
            "decision": DECISION_LABELS.get(row.decision, row.decision),
            "reason": REASON_LABELS.get(row.reason, row.reason),
        }
    )


class OperatorAuditState(rx.State):
    loaded: bool = False
    rows: list[AuditRowPublic] = []
    team: list[TeamFigurePublic] = []
    page_number: int = 1
    total_pages: int = 1
    error: str = ""

    def _show(self, shown: AuditPagePublic) -> None:
        self.rows = [_readable(row) for row in shown.rows]
        self.page_number, self.total_pages, self.error = shown.page, shown.total_pages, ""

    @rx.event
    @operator(supervisor=True)
    async def load(self, operator_id: int):
        """The newest page of the log and the team's decisions today and in the last 7 days."""
        try:
            async with session_scope() as db:
                shown = await review.audit_page(session=db, page=1)
                self.team = await review.team_figures(session=db, now=utcnow())
        except DomainError as exc:
            self.error = exc.message
            return
        self._show(shown)
        self.loaded = True

    async def _go(self, page: int) -> None:
        try:
            async with session_scope() as db:
                shown = await review.audit_page(session=db, page=max(1, page))
        except DomainError as exc:
            self.error = exc.message
            return
        self._show(shown)

    @rx.event
    @operator(supervisor=True)
    async def next_page(self, operator_id: int):
        await self._go(self.page_number + 1)

    @rx.event
    @operator(supervisor=True)
    async def previous_page(self, operator_id: int):
        await self._go(self.page_number - 1)
