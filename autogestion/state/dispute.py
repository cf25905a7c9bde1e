"""/suministros/desconocer/<token>: the holder says "yo no autoricé esto" about a link of their supply.

No login: the signed token in the URL is the whole authority, and it only ever flags that one link for the
operators, once. The token stays a backend var (it is in the address bar already; no need to echo it).
"""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import DisputePublic
from autogestion.services import disputes
from autogestion.services.errors import DomainError
from autogestion.state.guards import public


class DisputeState(rx.State):
    loaded: bool = False
    error: str = ""  # a bad or expired link: nothing changes
    dispute: DisputePublic = DisputePublic()
    confirm_open: bool = False

    _token: str = ""

    def _route_token(self) -> str:
        return str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]

    @rx.event
    @public
    async def load(self):
        self.loaded, self.error, self.dispute, self.confirm_open = False, "", DisputePublic(), False
        self._token = self._route_token()
        try:
            async with session_scope() as db:
                self.dispute = await disputes.preview(session=db, token=self._token, now=utcnow())
        except DomainError as exc:
            self._token, self.error = "", exc.message
        self.loaded = True

    @rx.event
    @public
    async def ask(self):
        """**No autoricé esta asociación**: ask for confirmation first."""
        if self._token and not self.dispute.received:
            self.confirm_open = True

    @rx.event
    @public
    async def dialog_changed(self, is_open: bool):
        """Escape, a click outside or **Volver** closes the dialog; only `ask` opens it."""
        if is_open is not True:
            self.confirm_open = False

    @rx.event
    @public
    async def confirm(self):
        """**Sí, no la autoricé**: the link goes to the top of the operators' queue (once)."""
        self.confirm_open = False
        if not self._token:
            return
        try:
            async with session_scope() as db:
                self.dispute = await disputes.dispute(session=db, token=self._token, now=utcnow())
        except DomainError as exc:
            self._token, self.error = "", exc.message
