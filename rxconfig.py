"""Reflex configuration, derived from autogestion.config (the one place where environment variables are read).

- `frontend_port`/`backend_port`: AUTOGESTION_PORT (`reflex run --env prod` serves both on it).
- `api_url`: AUTOGESTION_BASE_URL, baked into the exported frontend: the browser opens `/_event` and posts
  `/_upload` on the public address, i.e. through the reverse proxy (deploy/nginx.conf).
- `cors_allowed_origins`: the base URL plus AUTOGESTION_ALLOWED_ORIGINS (and localhost outside production);
  it also guards the websocket handshake (Reflex's default is "*").
- GRANIAN_WORKERS: set from AUTOGESTION_WORKERS before Reflex starts granian, so the number of backend
  workers is the one the capacity check (autogestion/capacity.py) counted.
"""

import os
import sys

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from autogestion.config import ConfigError, get_settings

try:
    _settings = get_settings()
except ConfigError as _error:
    print(f"Configuration error: {_error}", file=sys.stderr)
    raise SystemExit(2) from None

_port = _settings.port
# Without AUTOGESTION_BASE_URL the portal is its own origin on its port (`make run`, the test harness).
_base_url = _settings.base_url if os.environ.get("AUTOGESTION_BASE_URL") else f"http://localhost:{_port}"
_origins = [_base_url, *_settings.allowed_origins]
if not _settings.is_production:
    _origins += [f"http://localhost:{_port}", f"http://127.0.0.1:{_port}"]
os.environ["GRANIAN_WORKERS"] = str(_settings.workers)
# `reflex run --backend-only` refuses any frontend port, even one from this file: the backend alone
# (`make run-backend`, REFLEX_BACKEND_ONLY=true) gets only its own.
_backend_only = os.environ.get("REFLEX_BACKEND_ONLY", "").lower() in ("1", "true", "yes")
_ports = {"backend_port": _port} if _backend_only else {"frontend_port": _port, "backend_port": _port}

config = rx.Config(
    app_name="autogestion",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # `reflex run --env prod` serves the frontend and the backend on one port.
    **_ports,
    api_url=_base_url,
    cors_allowed_origins=list(dict.fromkeys(_origins)),
    # With Redis, a tab's state is locked while its event runs; Reflex's default lock of 10 s made a page load
    # queued behind a burst (500 login pages on one worker: p99 ≈ 10 s) lose its update with LockExpiredError
    # (bench/ws_load.py: "timeout waiting for captcha picture"). 30 s lets a queued event finish.
    redis_lock_expiration=30_000,
    redis_lock_warning_threshold=2_000,
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="large"))],
)
