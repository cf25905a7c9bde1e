"""Captcha pictures drawn on the server with the `captcha` package."""

from __future__ import annotations

import asyncio

from captcha.image import ImageCaptcha

_WIDTH, _HEIGHT = 200, 70


def _render(text: str) -> bytes:
    return ImageCaptcha(width=_WIDTH, height=_HEIGHT).generate(text, format="png").getvalue()


async def render_png(text: str) -> bytes:
    """PNG bytes of text as a distorted picture (drawn in a thread: Pillow is CPU work)."""
    return await asyncio.to_thread(_render, text)
