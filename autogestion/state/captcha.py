"""The captcha shown on the public forms: the picture goes to the browser, the id and answer never do."""

from __future__ import annotations

from datetime import timedelta

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.services import captcha, throttle
from autogestion.services.errors import DomainError


class CaptchaState(rx.State):
    """One live challenge per tab (one form with a captcha is on screen at a time)."""

    src: str = ""
    _captcha_id: str = ""

    @rx.event
    async def refresh(self):
        """New picture ("Otra imagen" button, page load, after every use)."""
        async with session_scope() as db:
            self._captcha_id, self.src = await captcha.new_captcha(db, now=utcnow())

    async def consume(self, answer: object, *, action: str, limit: int = 20) -> None:
        """Count one try of action from this browser tab, then check answer against the live challenge,
        burning it either way; raises DomainError (too many tries, or a wrong answer)."""
        captcha_id, self._captcha_id = self._captcha_id, ""
        try:
            async with session_scope(commit_on=(DomainError,)) as db:
                await throttle.hit(db, key=f"{action}:{self.router.session.client_token}", limit=limit,
                                   window=timedelta(minutes=5), now=utcnow(),
                                   message="Demasiados intentos desde este navegador. Esperá unos minutos.")

                await captcha.check_captcha(db, captcha_id=captcha_id, answer=answer if isinstance(answer, str) else "", now=utcnow())
        finally:
            await self.refresh()
