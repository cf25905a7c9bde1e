"""Captcha: single use, 5 minutes, answer never stored in clear."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from autogestion.client import set_client_ip
from autogestion.clock import utcnow
from autogestion.models import Captcha
from autogestion.services import captcha
from autogestion.services.errors import DomainError, RateLimited, RefusedAttempt, ValidationError

T0 = utcnow()


async def _answer(monkeypatch, session) -> tuple[str, str]:
    seen = {}
    real = captcha.render_jpeg

    async def spy(text: str) -> bytes:
        seen["answer"] = text
        return await real(text)

    monkeypatch.setattr(captcha, "render_jpeg", spy)
    captcha_id, src = await captcha.new_captcha(session=session, now=T0)
    assert src.startswith("data:image/jpeg;base64,")
    return captcha_id, seen["answer"]


async def test_right_answer_once(session, monkeypatch):
    captcha_id, answer = await _answer(monkeypatch, session)
    row = (await session.exec(select(Captcha))).one()
    assert answer not in row.answer_hash
    await captcha.check_captcha(session=session, action="login", captcha_id=captcha_id, answer=answer.lower(), now=T0)
    with pytest.raises(RefusedAttempt):  # reused
        await captcha.check_captcha(session=session, action="login", captcha_id=captcha_id, answer=answer, now=T0)


@pytest.mark.parametrize("answer", ["", "   ", "XXXXX", "x" * 500])
async def test_wrong_or_missing_answer_burns_it(session, monkeypatch, answer):
    captcha_id, right = await _answer(monkeypatch, session)
    # No answer is a plain input error; a wrong one is a refused attempt the unit of work keeps.
    with pytest.raises(RefusedAttempt if answer.strip() else ValidationError):
        await captcha.check_captcha(session=session, action="login", captcha_id=captcha_id, answer=answer, now=T0)
    if answer.strip() and len(answer) <= 20:
        with pytest.raises(RefusedAttempt):
            await captcha.check_captcha(session=session, action="login", captcha_id=captcha_id, answer=right, now=T0)


async def test_expired_after_five_minutes(session, monkeypatch):
    captcha_id, answer = await _answer(monkeypatch, session)
    with pytest.raises(RefusedAttempt, match="venció"):
        await captcha.check_captcha(
            session=session,
            action="login",
            captcha_id=captcha_id,
            answer=answer,
            now=T0 + timedelta(minutes=5, seconds=1),
        )


@pytest.mark.parametrize("captcha_id", ["", "nope", None, 12])
async def test_unknown_id(session, captcha_id):
    with pytest.raises(DomainError):
        await captcha.check_captcha(session=session, action="login", captcha_id=captcha_id, answer="ABCDE", now=T0)


async def test_test_answer_only_when_configured(session, monkeypatch):
    from autogestion.config import get_settings

    captcha_id, _ = await _answer(monkeypatch, session)
    with pytest.raises(RefusedAttempt):
        await captcha.check_captcha(session=session, action="login", captcha_id=captcha_id, answer="PRUEBA", now=T0)
    monkeypatch.setenv("AUTOGESTION_CAPTCHA_TEST_ANSWER", "PRUEBA")
    get_settings.cache_clear()
    captcha_id, _ = await _answer(monkeypatch, session)
    await captcha.check_captcha(session=session, action="login", captcha_id=captcha_id, answer="prueba", now=T0)


async def test_tries_are_limited_per_client_ip(session, monkeypatch):
    """Each form has a per-IP budget; another IP is not affected, and a new tab does not reset it."""
    monkeypatch.setitem(captcha.IP_LIMITS, "login", 3)
    set_client_ip("203.0.113.7")
    for _ in range(3):
        with pytest.raises(RefusedAttempt):
            await captcha.check_captcha(session=session, action="login", captcha_id="x" * 32, answer="ABCDE", now=T0)
    with pytest.raises(RateLimited):
        await captcha.check_captcha(session=session, action="login", captcha_id="x" * 32, answer="ABCDE", now=T0)
    set_client_ip("203.0.113.8")
    with pytest.raises(RefusedAttempt):
        await captcha.check_captcha(session=session, action="login", captcha_id="x" * 32, answer="ABCDE", now=T0)
    set_client_ip("203.0.113.7")
    with pytest.raises(RateLimited):  # still limited ten minutes minus a second later
        await captcha.check_captcha(
            session=session,
            action="login",
            captcha_id="x" * 32,
            answer="ABCDE",
            now=T0 + captcha.IP_WINDOW - timedelta(seconds=1),
        )


async def test_pictures_are_limited_per_client_ip(session, monkeypatch):
    monkeypatch.setattr(captcha, "DRAWS_PER_IP", 2)
    set_client_ip("198.51.100.1")
    await captcha.new_captcha(session=session, now=T0)
    await captcha.new_captcha(session=session, now=T0)
    with pytest.raises(RateLimited):
        await captcha.new_captcha(session=session, now=T0)
    set_client_ip("")


async def test_the_picture_is_drawn_before_the_session_takes_a_connection(session, monkeypatch):
    # Drawing while a pooled connection sits in an open transaction made a burst of login pages queue
    # for the pool: the picture comes first, the queries after.
    during_render = []
    real = captcha.render_jpeg

    async def spy(text: str) -> bytes:
        during_render.append(session.in_transaction())
        return await real(text)

    monkeypatch.setattr(captcha, "render_jpeg", spy)
    await session.commit()  # whatever the fixture did is done: the session starts with no transaction
    await captcha.new_captcha(session=session, now=T0)
    assert during_render == [False]
    assert session.in_transaction()  # the throttle count and the challenge came after
