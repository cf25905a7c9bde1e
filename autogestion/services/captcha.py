"""Captcha challenges: single use, 5 minutes, the answer only ever stored as an HMAC."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from autogestion.adapters.captcha_image import render_jpeg
from autogestion.client import client_ip, security_event
from autogestion.config import get_settings
from autogestion.models import Captcha
from autogestion.services import throttle
from autogestion.services.errors import RateLimited, RefusedAttempt, ValidationError

CAPTCHA_TTL = timedelta(minutes=5)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: people misread them
_LENGTH = 5
WRONG = "El código de seguridad no es correcto. Probá con el nuevo."
TOO_MANY = "Demasiados intentos desde tu conexión. Esperá unos minutos y volvé a probar."
# Per client IP, over IP_WINDOW: tries of each captcha form, and pictures drawn. Generous, because many
# customers share one address behind a mobile carrier's NAT; the per-account lock is the tight limit.
IP_WINDOW = timedelta(minutes=10)
IP_LIMITS = {"login": 100, "registro": 50, "recuperar": 50, "operador": 50}
DRAWS_PER_IP = 300


async def _per_ip(session, *, action: str, limit: int, now: datetime) -> None:
    ip = client_ip()
    try:
        await throttle.hit(
            session=session, key=f"{action}-ip:{ip}", limit=limit, window=IP_WINDOW, now=now, message=TOO_MANY
        )
    except RateLimited:
        security_event("ip_throttled", action=action)
        raise


def _digest(captcha_id: str, answer: str) -> str:
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, f"captcha|{captcha_id}|{answer.strip().upper()}".encode(), hashlib.sha256).hexdigest()


async def new_captcha(*, session, now: datetime) -> tuple[str, str]:
    """A fresh challenge: (id, data-URL of its PNG). The answer leaves this function only as a hash.

    Raises:
        RateLimited: This client IP drew too many pictures lately (each one costs CPU).
    """
    answer = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
    # The picture first, the database after: the session takes its connection at its first query, and
    # drawing while holding it (a wait for the helper process under load) kept the pool's few connections
    # busy for nothing: a burst of login pages queued for the pool. A client past its limit still gets a
    # picture drawn (≈ 3 ms, in the helper) but no challenge: it is refused below.
    picture = await render_jpeg(answer)
    await _per_ip(session, action="captcha", limit=DRAWS_PER_IP, now=now)
    row = Captcha(answer_hash="", created_at=now, expires_at=now + CAPTCHA_TTL)
    row.answer_hash = _digest(row.id, answer)
    session.add(row)  # expired rows go in the hourly maintenance pass, not here: a DELETE per picture
    # scanned the whole (unindexed) table on every login page load
    return row.id, "data:image/jpeg;base64," + base64.b64encode(picture).decode("ascii")


async def check_captcha(*, session, action: str, captcha_id: object, answer: object, now: datetime) -> None:
    """Count a try of the form `action` for this client IP, consume the challenge (right or wrong, it is
    single use) and raise unless the answer matches. Runs before any bcrypt or SMS.

    Raises:
        RateLimited: Too many tries of this form from this client IP.
        ValidationError: No answer typed (nothing consumed).
        RefusedAttempt: Wrong, expired or used challenge; the challenge stays burnt (the unit of work
            commits refused attempts).
    """
    await _per_ip(session, action=action, limit=IP_LIMITS.get(action, 50), now=now)
    if not isinstance(captcha_id, str) or not isinstance(answer, str) or not captcha_id or not answer.strip():
        raise ValidationError("Ingresá el código de seguridad de la imagen.", field="captcha")
    if len(answer) > 20 or len(captcha_id) > 32:
        raise RefusedAttempt(WRONG, field="captcha")
    row = (await session.exec(select(Captcha).where(Captcha.id == captcha_id))).first()
    result = await session.exec(
        update(Captcha)
        .where(Captcha.id == captcha_id, Captcha.used_at.is_(None), Captcha.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if row is None or result.rowcount != 1:
        raise RefusedAttempt("El código de seguridad venció o ya se usó. Probá con el nuevo.", field="captcha")
    test_answer = get_settings().captcha_test_answer
    if test_answer and hmac.compare_digest(answer.strip().upper(), test_answer.strip().upper()):
        return
    if not hmac.compare_digest(row.answer_hash, _digest(captcha_id, answer)):
        raise RefusedAttempt(WRONG, field="captcha")
