"""Captcha: single use, 5 minutes, answer never stored in clear."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from autogestion.clock import utcnow
from autogestion.models import Captcha
from autogestion.services import captcha
from autogestion.services.errors import ValidationError

T0 = utcnow()


async def _answer(monkeypatch, session) -> tuple[str, str]:
    seen = {}
    real = captcha.render_png

    async def spy(text: str) -> bytes:
        seen["answer"] = text
        return await real(text)

    monkeypatch.setattr(captcha, "render_png", spy)
    captcha_id, src = await captcha.new_captcha(session, now=T0)
    assert src.startswith("data:image/png;base64,")
    return captcha_id, seen["answer"]


async def test_right_answer_once(session, monkeypatch):
    captcha_id, answer = await _answer(monkeypatch, session)
    row = (await session.execute(select(Captcha))).scalar_one()
    assert answer not in row.answer_hash
    await captcha.check_captcha(session, captcha_id=captcha_id, answer=answer.lower(), now=T0)
    with pytest.raises(ValidationError):  # reused
        await captcha.check_captcha(session, captcha_id=captcha_id, answer=answer, now=T0)


@pytest.mark.parametrize("answer", ["", "   ", "XXXXX", "x" * 500])
async def test_wrong_or_missing_answer_burns_it(session, monkeypatch, answer):
    captcha_id, right = await _answer(monkeypatch, session)
    with pytest.raises(ValidationError):
        await captcha.check_captcha(session, captcha_id=captcha_id, answer=answer, now=T0)
    if answer.strip() and len(answer) <= 20:
        with pytest.raises(ValidationError):
            await captcha.check_captcha(session, captcha_id=captcha_id, answer=right, now=T0)


async def test_expired_after_five_minutes(session, monkeypatch):
    captcha_id, answer = await _answer(monkeypatch, session)
    with pytest.raises(ValidationError, match="venció"):
        await captcha.check_captcha(session, captcha_id=captcha_id, answer=answer, now=T0 + timedelta(minutes=5, seconds=1))


@pytest.mark.parametrize("captcha_id", ["", "nope", None, 12])
async def test_unknown_id(session, captcha_id):
    with pytest.raises(ValidationError):
        await captcha.check_captcha(session, captcha_id=captcha_id, answer="ABCDE", now=T0)


async def test_test_answer_only_when_configured(session, monkeypatch):
    from autogestion.config import get_settings

    captcha_id, _ = await _answer(monkeypatch, session)
    with pytest.raises(ValidationError):
        await captcha.check_captcha(session, captcha_id=captcha_id, answer="PRUEBA", now=T0)
    monkeypatch.setenv("AUTOGESTION_CAPTCHA_TEST_ANSWER", "PRUEBA")
    get_settings.cache_clear()
    captcha_id, _ = await _answer(monkeypatch, session)
    await captcha.check_captcha(session, captcha_id=captcha_id, answer="prueba", now=T0)
