"""Notificaciones page."""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.services import notifications
from autogestion.services.notifications import NotificationPublic
from autogestion.state.session import SessionState, require_customer


class NotificationsState(rx.State):
    items: list[NotificationPublic] = []

    @rx.event
    async def load(self):
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        async with session_scope() as db:
            self.items = await notifications.list_for_user(db, user_id=user_id)
            await notifications.mark_all_read(db, user_id=user_id, now=utcnow())
        session = await self.get_state(SessionState)
        session.unread = 0
