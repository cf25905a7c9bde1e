"""Render deploy/nginx.conf for one deployment: ports, backends, static root, TLS, and a CSP computed from
the exported frontend.

    python deploy/render.py --static-root dist/frontend --listen 443 --server-name autogestion.example.com \\
        --backend 10.0.0.11:3000 --backend 10.0.0.12:3000 \\
        --tls-cert /etc/ssl/autogestion/fullchain.pem --tls-key /etc/ssl/autogestion/privkey.pem \\
        --out /etc/nginx/nginx.conf

From Python (tests, the production smoke test): `render_config(NginxSite(...))` returns the text.

Only the template's ${AG_*} placeholders are filled; nginx's own $variables are left as they are, and a
placeholder without a value is an error rather than an empty directive. The CSP allows exactly the inline
scripts the build contains (their SHA-256, read from every .html file of the static root), so it must be
rendered again after each `make build-frontend`; Reflex runs `rx.call_script` through eval, hence
'unsafe-eval'.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
TEMPLATE = DEPLOY / "nginx.conf"
PLACEHOLDER = re.compile(r"\$\{(AG_[A-Z_]+)\}")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
# autogestion.http.MAX_UPLOAD_BODY: MAX_UPLOAD_BYTES (10 MiB) plus 64 KiB of multipart headers. Kept as a
# number here so rendering needs no installed app; tests/integration/test_nginx.py checks they agree.
MAX_UPLOAD_BODY = 10 * 1024 * 1024 + 64 * 1024


@dataclass(frozen=True)
class NginxSite:
    """One deployment's values for the template."""

    static_root: Path
    backends: tuple[str, ...]  # "host:port" of each backend host (its workers share the port)
    listen: str = "443"
    server_name: str = "_"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    public_origin: str = ""  # AUTOGESTION_BASE_URL: its websocket origin goes into connect-src
    error_root: Path = DEPLOY / "errors"
    proxy_headers: Path = DEPLOY / "proxy_headers.conf"
    mime_types: Path = Path("/etc/nginx/mime.types")
    runtime_dir: Path | None = None  # pid, temp files and logs of an unprivileged nginx (tests); None = system
    user: str = ""  # "user www-data;" when started as root
    proxy_bind: str = ""  # source address towards the backends (list it in AUTOGESTION_TRUSTED_PROXIES)
    redirect_http_port: int | None = 80  # with TLS: a server on this port redirecting to https
    extra: dict[str, str] = field(default_factory=dict)


def inline_script_hashes(static_root: Path) -> list[str]:
    """The CSP source of every distinct inline <script> in the build's HTML files, sorted."""
    hashes = set()
    for page in static_root.rglob("*.html"):
        for body in INLINE_SCRIPT.findall(page.read_text(encoding="utf-8", errors="replace")):
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
            hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


