"""Real servers for the outbox tests: an SMS gateway over http.server in a thread, an SMTP sink that counts."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from autogestion.adapters.mail_sink import read_maildir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmsGateway:
    """An HTTP SMS gateway on a free port. `script` lists the answers to the first requests, as
    (status, headers); then it answers 200. `accepted` counts the ids it answered 200 to."""

    def __init__(self, script: list[tuple[int, dict[str, str]]] | None = None, delay: float = 0.0) -> None:
        self.script = list(script or [])
        self.delay = delay
        self.accepted: Counter[str] = Counter()
        self.log: list[tuple[float, int, str]] = []  # (monotonic time, status, id) of every request
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                if gateway.delay:
                    time.sleep(gateway.delay)
                with gateway._lock:
                    status, headers = gateway.script.pop(0) if gateway.script else (200, {})
                    gateway.log.append((time.monotonic(), status, body["id"]))
                    if status == 200:
                        gateway.accepted[body["id"]] += 1
                payload = b'{"ok": true}'
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SmsGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def delivered_mail(maildir: Path) -> Counter[str]:
    """How many times each Message-ID reached the sink."""
    return Counter(mail["message_id"] for mail in read_maildir(maildir))
