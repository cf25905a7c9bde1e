"""Notificaciones page."""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import NotificationPublic
from autogestion.services import notifications
from autogestion.state.guards import customer
from autogestion.state.session import SessionState


class NotificationsState(rx.State):
    items: list[NotificationPublic] = []

    @rx.event
    @customer
    async def load(self, user_id: int):
        async with session_scope() as db:
            self.items = await notifications.open_inbox(session=db, user_id=user_id, now=utcnow())
        (await self.get_state(SessionState)).unread = 0
