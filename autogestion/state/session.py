"""The login session seen from Reflex: an opaque id in a cookie, resolved on the server at every event.

The cookie is client-settable, so it holds nothing but a random id; who the user is always comes from
the server-side session row (which also survives Reflex's per-tab token changing on reconnects).
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from autogestion import routes
from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import DniStatus, UserStatus
from autogestion.services import accounts, sessions

SESSION_MAX_AGE = 12 * 3600


@dataclass(frozen=True)
class Viewer:
    user_id: int
    status: str


class SessionState(rx.State):
    """Who is looking: the cookie id plus display-only facts (name, DNI review banner)."""

    auth_token: str = rx.Cookie("", name="ag_sid", path="/", max_age=SESSION_MAX_AGE, same_site="strict")
    user_name: str = ""
    dni_status: str = ""

    async def viewer(self) -> Viewer | None:
        """The authenticated account behind the cookie, or None (and the display vars cleared)."""
        token = self.auth_token
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
        self.user_name = user.full_name or user.doc_number
        self.dni_status = user.dni_status
        return Viewer(user_id=user_id, status=status)

    def _clear(self) -> None:
        self.user_name = ""
        self.dni_status = ""

    async def start(self, user_id: int) -> None:
        """Log user_id in: a brand-new server-side session (never reuse an earlier id)."""
        if self.auth_token:
            await self.end()
        async with session_scope() as db:
            self.auth_token = await sessions.create_session(db, user_id=user_id, now=utcnow())

    async def end(self) -> None:
        """Revoke the session on the server and forget the cookie."""
        if self.auth_token:
            async with session_scope() as db:
                await sessions.revoke_session(db, token=self.auth_token, now=utcnow())
        self.auth_token = ""
        self._clear()

    @rx.event
    async def logout(self):
        """"Salir" in the user menu."""
        await self.end()
        return rx.redirect(routes.LOGIN)


def step_for(status: str) -> str:
    """Where an account in this status belongs (half-done registrations resume at their step)."""
    if status == UserStatus.PENDING_DATA:
        return routes.REGISTRO_DATOS
    if status == UserStatus.PENDING_CODES:
        return routes.REGISTRO_CODIGO
    return routes.SUMINISTROS


async def require_customer(state: rx.State) -> tuple[int | None, rx.event.EventSpec | None]:
    """(user_id, None) for an active customer; otherwise (None, the redirect to send)."""
    session_state = await state.get_state(SessionState)
    viewer = await session_state.viewer()
    if viewer is None:
        return None, rx.redirect(routes.LOGIN)
    if viewer.status != UserStatus.ACTIVE:
        return None, rx.redirect(step_for(viewer.status))
    return viewer.user_id, None


def needs_new_dni(dni_status: str) -> bool:
    return dni_status == DniStatus.NOT_LEGIBLE
