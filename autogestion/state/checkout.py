"""/pagos/demo/<id>: the demo checkout (AUTOGESTION_PAYMENTS=demo), where the person approves or rejects.

Only the payment's owner sees it, only for a demo payment, and a decision is applied once, exactly as a
provider's report would be (services.payments.demo_decide). Nothing is charged.
"""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import DemoCheckoutPublic
from autogestion.services import payments
from autogestion.services.errors import DomainError, NotFound
from autogestion.state.guards import customer


class CheckoutState(rx.State):
    loaded: bool = False
    not_found: bool = False
    checkout: DemoCheckoutPublic = DemoCheckoutPublic()
    error: str = ""

    _payment_id: str = ""

    def _route_id(self) -> str:
        return str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]

    @rx.event
    @customer
    async def load(self, user_id: int):
        self.loaded, self.not_found, self.checkout, self.error = False, False, DemoCheckoutPublic(), ""
        self._payment_id = self._route_id()
        try:
            async with session_scope() as db:
                self.checkout = await payments.get_demo_checkout(
                    session=db, user_id=user_id, payment_id=self._payment_id
                )
        except NotFound:
            self._payment_id, self.not_found = "", True
        self.loaded = True

    async def _decide(self, user_id: int, approve: bool) -> None:
        self.error = ""
        if not self._payment_id:
            return
        try:
            async with session_scope() as db:
                self.checkout = await payments.demo_decide(
                    session=db, user_id=user_id, payment_id=self._payment_id, approve=approve, now=utcnow()
                )
        except DomainError as exc:
            self.error = exc.message

    @rx.event
    @customer
    async def approve(self, user_id: int):
        """**Aprobar pago** (demo)."""
        await self._decide(user_id, True)

    @rx.event
    @customer
    async def reject(self, user_id: int):
        """**Rechazar pago** (demo)."""
        await self._decide(user_id, False)
