"""The captcha shown on the public forms: the picture goes to the browser, the id and answer never do."""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.services import captcha
from autogestion.services.errors import RateLimited
from autogestion.state.guards import public


class CaptchaState(rx.State):
    """One live challenge per tab (one form with a captcha is on screen at a time).

    The picture is drawn when the person gets to the captcha field (`prepare`, on its focus), not when
    the page loads: drawing and storing a challenge was ≈ 2/3 of a login page load's server time, and
    most of a burst of people opening the page had not typed anything yet.
    """

    src: str = ""
    notice: str = ""
    _captcha_id: str = ""

    @rx.event
    @public
    async def prepare(self):
        """The captcha field got the focus: draw its picture unless this tab already has a live one.

        The page only sends it while no picture is on screen (components/captcha.py); called again it
        draws nothing, so it cannot be used to draw more pictures than "Otra imagen" (per-IP limited).
        """
        if not self._captcha_id:
            await self._draw()

    @rx.event
    @public
    async def refresh(self):
        """ "Otra imagen"."""
        await self._draw()

    async def _draw(self) -> None:
        """A new picture (page load, after every use); the old one is forgotten."""
        self._captcha_id, self.notice = "", ""
        try:
            async with session_scope() as db:
                self._captcha_id, self.src = await captcha.new_captcha(session=db, now=utcnow())
        except RateLimited as exc:
            self.src, self.notice = "", exc.message

    async def _check(self, answer: object, *, action: str, redraw: bool = True) -> None:
        """Check answer against this tab's live challenge, burning it either way, then draw a new one.

        redraw=False draws the new one only when the answer is refused: the caller draws it itself if
        its form stays on screen for another reason (a login that goes on to another page needs none).

        Raises:
            DomainError: too many tries from this client, no answer, or a wrong one.
        """
        captcha_id, self._captcha_id = self._captcha_id, ""
        refused = True
        try:
            async with session_scope() as db:
                await captcha.check_captcha(
                    session=db, action=action, captcha_id=captcha_id, answer=answer, now=utcnow()
                )
            refused = False
        finally:
            if redraw or refused:
                await self._draw()
            else:
                self.src = ""
