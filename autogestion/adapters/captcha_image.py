"""Captcha pictures drawn with the `captcha` package, in a helper process of each backend worker.

Why a process and not a thread: drawing a picture is ≈ 3 ms of Python and Pillow code that holds the GIL.
In a thread it made the event loop wait for the GIL after every socket call (Redis, PostgreSQL, the
websocket): Python hands the GIL back only every 5 ms (the switch interval), so one drawing thread cut
the loop's Redis round trips from ≈ 12,000/s to ≈ 2,000/s on this machine (p95 0.1 → 3.9 ms), and a
login-page load, which makes some twenty of them, paid that wait on each. The helper
(`python -m autogestion.adapters.captcha_image`) reads one text a line on stdin and answers each with a
4-byte big-endian length and the JPEG; a thread of the worker talks to it (one conversation at a time,
each a few microseconds of Python). It exits when its stdin closes (its worker ended). A helper that
dies or hangs is replaced; if a new one cannot answer either, the picture is drawn in a thread as
before, so a captcha never fails because of the helper.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import select
import struct
import subprocess
import sys
import threading
import time

from captcha.image import ImageCaptcha

_WIDTH, _HEIGHT = 200, 70
_JPEG_QUALITY = 70  # as legible as the PNG; a third of its bytes (state in Redis, websocket frame)
_TIMEOUT = 5.0  # seconds for one picture once its turn came (a helper that hangs is replaced)
_MAX_TEXT = 32
_local = threading.local()
log = logging.getLogger(__name__)


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


class _Helper:
    """The process's helper and the lock that keeps one conversation at a time on its pipes.

    Talked to from a worker thread (`asyncio.to_thread`): that thread only writes a line and reads the
    answer, releasing the GIL in each system call, so it never makes the event loop wait. A caller
    cancelled meanwhile does not interrupt the thread, which reads the answer to the end: the pipes stay
    in step for the next picture.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def render(self, text: str) -> bytes:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", __name__],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    bufsize=0,
                )
            process = self.process
            try:
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(text.encode("ascii") + b"\n")
                deadline = time.monotonic() + _TIMEOUT
                (size,) = struct.unpack(">I", _read(process.stdout, 4, deadline))
                return _read(process.stdout, size, deadline)
            except BaseException:
                # A helper that died, hung or answered out of step is done; the next picture starts anew.
                self.process = None
                with contextlib.suppress(OSError):
                    process.kill()
                    process.wait(timeout=1)
                raise


def _read(pipe, size: int, deadline: float) -> bytes:
    """Exactly size bytes from pipe, or TimeoutError at deadline, or EOFError when the helper is gone."""
    chunks, missing = [], size
    while missing:
        ready, _, _ = select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError("the captcha helper did not answer")
        chunk = pipe.read(missing)
        if not chunk:
            raise EOFError("the captcha helper exited")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


_helper_of: dict[int, _Helper] = {}  # by process id: a forked worker starts its own, never uses its parent's


def _helper() -> _Helper:
    return _helper_of.setdefault(os.getpid(), _Helper())


async def render_jpeg(text: str) -> bytes:
    """JPEG bytes of text as a distorted picture, drawn in the process's helper.

    JPEG, not PNG: ≈ 3 KB instead of ≈ 10 KB and ≈ 0.1 ms to encode instead of ≈ 3 ms; the picture is
    carried in the tab's state (Redis) and in the page's first websocket frame on every login page load.
    """
    if not text.isascii() or not text.isalnum() or len(text) > _MAX_TEXT:
        raise ValueError("a captcha text is a few ASCII letters and digits")
    for _attempt in range(2):  # a helper that died since the last picture is replaced once
        try:
            return await asyncio.to_thread(_helper().render, text)
        except (OSError, EOFError, TimeoutError, struct.error) as exc:
            log.warning("captcha helper failed (%s); drawing in a new helper", type(exc).__name__)
    log.warning("captcha helper unavailable; drawing the picture in a thread")
    return await asyncio.to_thread(_render, text)


def _serve(stdin=None, stdout=None) -> None:
    """The helper's loop: a text a line in, a length-prefixed JPEG out, until stdin closes."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    for line in stdin:
        picture = _render(line.strip().decode("ascii"))
        stdout.write(struct.pack(">I", len(picture)) + picture)
        stdout.flush()


if __name__ == "__main__":
    _serve()
