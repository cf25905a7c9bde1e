"""Login page ("Usuarios Registrados" → Ingresar)."""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.http import LOGGED_IN_HINT
from autogestion.services import accounts, passwords
from autogestion.services.errors import DomainError
from autogestion.state.captcha import CaptchaState
from autogestion.state.forms import clean, place, text
from autogestion.state.guards import public
from autogestion.state.session import SessionState, has_session_cookie, landing_for

FIELDS = ("doc_type", "doc_number", "password", "captcha")


class LoginState(rx.State):
    errors: dict[str, str] = clean(FIELDS)
    form_error: str = ""

    @rx.event
    @public
    async def load(self):
        """Sent by the login page's script only when the browser holds the logged-in hint (http.py) or the
        form shows errors (pages/login.py): a live session goes on to its landing, a dead one loses the hint,
        the errors are cleared. Anyone may send it; it reveals nothing and changes no one else's data."""
        self.errors, self.form_error = clean(FIELDS), ""
        if has_session_cookie(self):
            viewer = await (await self.get_state(SessionState))._viewer()
            if viewer is not None:
                return rx.redirect(landing_for(viewer.status, viewer.dni_status))
        # The captcha picture: CaptchaState.prepare, when its field is focused.
        return rx.remove_cookie(LOGGED_IN_HINT, {"path": "/", "sameSite": "strict"})

    @rx.event
    @public
    async def submit(self, form: dict):
        """Captcha first (before any bcrypt), then document + password."""
        self.errors, self.form_error = clean(FIELDS), ""
        captcha_state = await self.get_state(CaptchaState)
        captcha_passed = False
        try:
            # No new picture after a right answer: a successful login leaves the page (and a picture
            # drawn for nobody cost CPU, a database write and state in Redis on every login).
            await captcha_state._check(text(form, "captcha"), action="login", redraw=False)
            captcha_passed = True
            async with passwords.hashing_turn(), session_scope() as db:  # queued without a DB connection
                result = await accounts.authenticate(
                    session=db,
                    doc_type=text(form, "doc_type"),
                    doc_number=text(form, "doc_number"),
                    password=text(form, "password"),
                    now=utcnow(),
                )
        except DomainError as exc:
            if captcha_passed:  # the form stays on screen: it needs a fresh picture for the next try
                await captcha_state._draw()
            self.errors, self.form_error = (
                place(FIELDS, exc) if exc.field == "captcha" else (clean(FIELDS), exc.message)
            )
            return rx.set_value("captcha", "")  # the picture changed: clear the old answer
        session = await self.get_state(SessionState)
        return await session._start(result.ticket, landing_for(result.status, result.dni_status))
