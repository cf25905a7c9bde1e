"""SMS adapters: an HTTP JSON gateway (production) and a JSON-lines file (development)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from autogestion.models import OutboxMessage

SMS_TIMEOUT_SECONDS = 10.0


class SmsGatewayError(Exception):
    """The SMS gateway did not accept the message (the text never includes the URL or the token).

    ``throttled`` is True for HTTP 429 (too many requests): the outbox then waits ``retry_after`` seconds
    (the gateway's Retry-After, None when it gave none) without counting a failed attempt.
    """

    def __init__(self, message: str, *, throttled: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.throttled = throttled
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _payload(msg: OutboxMessage) -> dict[str, str]:
    return {"to": msg.recipient, "text": msg.body, "id": msg.message_id}


class HttpSmsSender:
    """Posts each SMS as JSON to the distributor's HTTP gateway."""

    def __init__(self, url: str, token: str = "") -> None:
        """Remember the gateway.

        Args:
            url: Gateway endpoint receiving the JSON POST.
            token: Bearer token; empty sends no Authorization header.
        """
        self.url = url
        self._token = token

    def __repr__(self) -> str:
        # The token must not reach a log line through repr().
        return "HttpSmsSender(url=<redacted>)"

    async def send(self, msg: OutboxMessage) -> None:
        """POST ``{"to", "text", "id"}`` to the gateway.

        Args:
            msg: The outbox row (channel "sms"); recipient in E.164.

        Raises:
            SmsGatewayError: Any non-2xx answer (429: throttled, with the Retry-After), a timeout or a
                connection failure.
        """
        headers = {"Idempotency-Key": msg.message_id}  # lets a gateway that supports it drop resends
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            async with httpx.AsyncClient(timeout=SMS_TIMEOUT_SECONDS, follow_redirects=False) as client:
                response = await client.post(self.url, json=_payload(msg), headers=headers)
        except httpx.HTTPError as exc:
            # httpx messages may quote the URL, which can carry credentials: keep only the kind of failure.
            raise SmsGatewayError(f"SMS gateway unreachable ({type(exc).__name__})") from None
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise SmsGatewayError("SMS gateway answered HTTP 429", throttled=True, retry_after=retry_after)
        if not 200 <= response.status_code < 300:
            raise SmsGatewayError(f"SMS gateway answered HTTP {response.status_code}")


class FileSmsSender:
    """Development stand-in for the gateway: appends one JSON object per line to a file."""

    # One lock per process: appends from several worker threads must not interleave within a line.
    _lock = threading.Lock()

    def __init__(self, path: Path | str) -> None:
        """Remember the file.

        Args:
            path: The JSON-lines file, normally ``<data dir>/sms/outbox.jsonl``.
        """
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"FileSmsSender(path={str(self.path)!r})"

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            # Tests and the dev page read the file right after delivery; fsync also survives a crash.
            os.fsync(handle.fileno())

    async def send(self, msg: OutboxMessage) -> None:
        """Append ``{"to", "text", "id", "at"}`` as one line.

        Args:
            msg: The outbox row (channel "sms").
        """
        record = _payload(msg) | {"at": datetime.now(UTC).isoformat()}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        await asyncio.to_thread(self._append, line)
