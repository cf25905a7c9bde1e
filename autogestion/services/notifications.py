"""Notificaciones: every e-mail and SMS the portal sent a user, newest first (codes redacted)."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select, update

from autogestion.clock import format_local
from autogestion.models import OutboxMessage

_CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")


class NotificationPublic(BaseModel):
    when: str
    channel: str
    title: str
    text: str
    unread: bool


def _redact(text: str) -> str:
    # Verification codes are single use, but they still never travel back to the browser.
    return _CODE.sub("••••••", text)


async def list_for_user(session, *, user_id: int, limit: int = 50) -> list[NotificationPublic]:
    """The user's messages, newest first."""
    rows = (
        await session.execute(
            select(OutboxMessage).where(OutboxMessage.user_id == user_id).order_by(OutboxMessage.created_at.desc(),
                                                                                   OutboxMessage.id.desc()).limit(limit)
        )
    ).scalars().all()
    return [
        NotificationPublic(
            when=format_local(row.created_at)[:16],
            channel="E-mail" if row.channel == "email" else "SMS",
            title=_redact(row.subject) if row.subject else "SMS",
            text=_redact(row.body),
            unread=row.read_at is None,
        )
        for row in rows
    ]


async def unread_count(session, *, user_id: int) -> int:
    return (
        await session.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.user_id == user_id, OutboxMessage.read_at.is_(None))
        )
    ).scalar_one()


async def mark_all_read(session, *, user_id: int, now: datetime) -> None:
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.user_id == user_id, OutboxMessage.read_at.is_(None)).values(read_at=now)
    )
