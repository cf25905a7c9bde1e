"""Notificaciones: every e-mail and SMS the portal sent a user, newest first (codes redacted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import select

from autogestion.clock import format_local
from autogestion.models import Channel, NotificationPublic, OutboxMessage
from autogestion.services.outbox import redact_codes


async def list_for_user(*, session, user_id: int, limit: int = 50) -> list[NotificationPublic]:
    """The user's messages, newest first."""
    rows = (
        await session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        NotificationPublic(
            when=format_local(row.created_at)[:16],
            channel="E-mail" if row.channel == Channel.EMAIL else "SMS",
            title=redact_codes(row.subject) if row.subject else "SMS",
            text=redact_codes(row.body),
            unread=row.read_at is None,
        )
        for row in rows
    ]


async def unread_count(*, session, user_id: int) -> int:
    """Messages the user has not seen on Notificaciones yet (the menu badge)."""
    return (
        await session.exec(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.user_id == user_id, OutboxMessage.read_at.is_(None)
            )
        )
    ).one()


async def open_inbox(*, session, user_id: int, now: datetime, limit: int = 50) -> list[NotificationPublic]:
    """The Notificaciones page: the user's messages, newest first, then all marked read."""
    items = await list_for_user(session=session, user_id=user_id, limit=limit)
    await mark_all_read(session=session, user_id=user_id, now=now)
    return items


async def mark_all_read(*, session, user_id: int, now: datetime) -> None:
    """Clear the unread badge."""
    await session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user_id, OutboxMessage.read_at.is_(None))
        .values(read_at=now)
    )
