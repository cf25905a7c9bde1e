"""Reflex configuration: the app module and the port come from here; everything else from autogestion.config."""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

_port = int(os.environ.get("AUTOGESTION_PORT", "3000"))
_base_url = os.environ.get("AUTOGESTION_BASE_URL", "") or f"http://localhost:{_port}"
# The websocket handshake is checked against these origins (Reflex's default is "*").
_origins = [_base_url.rstrip("/")]
if os.environ.get("AUTOGESTION_ENV", "dev") != "production":
    _origins += [f"http://localhost:{_port}", f"http://127.0.0.1:{_port}"]

config = rx.Config(
    app_name="autogestion",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # `reflex run --env prod` serves the frontend and the backend on one port (it takes the backend's when no
    # frontend port is set); a frontend port here would make `reflex run --env prod --backend-only` refuse to start.
    backend_port=_port,
    cors_allowed_origins=sorted(set(_origins)),
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="large"))],
)
