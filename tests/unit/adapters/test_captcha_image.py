"""Captcha pictures come from a helper process (not a thread holding the event loop's GIL), which is
replaced when it dies, and a caller cancelled mid-way leaves it in step for the next one."""

from __future__ import annotations

import asyncio
import io
import os

import pytest
from PIL import Image

from autogestion.adapters import captcha_image


def _is_picture(data: bytes) -> bool:
    image = Image.open(io.BytesIO(data))
    return image.format == "JPEG" and image.size == (200, 70)


async def test_pictures_are_drawn_in_a_helper_process():
    pictures = await asyncio.gather(*(captcha_image.render_jpeg(text) for text in ("ABCDE", "XY2Z9", "QRS34")))
    assert all(_is_picture(p) for p in pictures)
    assert len(set(pictures)) == 3
    helper = captcha_image._helper()
    assert helper.process is not None and helper.process.poll() is None
    assert helper.process.pid != os.getpid()


async def test_a_dead_helper_is_replaced():
    await captcha_image.render_jpeg("ABCDE")
    helper = captcha_image._helper()
    first = helper.process
    first.kill()
    first.wait()
    assert _is_picture(await captcha_image.render_jpeg("FGHJK"))
    assert helper.process is not None and helper.process.pid != first.pid


async def test_a_cancelled_caller_leaves_the_helper_in_step():
    await captcha_image.render_jpeg("ABCDE")
    process = captcha_image._helper().process
    cancelled = asyncio.ensure_future(captcha_image.render_jpeg("LMNPQ"))
    await asyncio.sleep(0.001)  # the conversation has started in its thread
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    pictures = await asyncio.gather(*(captcha_image.render_jpeg("RSTUV") for _ in range(3)))
    assert all(_is_picture(p) for p in pictures)
    assert captcha_image._helper().process is process  # the same helper: nothing was left half read


def test_one_helper_serves_every_event_loop_of_the_process():
    first = asyncio.run(captcha_image.render_jpeg("ABCDE"))
    process = captcha_image._helper().process
    second = asyncio.run(captcha_image.render_jpeg("FGHJK"))
    assert _is_picture(first) and _is_picture(second)
    assert captcha_image._helper().process is process


@pytest.mark.parametrize("text", ["AB\nCD", "ÁRBOL", "A" * 33, "AB CD"])
async def test_only_short_alphanumeric_texts_are_sent(text):
    with pytest.raises(ValueError):
        await captcha_image.render_jpeg(text)
