"""The login session seen from Reflex: an HttpOnly cookie, resolved on the server at every event.

At login the handler turns the service's `LoginTicket` into a claim for this browser tab and hands the
tab a one-time nonce; the page then POSTs both to /api/sesion, which mints the session and sets the
cookie `ag_sid` (HttpOnly, SameSite=Strict), and reloads. The session token therefore never travels in
a websocket message and scripts cannot read it. Every event reads the cookie from the websocket
handshake headers and resolves it against the server-side session row (one query), so losing Reflex's
per-tab state on a reconnect is harmless.

Only `logout` is an event handler here; everything else is private (a leading underscore), because
Reflex makes every public State method callable by any browser.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

import reflex as rx

from autogestion import routes
from autogestion.clock import local_today, utcnow
from autogestion.db import session_scope
from autogestion.http import OPERATOR_COOKIE, SESSION_API, SESSION_COOKIE
from autogestion.models import DniStatus, SessionKind, UserStatus, ViewerPublic
from autogestion.services import sessions
from autogestion.services.formatting import format_date
from autogestion.services.sessions import LoginTicket
from autogestion.state.guards import public


def _go(target: str, method: str, nonce: str = "", *, api: str = SESSION_API) -> rx.event.EventSpec:
    """Script: call the session endpoint (cookie set or cleared over HTTP), then load target.

    On logout the tab also drops its Reflex token, so the next page starts from empty state and
    nothing of the previous user's pages lingers on the server for that tab. `api` is the endpoint's
    address: `SESSION_API + "?tipo=operador"` clears the operator cookie instead of the customer's.
    """
    forget = "window.sessionStorage.removeItem('token'); " if method == "DELETE" else ""
    headers = (
        "{'X-Client-Token': window.sessionStorage.getItem('token') || ''"
        + (f", 'X-Login-Nonce': {json.dumps(nonce)}" if nonce else "")
        + "}"
    )
    return rx.call_script(
        f"fetch({json.dumps(api)}, {{method: {json.dumps(method)}, credentials: 'same-origin', "
        f"headers: {headers}}})"
        f".finally(() => {{ {forget}window.location.assign({json.dumps(target)}); }})"
    )


def _read_cookie(raw: str, name: str) -> str:
    """One cookie's value from a Cookie header ("" when absent or unparsable)."""
    try:
        jar = SimpleCookie(raw or "")
    except Exception:
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel else ""


def has_session_cookie(state: rx.State) -> bool:
    """Whether the tab's websocket handshake carried a customer session cookie (not whether it is live)."""
    return bool(_read_cookie(state.router.headers.cookie or "", SESSION_COOKIE))


def landing_for(status: str, dni_status: str = "") -> str:
    """Where an account belongs: a half-done registration resumes at its step; a DNI photo judged NO
    LEGIBLE sends the customer to Mi Perfil to upload a new one before anything else (the manual)."""
    if status == UserStatus.PENDING_DATA:
        return routes.REGISTRO_DATOS
    if status == UserStatus.PENDING_CODES:
        return routes.REGISTRO_CODIGO
    if dni_status == DniStatus.NOT_LEGIBLE:
        return routes.PERFIL
    return routes.SUMINISTROS


class SessionState(rx.State):
    """Who is looking: display-only facts (name, DNI review banner, unread count); the credential stays
    in the cookie."""

    user_name: str = ""
    dni_status: str = ""
    unread: int = 0
    today: str = ""

    def _cookie_token(self, name: str = SESSION_COOKIE) -> str:
        """The session id from the HttpOnly cookie sent with the websocket handshake (the customer's
        `ag_sid` unless name says otherwise)."""
        return _read_cookie(self.router.headers.cookie or "", name)

    async def _viewer(self) -> ViewerPublic | None:
        """The authenticated customer behind the cookie, or None (and the display vars cleared)."""
        token = self._cookie_token()
        viewer = None
        if token:
            async with session_scope() as db:
                viewer = await sessions.resolve_viewer(session=db, token=token, now=utcnow())
        if viewer is None:
            self.user_name, self.dni_status, self.unread = "", "", 0
            return None
        self.user_name, self.dni_status, self.unread = viewer.full_name, viewer.dni_status, viewer.unread
        self.today = format_date(local_today())  # the manual's header shows the date beside the session
        return viewer

    async def _start(self, ticket: LoginTicket, target: str) -> rx.event.EventSpec:
        """Log this tab in with a ticket from a credential check, then go to target.

        A claim now (bound to the tab's token and a fresh nonce that only this response carries), a
        brand-new session when the browser redeems both over HTTP. The claim takes its kind from the
        ticket, so /api/sesion sets `ag_op` for an operator and `ag_sid` for a customer; the session
        replaced is the one of the same kind.
        """
        old = self._cookie_token(OPERATOR_COOKIE if ticket.kind == SessionKind.OPERATOR else SESSION_COOKIE)
        async with session_scope() as db:
            if old:  # never keep a session id from before the login
                await sessions.revoke_session(session=db, token=old, now=utcnow())
            nonce = await sessions.create_claim(
                session=db, ticket=ticket, client_token=self.router.session.client_token, now=utcnow()
            )
        return _go(target, "POST", nonce)

    @rx.event
    @public
    async def logout(self):
        """ "Salir" in the user menu: the session ends on the server, then the cookie is cleared."""
        token = self._cookie_token()
        if token:
            async with session_scope() as db:
                await sessions.revoke_session(session=db, token=token, now=utcnow())
        self.user_name, self.dni_status, self.unread = "", "", 0
        return _go(routes.LOGIN, "DELETE")
