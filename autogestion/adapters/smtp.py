"""SMTP adapter: turns an outbox row into a plain-text UTF-8 e-mail and sends it with aiosmtplib."""

from __future__ import annotations

from datetime import UTC
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from autogestion.config import SMTP_TLS_MODES
from autogestion.models import OutboxMessage

SMTP_TIMEOUT_SECONDS = 20.0


def message_id_header(message_id: str) -> str:
    """The Message-ID header value for an outbox row's message_id.

    Args:
        message_id: The row's stable identifier.

    Returns:
        ``<message_id@autogestion>``: the same for every resend of the row, so a duplicate sent after a
        crash can be recognised by the recipient's mail system.
    """
    return f"<{message_id}@autogestion>"


def refuse_line_breaks(name: str, value: str) -> None:
    """Raise ValueError when value has a CR or LF: in a header it would start new headers (injection)."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"{name} must not contain line breaks")


def build_email(msg: OutboxMessage, *, sender: str, brand: str) -> EmailMessage:
    """Build the e-mail for an outbox row.

    The Date header is the row's creation time, so a resend is byte-for-byte the same message.

    Args:
        msg: The outbox row (channel "email").
        sender: The envelope and From address.
        brand: The display name of the From header.

    Returns:
        The message, ready for aiosmtplib.

    Raises:
        ValueError: The recipient, subject, sender or brand contains CR or LF.
    """
    refuse_line_breaks("recipient", msg.recipient)
    refuse_line_breaks("subject", msg.subject)
    refuse_line_breaks("sender", sender)
    refuse_line_breaks("brand", brand)
    email = EmailMessage()
    email["From"] = Address(display_name=brand, addr_spec=sender)
    email["To"] = msg.recipient
    email["Subject"] = msg.subject
    email["Message-ID"] = message_id_header(msg.message_id)
    created = msg.created_at if msg.created_at.tzinfo else msg.created_at.replace(tzinfo=UTC)
    email["Date"] = format_datetime(created.astimezone(UTC))
    email.set_content(msg.body, subtype="plain", charset="utf-8")
    return email


class SmtpMailer:
    """Sends outbox e-mails through an SMTP server (the local sink in dev, the relay in production)."""

    def __init__(self, host: str, port: int, user: str, password: str, tls: str, sender: str, brand: str) -> None:
        """Remember the connection settings.

        Args:
            host: SMTP server host.
            port: SMTP server port.
            user: Login user; empty for no authentication.
            password: Login password.
            tls: "none", "starttls" or "tls" (implicit TLS).
            sender: Envelope and From address.
            brand: Display name of the From header.

        Raises:
            ValueError: Unknown TLS mode.
        """
        if tls not in SMTP_TLS_MODES:
            raise ValueError(f"tls must be one of {', '.join(SMTP_TLS_MODES)}")
        self.host = host
        self.port = port
        self.user = user
        self._password = password
        self.tls = tls
        self.sender = sender
        self.brand = brand

    def __repr__(self) -> str:
        # Never show the password, should the mailer end up in a log line.
        return f"SmtpMailer(host={self.host!r}, port={self.port}, tls={self.tls!r}, sender={self.sender!r})"

    async def send(self, msg: OutboxMessage) -> None:
        """Send one outbox row as an e-mail.

        Args:
            msg: The outbox row (channel "email").

        Raises:
            ValueError: The recipient or subject contains CR or LF.
            aiosmtplib.SMTPException: The server refused, timed out or could not be reached.
        """
        email = build_email(msg, sender=self.sender, brand=self.brand)
        await aiosmtplib.send(
            email,
            sender=self.sender,
            recipients=[msg.recipient],
            hostname=self.host,
            port=self.port,
            username=self.user or None,
            password=self._password if self.user else None,
            timeout=SMTP_TIMEOUT_SECONDS,
            use_tls=self.tls == "tls",
            # False, not None: "none" must never upgrade opportunistically, "starttls" must insist.
            start_tls=self.tls == "starttls",
        )
