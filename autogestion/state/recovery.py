"""Password recovery ("¿Se te olvidó tu contraseña?"): document → code → new password.

Each step places errors only on the fields that step shows; every other message goes to the form.
"""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.services import recovery
from autogestion.services.errors import DomainError
from autogestion.state.captcha import CaptchaState
from autogestion.state.forms import clean, place, text
from autogestion.state.guards import public

ASK = ("doc_type", "doc_number", "channel", "captcha")
RESET = ("code", "password", "password2")
DONE = "Listo: cambiaste tu contraseña y cerramos todas tus sesiones. Ya podés ingresar."


class RecoveryState(rx.State):
    step: str = "ask"  # ask | reset | done
    ask_errors: dict[str, str] = clean(ASK)
    reset_errors: dict[str, str] = clean(RESET)
    form_error: str = ""
    info: str = ""
    _doc_type: str = ""
    _doc_number: str = ""
    _channel: str = ""

    def _clear_feedback(self) -> None:
        self.ask_errors, self.reset_errors, self.form_error = clean(ASK), clean(RESET), ""

    @rx.event
    @public
    async def load(self):
        self._clear_feedback()
        self.step, self.info = "ask", ""  # the picture: CaptchaState.prepare, on the captcha field's focus

    @rx.event
    @public
    async def ask(self, form: dict):
        """**Enviar código**: the same answer for any document."""
        self._clear_feedback()
        try:
            await (await self.get_state(CaptchaState))._check(text(form, "captcha"), action="recuperar")
            async with session_scope() as db:
                self.info = await recovery.start_recovery(
                    session=db,
                    doc_type=text(form, "doc_type"),
                    doc_number=text(form, "doc_number"),
                    channel=text(form, "channel"),
                    now=utcnow(),
                )
        except DomainError as exc:
            self.ask_errors, self.form_error = place(ASK, exc)
            return rx.set_value("captcha", "")  # the picture changed: clear the old answer
        self._doc_type, self._doc_number, self._channel = (
            text(form, "doc_type"),
            text(form, "doc_number"),
            text(form, "channel"),
        )
        self.step = "reset"

    @rx.event
    @public
    async def reset_password(self, form: dict):
        """**Cambiar contraseña**: code + new password."""
        self._clear_feedback()
        if self.step != "reset":
            return
        try:
            async with session_scope() as db:
                await recovery.complete_recovery(
                    session=db,
                    doc_type=self._doc_type,
                    doc_number=self._doc_number,
                    channel=self._channel,
                    code=text(form, "code"),
                    password=text(form, "password"),
                    password2=text(form, "password2"),
                    now=utcnow(),
                )
        except DomainError as exc:
            self.reset_errors, self.form_error = place(RESET, exc)
            return
        self.step, self.info = "done", DONE
        self._doc_type = self._doc_number = self._channel = ""
