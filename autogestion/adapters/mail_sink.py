"""Local SMTP sink for dev and QA: stores every received message in a Maildir, and readers for it and the SMS file."""

from __future__ import annotations

import asyncio
import email
import email.policy
import fcntl
import json
import logging
import mailbox
import os
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)

# Python's Maildir keys look like "<seconds>.M<microseconds>P<pid>Q<counter>.<host>".
_MAILDIR_KEY = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)\.")


class MaildirSink:
    """aiosmtpd handler that accepts every message and stores it, as received, in a Maildir."""

    def __init__(self, maildir_path: Path | str) -> None:
        """Create the Maildir (and its parents) if missing.

        Args:
            maildir_path: The Maildir folder, normally ``<data dir>/mail``.
        """
        self.path = Path(maildir_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(self.path, create=True)

    def _store(self, content: bytes) -> str:
        # A fresh Maildir object per message: it is cheap and keeps no state shared between threads.
        return mailbox.Maildir(self.path, create=True).add(content)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        """Store the message; answer 250 so the client counts it as delivered.

        Args:
            server: The aiosmtpd SMTP server.
            session: The SMTP session.
            envelope: The envelope; ``content`` holds the raw message.

        Returns:
            The SMTP status line.
        """
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        # Maildir writes are blocking file I/O: keep them off the SMTP server's event loop.
        await asyncio.to_thread(self._store, content)
        return "250 Message accepted for delivery"


def start_sink(host: str, port: int, maildir_path: Path | str) -> Controller:
    """Start the SMTP sink in a background thread.

    Args:
        host: Address to listen on (127.0.0.1: the sink accepts anything, it must not face a network).
        port: Port to listen on.
        maildir_path: Where received messages are stored.

    Returns:
        The running aiosmtpd controller; pass it to stop_sink.
    """
    controller = Controller(MaildirSink(maildir_path), hostname=host, port=port)
    controller.start()
    log.info("SMTP sink listening on %s:%s, storing into %s", host, port, maildir_path)
    return controller


def stop_sink(controller: Controller) -> None:
    """Stop a sink started by start_sink.

    Args:
        controller: The controller start_sink returned.
    """
    controller.stop()


@dataclass
class OwnedSink:
    """A sink this process started, with the lock file that says so (released by stop_owned_sink)."""

    controller: Controller
    lock_fd: int


def start_sink_once(host: str, port: int, maildir_path: Path | str, lock_path: Path | str) -> OwnedSink | None:
    """Start the sink unless another process of this installation already runs it.

    Every backend worker runs the lifespan task that would start the sink; only the one holding an
    exclusive lock on ``lock_path`` (fcntl, released by the kernel when its process dies) starts it, so
    the others neither try to bind the port nor log a failure. A process that finds the lock free after
    the holder died takes it over on its next start.

    Args:
        host: Address to listen on.
        port: Port to listen on.
        maildir_path: Where received messages are stored.
        lock_path: The lock file, normally ``<data dir>/smtp-sink.lock``.

    Returns:
        The sink this process started, or None when another process holds the lock.

    Raises:
        OSError: The lock was ours but the port is taken by something else (a sink of another
            installation, or a real SMTP server).
    """
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    try:
        controller = start_sink(host, port, maildir_path)
    except BaseException:
        os.close(fd)  # closing releases the lock: the next process may try
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return OwnedSink(controller, fd)


def stop_owned_sink(owned: OwnedSink) -> None:
    """Stop a sink started by start_sink_once and release its lock."""
    try:
        owned.controller.stop()
    finally:
        os.close(owned.lock_fd)


def _key_order(path: Path, key: str) -> tuple[int, int, int, float]:
    match = _MAILDIR_KEY.match(key)
    if match:
        return int(match.group(1)), int(match.group(2)), int(match.group(3)), 0.0
    # A message dropped in by another program: fall back to the file's modification time.
    for sub in ("new", "cur"):
        for candidate in (path / sub).glob(f"{key}*"):
            return 0, 0, 0, candidate.stat().st_mtime
    return 0, 0, 0, 0.0


def _text_body(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        # An unknown or lying charset must not hide the rest of the mailbox.
        return part.get_payload(decode=True).decode("utf-8", errors="replace")


def _iso_date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError):
        return value


def read_maildir(path: Path | str) -> list[dict[str, str]]:
    """The messages of a Maildir, newest first.

    Args:
        path: The Maildir folder.

    Returns:
        One dict per message with ``to``, ``from``, ``subject``, ``body`` (decoded text), ``date``
        (ISO 8601) and ``message_id``; an empty list when the Maildir does not exist.
    """
    path = Path(path)
    if not (path / "new").is_dir() and not (path / "cur").is_dir():
        return []
    box = mailbox.Maildir(path, create=False)
    entries = []
    for key in box.keys():
        try:
            raw = box.get_bytes(key)
        except KeyError:
            continue  # removed while we were reading
        message = email.message_from_bytes(raw, policy=email.policy.default)
        entries.append(
            (
                _key_order(path, key),
                {
                    "to": str(message.get("To", "")),
                    "from": str(message.get("From", "")),
                    "subject": str(message.get("Subject", "")),
                    "body": _text_body(message),
                    "date": _iso_date(message.get("Date")),
                    "message_id": str(message.get("Message-ID", "")).strip(),
                },
            )
        )
    entries.sort(key=lambda item: item[0], reverse=True)
    return [entry for _, entry in entries]


def read_sms_outbox(path: Path | str) -> list[dict[str, Any]]:
    """The SMS written by FileSmsSender, newest first.

    Args:
        path: The JSON-lines file, normally ``<data dir>/sms/outbox.jsonl``.

    Returns:
        One dict per line (``to``, ``text``, ``id``, ``at``); an empty list when the file does not exist.
        A line that is not valid JSON (a write cut short) is skipped.
    """
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
    records.reverse()  # lines are appended in delivery order
    return records
