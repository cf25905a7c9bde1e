"""Password recovery ("¿Se te olvidó tu contraseña?"): document → code → new password."""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.services import accounts
from autogestion.services.errors import DomainError, ValidationError
from autogestion.state.captcha import CaptchaState
from autogestion.state.forms import clean, place, text

ASK = ("doc_type", "doc_number", "channel", "captcha")
RESET = ("code", "password", "password2")


class RecoveryState(rx.State):
    step: str = "ask"  # ask | reset | done
    errors: dict[str, str] = clean(ASK + RESET)
    form_error: str = ""
    info: str = ""
    _doc_type: str = ""
    _doc_number: str = ""
    _channel: str = ""

    @rx.event
    async def load(self):
        self.step, self.errors, self.form_error, self.info = "ask", clean(ASK + RESET), "", ""
        captcha = await self.get_state(CaptchaState)
        await captcha.refresh()

    @rx.event
    async def ask(self, form: dict):
        self.errors, self.form_error = clean(ASK + RESET), ""
        captcha = await self.get_state(CaptchaState)
        try:
            await captcha.consume(form.get("captcha") if isinstance(form, dict) else "", action="recuperar")
            async with session_scope() as db:
                self.info = await accounts.start_recovery(
                    db, doc_type=text(form, "doc_type"), doc_number=text(form, "doc_number"),
                    channel=text(form, "channel"), now=utcnow(),
                )
        except DomainError as exc:
            self.errors, self.form_error = place(ASK + RESET, exc)
            return rx.set_value("captcha", "")  # the picture changed: clear the old answer
        self._doc_type, self._doc_number, self._channel = text(form, "doc_type"), text(form, "doc_number"), text(form, "channel")
        self.step = "reset"

    @rx.event
    async def reset_password(self, form: dict):
        self.errors, self.form_error = clean(ASK + RESET), ""
        if self.step != "reset":
            return
        try:
            async with session_scope(commit_on=(ValidationError,)) as db:
                await accounts.complete_recovery(
                    db, doc_type=self._doc_type, doc_number=self._doc_number, channel=self._channel,
                    code=text(form, "code"), password=text(form, "password"), password2=text(form, "password2"), now=utcnow(),
                )
        except DomainError as exc:
            self.errors, self.form_error = place(ASK + RESET, exc)
            return
        self.step, self.info = "done", "Listo: cambiaste tu contraseña y cerramos todas tus sesiones. Ya podés ingresar."
        self._doc_type = self._doc_number = self._channel = ""
