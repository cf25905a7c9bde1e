"""Time helpers: the database stores timezone-aware UTC; people see America/Argentina/San_Juan."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("America/Argentina/San_Juan")


def utcnow() -> datetime:
    """Aware UTC now (SQLModel's datetime columns refuse naive values)."""
    return datetime.now(UTC)


def to_local(moment: datetime) -> datetime:
    """A UTC datetime (aware, or naive meaning UTC) as Argentine local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ)


def format_local(moment: datetime) -> str:
    """dd/mm/aaaa hh:mm:ss in Argentine time, as the manual's e-mails show it."""
    return to_local(moment).strftime("%d/%m/%Y %H:%M:%S")


def local_today() -> date:
    """Today's date in San Juan (due dates are compared with it)."""
    return datetime.now(LOCAL_TZ).date()
