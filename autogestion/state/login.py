"""Login page ("Usuarios Registrados" → Ingresar)."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import DniStatus, UserStatus
from autogestion.services import accounts
from autogestion.services.errors import DomainError
from autogestion.state.captcha import CaptchaState
from autogestion.state.forms import clean, place, text
from autogestion.state.session import SessionState, step_for

FIELDS = ("doc_type", "doc_number", "password", "captcha")
CLIENT_LIMIT = 20  # login tries per browser tab per 5 minutes, on top of the per-account lock


class LoginState(rx.State):
    errors: dict[str, str] = clean(FIELDS)
    form_error: str = ""
    busy: bool = False

    @rx.event
    async def load(self):
        self.errors, self.form_error, self.busy = clean(FIELDS), "", False
        session = await self.get_state(SessionState)
        viewer = await session.viewer()
        if viewer is not None:
            return rx.redirect(step_for(viewer.status))
        captcha = await self.get_state(CaptchaState)
        await captcha.refresh()

    @rx.event
    async def submit(self, form: dict):
        """Captcha first (before any bcrypt), then document + password."""
        self.errors, self.form_error = clean(FIELDS), ""
        captcha = await self.get_state(CaptchaState)
        now = utcnow()
        try:
            await captcha.consume(form.get("captcha") if isinstance(form, dict) else "", action="login", limit=CLIENT_LIMIT)
            async with session_scope(commit_on=(DomainError,)) as db:
                result = await accounts.authenticate(
                    db, doc_type=text(form, "doc_type"), doc_number=text(form, "doc_number"),
                    password=text(form, "password"), now=now,
                )
        except DomainError as exc:
            self.errors, self.form_error = place(FIELDS, exc) if exc.field == "captcha" else (clean(FIELDS), exc.message)
            return rx.set_value("captcha", "")  # the picture changed: clear the old answer
        session = await self.get_state(SessionState)
        if result.status == UserStatus.ACTIVE and result.dni_status == DniStatus.NOT_LEGIBLE:
            return await session.start(result.user_id, routes.PERFIL)
        return await session.start(result.user_id, step_for(result.status))
