"""Captcha pictures drawn on the server with the `captcha` package."""

from __future__ import annotations

import asyncio
import io
import threading

from captcha.image import ImageCaptcha

_WIDTH, _HEIGHT = 200, 70
_JPEG_QUALITY = 70  # as legible as the PNG; a third of its bytes (state in Redis, websocket frame)
_local = threading.local()


def _generator() -> ImageCaptcha:
    # One per thread: an ImageCaptcha loads its fonts on first use (≈ 2 ms), so it is kept, not rebuilt.
    generator = getattr(_local, "generator", None)
    if generator is None:
        generator = _local.generator = ImageCaptcha(width=_WIDTH, height=_HEIGHT)
    return generator


def _render(text: str) -> bytes:
    out = io.BytesIO()
    _generator().generate_image(text).convert("RGB").save(out, format="JPEG", quality=_JPEG_QUALITY)
    return out.getvalue()


async def render_jpeg(text: str) -> bytes:
    """JPEG bytes of text as a distorted picture (drawn in a thread: Pillow is CPU work).

    JPEG, not PNG: ≈ 3 KB instead of ≈ 10 KB and ≈ 0.1 ms to encode instead of ≈ 3 ms; the picture is
    carried in the tab's state (Redis) and in the page's first websocket frame on every login page load.
    """
    return await asyncio.to_thread(_render, text)
