"""Ingreso de operadores (`/operador` when no operator is logged in): Usuario, Contraseña, Código de seguridad."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.services import operators, passwords
from autogestion.services.errors import DomainError
from autogestion.state.captcha import CaptchaState
from autogestion.state.forms import clean, place, text
from autogestion.state.guards import public
from autogestion.state.operator_session import OperatorSessionState
from autogestion.state.session import SessionState

FIELDS = ("username", "password", "captcha")


class OperatorLoginState(rx.State):
    errors: dict[str, str] = clean(FIELDS)
    form_error: str = ""

    @rx.event
    @public
    async def load(self):
        """/operador's first on_load: who is logged in (OperatorSessionState.signed_in). The captcha
        picture is drawn when its field is focused (CaptchaState.prepare)."""
        self.errors, self.form_error = clean(FIELDS), ""
        await (await self.get_state(OperatorSessionState))._operator()

    @rx.event
    @public
    async def submit(self, form: dict):
        """Captcha first (before any bcrypt), then username + password; the same claim hand-off as customers."""
        self.errors, self.form_error = clean(FIELDS), ""
        try:
            await (await self.get_state(CaptchaState))._check(text(form, "captcha"), action="operador")
            async with passwords.hashing_turn(), session_scope() as db:  # queued without a DB connection
                result = await operators.authenticate(
                    session=db, username=text(form, "username"), password=text(form, "password"), now=utcnow()
                )
        except DomainError as exc:
            self.errors, self.form_error = (
                place(FIELDS, exc) if exc.field == "captcha" else (clean(FIELDS), exc.message)
            )
            return rx.set_value("captcha", "")  # the picture changed: clear the old answer
        session = await self.get_state(SessionState)
        return await session._start(result.ticket, routes.OPERADOR)
