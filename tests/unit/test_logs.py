"""Logs: one JSON object a line in production for every logger (ours, Reflex's, granian's), readable text in
dev and test, and a redacting filter that keeps secrets out of both.

Production logging rewires the whole process's loggers, so those tests run it in a child interpreter and
read what it wrote."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap

import pytest

from autogestion.config import load_settings
from autogestion.logs import REDACTED, JsonFormatter, RedactingFilter, configure_logging, redact

SESSION_ID = "Qm9pT3xVb2x6dE1hS2VfVGhpczEyMzQ1Njc4OTAx"  # the shape of secrets.token_urlsafe(32)


def run_in_production(code: str) -> list[str]:
    """Run code after configure_logging(production settings) in a new interpreter; its stdout lines."""
    # Only `is_production` is read: the rest of the production settings is config.py's business.
    env = {**os.environ, "REFLEX_MANAGED_LOGGING": "true"}  # as in a worker started by `reflex run`
    script = "import types\nfrom autogestion.logs import configure_logging\n"
    script += "configure_logging(types.SimpleNamespace(is_production=True))\n" + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # nothing escaped the JSON handler
    return done.stdout.splitlines()


def test_production_writes_one_json_object_a_line_for_every_logger():
    lines = run_in_production(
        """
        import logging
        import reflex  # noqa: F401  (its package loggers exist and would print with rich)
        from granian import log as granian_log
        logging.getLogger("autogestion.services.outbox").info("outbox %s (%s) sent", 7, "email")
        logging.getLogger("reflex_base.event").warning("from reflex")
        granian_log.configure_logging(granian_log.LogLevels.info)  # what granian does in each worker
        logging.getLogger("_granian").info("Spawning worker-1")
        logging.getLogger("granian.access").info("access line")
        logging.getLogger("uvicorn.error").error("from uvicorn")
        try:
            1 / 0
        except ZeroDivisionError:
            logging.getLogger("autogestion").exception("unhandled error, incident %s", "1a2b3c4d")
        """
    )
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert [(r["logger"], r["level"], r["message"]) for r in records] == [
        ("autogestion.services.outbox", "INFO", "outbox 7 (email) sent"),
        ("reflex_base.event", "WARNING", "from reflex"),
        ("_granian", "INFO", "Spawning worker-1"),
        ("granian.access", "INFO", "access line"),
        ("uvicorn.error", "ERROR", "from uvicorn"),
        ("autogestion", "ERROR", "unhandled error, incident 1a2b3c4d"),
    ]
    assert all(r["time"].endswith("+00:00") for r in records)
    assert "ZeroDivisionError" in records[-1]["exception"]


def test_security_events_are_json_fields_in_production():
    [line] = run_in_production(
        """
        from autogestion.client import security_event, set_client_ip
        set_client_ip("203.0.113.7")
        security_event("login_refused", document="DNI 20***456", reason="bad password", name="x", user_id=12)
        """
    )
    record = json.loads(line)
    assert record["logger"] == "autogestion.security" and record["level"] == "WARNING"
    assert record["event"] == "login_refused" and record["ip"] == "203.0.113.7"
    assert record["document"] == "DNI 20***456" and record["reason"] == "bad password"
    assert record["user_id"] == 12 and record["name_"] == "x"  # a LogRecord attribute's name is not clobbered


def test_user_input_with_line_breaks_cannot_forge_a_line():
    forged = (
        'ana\r\n{"time": "2026-01-01", "level": "INFO", "logger": "autogestion", "message": "admin ok"}\u2028x\x85y'
    )
    lines = run_in_production(
        f"""
        import logging
        from autogestion.client import security_event
        security_event("login_refused", username={forged!r})
        logging.getLogger("autogestion").warning("user typed %s", {forged!r})
        """
    )
    assert len(lines) == 2 and len("\n".join(lines).splitlines()) == 2
    event, plain = (json.loads(line) for line in lines)
    assert event["username"] == forged and plain["message"] == f"user typed {forged}"


def test_secrets_are_redacted_from_message_fields_and_traceback():
    lines = run_in_production(
        f"""
        import logging
        log = logging.getLogger("reflex_base.event.processor")
        log.warning("handshake headers %s", {{"cookie": "ag_sid={SESSION_ID}; theme=dark", "host": "portal"}})
        log.warning("login form password=Clave.Segura42&doc=20123456")
        log.warning("tu código es 482913", extra={{"detail": "Authorization: Bearer tok.abc.def"}})
        try:
            raise ValueError("bad nonce={SESSION_ID}")
        except ValueError:
            log.exception("session %s failed", "{SESSION_ID}")
        """
    )
    text = "\n".join(lines)
    for secret in (SESSION_ID, "Clave.Segura42", "482913", "tok.abc.def"):
        assert secret not in text
    headers, form, code, failure = (json.loads(line) for line in lines)
    assert "'cookie': '" + REDACTED in headers["message"] and "'host': 'portal'" in headers["message"]
    assert form["message"] == f"login form password={REDACTED}&doc=20123456"  # the 8-digit document stays
    assert code["message"] == "tu código es ••••••" and code["detail"] == f"Authorization: {REDACTED}"
    assert failure["message"] == f"session {REDACTED} failed" and REDACTED in failure["exception"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Cookie: ag_sid=abc; ag_op=def", f"Cookie: {REDACTED}"),
        ("token=abc123&page=2", f"token={REDACTED}&page=2"),
        ('{"password": "x y"}', f'{{"password": "{REDACTED} y"}}'),
        ("smtp://relay:hunter2@mail.example", f"smtp://{REDACTED}@mail.example"),
        ("código 123456.", "código ••••••."),
        ("login claim nonce: the claim", "login claim nonce: the claim"),  # prose stays
        ("outbox 123 sent on port 8025 for DNI 20123456", "outbox 123 sent on port 8025 for DNI 20123456"),
        ("at 12:00:00.123456 incident 1a2b3c4d", "at 12:00:00.123456 incident 1a2b3c4d"),
        ("/api/archivo/abcdefghij_0123456789_ABCDEFGHIJ", f"/api/archivo/{REDACTED}"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_dev_keeps_readable_text_with_the_redacting_filter():
    stream = io.StringIO()
    settings = load_settings({"AUTOGESTION_ENV": "dev"})
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(settings, stream=stream)
    try:
        logging.getLogger("autogestion.test").warning("code 654321 for %s", "ana")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    line = stream.getvalue().strip()
    assert line.endswith("WARNING autogestion.test: code •••••• for ana") and not line.startswith("{")
    assert isinstance(handler.filters[0], RedactingFilter) and not isinstance(handler.formatter, JsonFormatter)
