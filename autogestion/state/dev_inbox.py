"""Dev-only /dev/bandeja: the mail and SMS captured by the local sinks (never registered in production)."""

from __future__ import annotations

import asyncio

import reflex as rx
from pydantic import BaseModel

from autogestion.adapters.mail_sink import read_maildir, read_sms_outbox
from autogestion.client import is_loopback, security_event
from autogestion.config import get_settings
from autogestion.state.guards import bind_client, public


class CapturedMessage(BaseModel):
    channel: str
    recipient: str
    subject: str
    body: str
    date: str


class DevInboxState(rx.State):
    messages: list[CapturedMessage] = []
    refused: bool = False

    @rx.event
    @public
    async def load(self):
        """Every code sent lies here: only for development, and only to a browser on this machine."""
        settings = get_settings()
        self.messages, self.refused = [], False
        if not settings.dev_pages:  # belt and braces: the page is not even registered in production
            return
        if not is_loopback(bind_client(self)):
            security_event("dev_inbox_refused")
            self.refused = True
            return
        mails = await asyncio.to_thread(read_maildir, settings.mail_dir)
        sms = await asyncio.to_thread(read_sms_outbox, settings.sms_outbox)
        items = [
            CapturedMessage(
                channel="E-mail", recipient=m["to"], subject=m["subject"], body=m["body"], date=str(m["date"])
            )
            for m in mails[:30]
        ]
        items += [
            CapturedMessage(channel="SMS", recipient=s["to"], subject="", body=s["text"], date=str(s.get("at", "")))
            for s in sms[:30]
        ]
        self.messages = sorted(items, key=lambda m: m.date, reverse=True)
