"""The operator's session seen from Reflex: the HttpOnly cookie `ag_op`, resolved on the server at every event.

Operators log in like customers (a `LoginTicket` → a claim for this tab → `POST /api/sesion`), but the
claim's kind is "operator", so the endpoint sets `ag_op` instead of the customer's `ag_sid`: the two kinds
of session never share a cookie, and a customer session never resolves here (`AuthSession.kind` is part
of the lookup). `@operator` (state/guards.py) calls `_operator()` before every operator handler.

Only `logout` is an event handler; the cookie and the lookup are private helpers.
"""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.http import OPERATOR_COOKIE, SESSION_API
from autogestion.models import OperatorPublic
from autogestion.services import operators, sessions
from autogestion.state.guards import operator
from autogestion.state.session import _go, _read_cookie

# `DELETE` on this address clears `ag_op` (and only it): see http.close_session.
OPERATOR_SESSION_API = SESSION_API + "?tipo=operador"


class OperatorSessionState(rx.State):
    """Who is working the back office: display-only facts, refreshed at every guarded event; the
    credential stays in the cookie. Pages use `signed_in` to show the queue or the login form."""

    signed_in: bool = False
    operator_name: str = ""  # full name, or the username when there is none
    operator_username: str = ""
    is_supervisor: bool = False

    def _operator_token(self) -> str:
        """The operator session id from the HttpOnly cookie sent with the websocket handshake."""
        return _read_cookie(self.router.headers.cookie or "", OPERATOR_COOKIE)

    def _show(self, who: OperatorPublic | None) -> None:
        self.signed_in = who is not None
        self.operator_name = (who.full_name or who.username) if who else ""
        self.operator_username = who.username if who else ""
        self.is_supervisor = bool(who and who.is_supervisor)

    async def _operator(self) -> OperatorPublic | None:
        """The active operator behind the `ag_op` cookie, or None (and the display vars cleared)."""
        token = self._operator_token()
        who = None
        if token:
            async with session_scope() as db:
                who = await operators.resolve_operator(session=db, token=token, now=utcnow())
        self._show(who)
        return who

    @rx.event
    @operator
    async def logout(self, operator_id: int):
        """ "Salir" of the back office: the operator session ends on the server, then `ag_op` is cleared
        (a customer session in the same browser is left alone)."""
        token = self._operator_token()
        async with session_scope() as db:
            await sessions.revoke_session(session=db, token=token, now=utcnow())
        self._show(None)
        return _go(routes.OPERADOR, "DELETE", api=OPERATOR_SESSION_API)
