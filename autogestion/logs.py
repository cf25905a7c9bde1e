"""Logging for every process: readable text in dev and test, one JSON object a line in production, and a
redacting filter on both that keeps passwords, codes, tokens, session ids and cookies out of the log.

`configure_logging(settings)` is called by the backend when the app is imported and by the CLI. In
production every logger — ours, Reflex's, granian's, uvicorn's — ends up on one JSON handler on the root
logger: their own handlers are removed and they propagate. The JSON object has ``time`` (ISO 8601 UTC),
``level``, ``logger``, ``message``, the record's extra fields (``extra={"event": …}``, e.g. the security
log's ``event`` and ``ip``) and ``exception`` when there is one. JSON escapes CR, LF and every other
control character, so text a user typed can never start a forged line.

The redacting filter is a safety net, not the policy: code must not log secrets in the first place
(SECURITY.md). It rewrites the message, the string extra fields and the traceback text of every record
that reaches our handlers.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

REDACTED = "[redactado]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# What a LogRecord has of its own; everything else on a record came in through `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Reflex's console records carry rendering hints that say nothing to a log reader.
_SKIPPED_EXTRAS = frozenset({"rich", "rich_kwargs", "progress", "end", "dedupe", "dedupe_key", "color_message"})

_SECRET_NAMES = (
    r"password|passwd|pwd|contrase(?:ñ|n)a|clave|secret|token|api[_-]?key|access[_-]?token|nonce|"
    r"code|codigo|código|otp|authorization|x-login-nonce|x-client-token|ag_sid|ag_op|session(?:_?id)?|sid"
)
_VALUE = rf"(?!{re.escape(REDACTED)})[^\s&,;'\"]+"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Headers that carry secrets, to the end of the line: every cookie in a Cookie header is a session.
    (
        re.compile(
            r"""(?i)(?<![\w-])((?:set-)?cookie|authorization|x-login-nonce|x-client-token)(['"]?\s*[:=]\s*['"]?)[^'"\r\n]+"""
        ),
        r"\1\2" + REDACTED,
    ),
    # name=value (a form, a query string, a key=value log line).
    (re.compile(rf"""(?i)(?<![\w-])((?:{_SECRET_NAMES})\s*=\s*['"]?){_VALUE}"""), r"\1" + REDACTED),
    # 'name': 'value' and "name": "value" (a dict's repr, JSON); plain prose like "nonce: the …" is left alone.
    (re.compile(rf"""(?i)(['"](?:{_SECRET_NAMES})['"]\s*:\s*['"]?){_VALUE}"""), r"\1" + REDACTED),
    (re.compile(r"(?i)\bbearer\s+[^\s'\"]+"), "Bearer " + REDACTED),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@"), r"\1" + REDACTED + "@"),
    # A 6-digit verification code standing alone (not inside a longer number, a token or a link).
    (re.compile(r"(?<![0-9A-Za-z_.:/-])[0-9]{6}(?![0-9A-Za-z_-])"), "••••••"),
)
# Session ids, nonces and signed links are long random strings mixing cases and digits.
_LONG_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[A-Z])[A-Za-z0-9_-]{24,}"
)


def redact(text: str) -> str:
    """text with anything that looks like a secret replaced.

    Args:
        text: A log message, field value or traceback.

    Returns:
        The same text with cookies, secret-named values, bearer tokens, URL credentials, 6-digit codes and
        long random tokens hidden.
    """
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _LONG_TOKEN.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, string extras and traceback through `redact` (on handlers: it sees
    records propagated from every logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what can be read
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in _SKIPPED_EXTRAS and not key.startswith("_"):
                payload.setdefault(key, _json_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exception"] = record.exc_text
        if record.stack_info:
            payload["stack"] = record.stack_info
        line = json.dumps(payload, ensure_ascii=False, default=str)
        # json.dumps leaves these three unescaped with ensure_ascii=False, and str.splitlines() (and some
        # log shippers) break lines on them.
        return line.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# Loggers that other libraries give handlers of their own (and no propagation) when they start.
_FOREIGN_LOGGERS = ("reflex", "_granian", "granian", "granian.access", "uvicorn", "uvicorn.error", "uvicorn.access")


def _our_handler(handler: logging.Handler) -> bool:
    return getattr(handler, "_autogestion", False)


def configure_logging(settings, *, stream: TextIO | None = None, level: int = logging.INFO) -> logging.Handler:
    """Install the process's log handler (idempotent: calling it again replaces the previous one).

    Args:
        settings: The process settings; production logs JSON, dev and test readable text.
        stream: Where to write (stdout in production, stderr otherwise).
        level: The root level.

    Returns:
        The installed handler.
    """
    production = settings.is_production
    handler = logging.StreamHandler(stream or (sys.stdout if production else sys.stderr))
    handler.setFormatter(JsonFormatter() if production else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactingFilter())
    handler._autogestion = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if _our_handler(h)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin, every run
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd (dev sink): ten lines per SMTP session
    if production:
        _route_everything_to_root()
    return handler


def _route_everything_to_root() -> None:
    """Production: no logger keeps a handler of its own, so every record comes out as our JSON."""
    # Reflex attaches its rich console handler to the `reflex` logger again whenever it reads its config
    # in a process started by its CLI ("managed" mode): this process opts out of that.
    os.environ["REFLEX_MANAGED_LOGGING"] = "false"
    names = set(_FOREIGN_LOGGERS) | set(logging.root.manager.loggerDict)
    for name in names:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
    try:  # granian configures its loggers again in each worker it forks: make that configuration ours too
        from granian import log as granian_log
    except ImportError:  # pragma: no cover - granian comes with reflex
        return
    for logger_config in granian_log.LOGGING_CONFIG.get("loggers", {}).values():
        logger_config["handlers"] = []
        logger_config["propagate"] = True