def content_security_policy(static_root: Path, public_origin: str = "") -> str:
    """The policy the compiled frontend works with (checked in Chromium by tests/integration/test_nginx.py)."""
    websocket = ""
    if public_origin:
        websocket = " " + public_origin.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
    scripts = " ".join(inline_script_hashes(static_root))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'unsafe-eval' {scripts}".strip(),
            "style-src 'self' 'unsafe-inline'",  # Radix and emotion set style attributes
            "img-src 'self' data: blob:",  # the captcha is a data: PNG
            "font-src 'self' data:",
            f"connect-src 'self'{websocket}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def values(site: NginxSite) -> dict[str, str]:
    """The placeholders' values for site."""
    if not site.backends:
        raise ValueError("at least one backend (host:port) is needed")
    if not (site.static_root / "index.html").is_file():
        raise ValueError(f"{site.static_root} holds no exported frontend (run `make build-frontend`)")
    tls = bool(site.tls_cert and site.tls_key)
    run = site.runtime_dir
    extra_servers = ""
    if tls and site.redirect_http_port:
        extra_servers = (
            f"    server {{\n        listen {site.redirect_http_port};\n        server_name {site.server_name};\n"
            "        return 301 https://$host$request_uri;\n    }\n"
        )
    csp = content_security_policy(site.static_root, site.public_origin)
    return {
        "AG_USER_LINE": f"user {site.user};" if site.user else "",
        "AG_PID": str(run / "nginx.pid") if run else "/run/nginx.pid",
        "AG_ERROR_LOG": str(run / "error.log") if run else "/var/log/nginx/error.log",
        "AG_ACCESS_LOG": str(run / "access.log") if run else "/var/log/nginx/access.log",
        "AG_TEMP": str(run / "tmp") if run else "/var/lib/nginx",
        "AG_MIME_TYPES": str(site.mime_types),
        "AG_UPSTREAM_SERVERS": " ".join(f"server {backend} max_fails=3 fail_timeout=10s;" for backend in site.backends),
        # HTTP/2 on the listen line, which every nginx since 1.9.5 reads (from 1.25.1 with a deprecation
        # warning): Debian 12's nginx 1.22 refuses the newer `http2 on;`.
        "AG_LISTEN": f"{site.listen} ssl http2" if tls else site.listen,
        "AG_SERVER_NAME": site.server_name,
        "AG_TLS": (
            f"ssl_certificate {site.tls_cert};\n        ssl_certificate_key {site.tls_key};\n"
            "        ssl_protocols TLSv1.2 TLSv1.3;"
            if tls
            else ""
        ),
        "AG_PROXY_BIND": f"proxy_bind {site.proxy_bind};" if site.proxy_bind else "",
        "AG_STATIC_ROOT": str(site.static_root),
        "AG_ERROR_ROOT": str(site.error_root),
        "AG_PROXY_HEADERS": str(site.proxy_headers),
        "AG_MAX_UPLOAD_BODY": str(MAX_UPLOAD_BODY),
        "AG_CSP": csp,
        "AG_EXTRA_SERVERS": extra_servers,
        **site.extra,
    }


def render(template: str, filled: dict[str, str]) -> str:
    """template with every ${AG_*} replaced; a placeholder without a value raises KeyError."""
    missing = sorted(set(PLACEHOLDER.findall(template)) - set(filled))
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: filled[match.group(1)], template)


def render_config(site: NginxSite, template: Path = TEMPLATE) -> str:
    """The nginx.conf text for site (write it anywhere and start `nginx -c` on it)."""
    if site.runtime_dir:
        (site.runtime_dir / "tmp").mkdir(parents=True, exist_ok=True)
    return render(template.read_text(encoding="utf-8"), values(site))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render deploy/nginx.conf for one deployment")
    parser.add_argument("--static-root", type=Path, required=True, help="the exported frontend (dist/frontend)")
    parser.add_argument("--backend", action="append", required=True, help="host:port of a backend (repeat)")
    parser.add_argument("--listen", default="443", help="port (with TLS: the https port)")
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--public-origin", default="", help="AUTOGESTION_BASE_URL")
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument("--error-root", type=Path, default=DEPLOY / "errors")
    parser.add_argument("--proxy-headers", type=Path, default=DEPLOY / "proxy_headers.conf")
    parser.add_argument("--mime-types", type=Path, default=Path("/etc/nginx/mime.types"))
    parser.add_argument("--runtime-dir", type=Path, help="pid, logs and temp files here (unprivileged nginx)")
    parser.add_argument("--proxy-bind", default="", help="source address towards the backends")
    parser.add_argument("--user", default="", help='nginx "user" directive, e.g. www-data')
    parser.add_argument("--out", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    site = NginxSite(
        static_root=args.static_root.resolve(),
        backends=tuple(args.backend),
        listen=args.listen,
        server_name=args.server_name,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        public_origin=args.public_origin,
        error_root=args.error_root.resolve(),
        proxy_headers=args.proxy_headers.resolve(),
        mime_types=args.mime_types,
        runtime_dir=args.runtime_dir.resolve() if args.runtime_dir else None,
        user=args.user,
        proxy_bind=args.proxy_bind,
    )
    try:
        text = render_config(site)
    except (ValueError, KeyError) as exc:
        print(f"render: {exc}", file=sys.stderr)
        return 2
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
