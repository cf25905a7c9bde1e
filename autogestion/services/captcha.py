"""Captcha challenges: single use, 5 minutes, the answer only ever stored as an HMAC."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from autogestion.adapters.captcha_image import render_png
from autogestion.config import get_settings
from autogestion.models import Captcha
from autogestion.services.errors import ValidationError

CAPTCHA_TTL = timedelta(minutes=5)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: people misread them
_LENGTH = 5
WRONG = "El código de seguridad no es correcto. Probá con el nuevo."


def _digest(captcha_id: str, answer: str) -> str:
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, f"captcha|{captcha_id}|{answer.strip().upper()}".encode("utf-8"), hashlib.sha256).hexdigest()


async def new_captcha(session, *, now: datetime) -> tuple[str, str]:
    """A fresh challenge: (id, data-URL of its PNG). The answer leaves this function only as a hash."""
    answer = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
    row = Captcha(answer_hash="", created_at=now, expires_at=now + CAPTCHA_TTL)
    row.answer_hash = _digest(row.id, answer)
    session.add(row)
    await session.execute(delete(Captcha).where(Captcha.expires_at < now - timedelta(hours=1)))
    png = await render_png(answer)
    return row.id, "data:image/png;base64," + base64.b64encode(png).decode("ascii")


async def check_captcha(session, *, captcha_id: str, answer: str, now: datetime) -> None:
    """Consume the challenge (right or wrong, it is single use) and raise unless the answer matches.

    The caller must commit even when this raises, so a wrong answer still burns the challenge.
    """
    if not isinstance(captcha_id, str) or not isinstance(answer, str) or not captcha_id or not answer.strip():
        raise ValidationError("Ingresá el código de seguridad de la imagen.", field="captcha")
    if len(answer) > 20 or len(captcha_id) > 32:
        raise ValidationError(WRONG, field="captcha")
    row = (await session.execute(select(Captcha).where(Captcha.id == captcha_id))).scalar_one_or_none()
    result = await session.execute(
        update(Captcha)
        .where(Captcha.id == captcha_id, Captcha.used_at.is_(None), Captcha.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if row is None or result.rowcount != 1:
        raise ValidationError("El código de seguridad venció o ya se usó. Probá con el nuevo.", field="captcha")
    test_answer = get_settings().captcha_test_answer
    if test_answer and hmac.compare_digest(answer.strip().upper(), test_answer.strip().upper()):
        return
    if not hmac.compare_digest(row.answer_hash, _digest(captcha_id, answer)):
        raise ValidationError(WRONG, field="captcha")
