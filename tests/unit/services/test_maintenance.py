"""Housekeeping: orphan files go, files with a row stay, stale registrations and old rows are purged."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from autogestion.clock import utcnow
from autogestion.config import get_settings
from autogestion.models import Captcha, RateEvent, User
from autogestion.services import accounts, captcha, maintenance
from autogestion.services.documents import store_upload


async def test_sweep(session):
    now = utcnow()
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (10, 20, 30)).save(buf, "JPEG")
    user_id = await accounts.create_active_user(
        session=session,
        doc_type="DNI",
        doc_number="30123456",
        password="Clave.Segura42",
        first_names="Ana",
        last_names="Gómez",
        email="ana@example.com",
        area="264",
        number="4123456",
        now=now,
    )
    await store_upload(session=session, user_id=user_id, kind="dni", data=buf.getvalue(), filename="a.jpg")
    await accounts.start_registration(
        session=session,
        doc_type="DNI",
        doc_number="30999888",
        password="Clave.Segura42",
        password2="Clave.Segura42",
        now=now - timedelta(days=8),
    )
    await captcha.new_captcha(session=session, now=now - timedelta(hours=3))
    session.add(RateEvent(key="login:x", at=now - timedelta(days=10)))
    session.add(RateEvent(key="quiz-wrong:2000380655", at=now - timedelta(days=6)))  # still inside its 7-day window
    await session.commit()
    folder = get_settings().documents_dir
    orphan = folder / "0123456789abcdef0123456789abcdef.jpg"
    orphan.write_bytes(b"\xff\xd8\xff left by a crash")
    old = time.time() - 7200
    for path in folder.iterdir():
        os.utime(path, (old, old))

    swept = await maintenance.sweep(now=now)

    assert swept.orphan_files == 1 and not orphan.exists()
    assert len(list(folder.iterdir())) == 1  # the file of `kept`, which has its row
    assert swept.unfinished_registrations == 1
    assert (await session.exec(select(func.count()).select_from(User))).scalar_one() == 1
    assert (await session.exec(select(func.count()).select_from(Captcha))).scalar_one() == 0
    assert (
        await session.exec(select(func.count()).select_from(RateEvent).where(RateEvent.key == "login:x"))
    ).scalar_one() == 0
    kept = select(func.count()).select_from(RateEvent).where(RateEvent.key == "quiz-wrong:2000380655")
    assert (await session.exec(kept)).scalar_one() == 1
