"""Time helpers: the database stores naive UTC; people see America/Argentina/San_Juan."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("America/Argentina/San_Juan")


def utcnow() -> datetime:
    """Naive UTC now (what every table stores)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """A naive-UTC datetime as Argentine local time."""
    return moment.replace(tzinfo=timezone.utc).astimezone(LOCAL_TZ)


def format_local(moment: datetime) -> str:
    """dd/mm/aaaa hh:mm:ss in Argentine time, as the manual's e-mails show it."""
    return to_local(moment).strftime("%d/%m/%Y %H:%M:%S")
