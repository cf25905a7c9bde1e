"""The login session seen from Reflex: an HttpOnly cookie, resolved on the server at every event.

At login the handler only records a claim for this browser tab; the page then POSTs to /api/sesion,
which mints the session and sets the cookie `ag_sid` (HttpOnly, SameSite=Strict), and reloads. The
session token therefore never travels in a websocket message and scripts cannot read it. Every event
reads the cookie from the websocket handshake headers and resolves it against the server-side
session row, so losing Reflex's per-tab state on a reconnect is harmless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.cookies import SimpleCookie

import reflex as rx

from autogestion import routes
from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.http import SESSION_API, SESSION_COOKIE
from autogestion.models import DniStatus, UserStatus
from autogestion.services import accounts, notifications, sessions



@dataclass(frozen=True)
class Viewer:
    user_id: int
    status: str


def _go(target: str, method: str) -> rx.event.EventSpec:
    """Script: call the session endpoint (cookie set or cleared over HTTP), then load target.

    On logout the tab also drops its Reflex token, so the next page starts from empty state and
    nothing of the previous user's pages lingers on the server for that tab.
    """
    forget = "window.sessionStorage.removeItem('token'); " if method == "DELETE" else ""
    return rx.call_script(
        f"fetch({json.dumps(SESSION_API)}, {{method: {json.dumps(method)}, credentials: 'same-origin', "
        f"headers: {{'X-Client-Token': window.sessionStorage.getItem('token') || ''}}}})"
        f".finally(() => {{ {forget}window.location.assign({json.dumps(target)}); }})"
    )


class SessionState(rx.State):
    """Who is looking: display-only facts (name, DNI review banner); the credential stays in the cookie."""

    user_name: str = ""
    dni_status: str = ""
    unread: int = 0

    def cookie_token(self) -> str:
        """The session id from the HttpOnly cookie sent with the websocket handshake."""
        raw = self.router.headers.cookie or ""
        try:
            jar = SimpleCookie(raw)
        except Exception:
            return ""
        morsel = jar.get(SESSION_COOKIE)
        return morsel.value if morsel else ""

    async def viewer(self) -> Viewer | None:
        """The authenticated account behind the cookie, or None (and the display vars cleared)."""
        token = self.cookie_token()
        if not token:
            self._clear()
            return None
        async with session_scope() as db:
            user_id = await sessions.resolve_session(db, token=token, now=utcnow())
            if user_id is None:
                self._clear()
                return None
            user = await accounts.get_user_public(db, user_id=user_id)
            status = await accounts.registration_status(db, user_id=user_id)
            self.unread = await notifications.unread_count(db, user_id=user_id)
        self.user_name = user.full_name or user.doc_number
        self.dni_status = user.dni_status
        return Viewer(user_id=user_id, status=status)

    def _clear(self) -> None:
        self.user_name = ""
        self.dni_status = ""
        self.unread = 0

    async def start(self, user_id: int, target: str) -> rx.event.EventSpec:
        """Log user_id in and go to target: a claim now, a brand-new session when the browser redeems it."""
        old = self.cookie_token()
        async with session_scope() as db:
            if old:  # never keep a session id from before the login
                await sessions.revoke_session(db, token=old, now=utcnow())
            await sessions.create_claim(db, client_token=self.router.session.client_token, user_id=user_id, now=utcnow())
        return _go(target, "POST")

    @rx.event
    async def logout(self):
        """"Salir" in the user menu: the session ends on the server, then the cookie is cleared."""
        token = self.cookie_token()
        if token:
            async with session_scope() as db:
                await sessions.revoke_session(db, token=token, now=utcnow())
        self._clear()
        return _go(routes.LOGIN, "DELETE")


def step_for(status: str) -> str:
    """Where an account in this status belongs (half-done registrations resume at their step)."""
    if status == UserStatus.PENDING_DATA:
        return routes.REGISTRO_DATOS
    if status == UserStatus.PENDING_CODES:
        return routes.REGISTRO_CODIGO
    return routes.SUMINISTROS


async def require_customer(state: rx.State, *, allow_unreadable_dni: bool = False) -> tuple[int | None, rx.event.EventSpec | None]:
    """(user_id, None) for an active customer; otherwise (None, the redirect to send).

    A customer whose DNI photo an operator judged NO LEGIBLE is sent to Mi Perfil to upload a new one
    before anything else (the manual); only Mi Perfil passes allow_unreadable_dni.
    """
    session_state = await state.get_state(SessionState)
    viewer = await session_state.viewer()
    if viewer is None:
        return None, rx.redirect(routes.LOGIN)
    if viewer.status != UserStatus.ACTIVE:
        return None, rx.redirect(step_for(viewer.status))
    if not allow_unreadable_dni and session_state.dni_status == DniStatus.NOT_LEGIBLE:
        return None, rx.redirect(routes.PERFIL)
    return viewer.user_id, None

