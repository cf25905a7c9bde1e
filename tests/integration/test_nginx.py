"""The production layout for real: the frontend exported once (`make build-frontend`), two backend workers
on Redis + PostgreSQL (`make run-backend`), Debian's nginx with deploy/nginx.conf rendered by
deploy/render.py on free ports, and Chromium logging in through it under the CSP.

Skipped when nginx, Chromium, PostgreSQL or Redis is missing (`apt-get install nginx chromium`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from autogestion.http import MAX_UPLOAD_BODY
from tests.harness import CAPTCHA_ANSWER, CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port

sys.path.insert(0, str(ROOT / "deploy"))
import render  # noqa: E402  (deploy/ is not a package: it ships as files)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_URL = os.environ.get("AUTOGESTION_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


def _wait(url: str, proc: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (apt-get install nginx)")
    import asyncio

    from tests.conftest import _drop_pg_database, _make_pg_database, _pg_reachable

    if not asyncio.run(_pg_reachable()):
        pytest.skip("PostgreSQL is not reachable")
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).ping()
    except Exception:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    work = tmp_path_factory.mktemp("deploy")
    port, backend_port, smtp_port = _free_port(), _free_port(), _free_port()
    database_url = asyncio.run(_make_pg_database())
    env = {
        **os.environ,
        "AUTOGESTION_ENV": "test",
        "AUTOGESTION_DATA_DIR": str(work / "var"),
        "DATABASE_URL": database_url,
        "AUTOGESTION_BASE_URL": f"http://localhost:{port}",
        "AUTOGESTION_ALLOWED_ORIGINS": f"http://127.0.0.2:{port}",
        "AUTOGESTION_PORT": str(backend_port),
        "AUTOGESTION_SMTP_PORT": str(smtp_port),
        "AUTOGESTION_CAPTCHA_TEST_ANSWER": CAPTCHA_ANSWER,
        "AUTOGESTION_BCRYPT_COST": "10",
        # nginx reaches the backends from 127.0.0.3 (proxy_bind); browsers here come from 127.0.0.1.
        "AUTOGESTION_TRUSTED_PROXIES": "127.0.0.3",
        "REFLEX_REDIS_URL": REDIS_URL,
        "AUTOGESTION_WORKERS": "2",
        "REFLEX_TELEMETRY_ENABLED": "false",
    }
    frontend = work / "frontend"
    subprocess.run(
        ["make", "--no-print-directory", "build-frontend", f"FRONTEND_DIST={frontend}"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "autogestion"), "migrate"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [str(bin_dir / "autogestion"), "seed-demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    backend_log = work / "backend.log"
    backend = subprocess.Popen(
        ["make", "--no-print-directory", "run-backend"],
        cwd=ROOT,
        env=env,
        stdout=backend_log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    nginx = None
    try:
        _wait(f"http://127.0.0.1:{backend_port}/ping", backend, backend_log)
        site = render.NginxSite(
            static_root=frontend,
            backends=(f"127.0.0.1:{backend_port}",),
            listen=str(port),
            public_origin=env["AUTOGESTION_BASE_URL"],
            runtime_dir=work / "nginx",
            proxy_bind="127.0.0.3",
            # pytest's temporary folders are private to their owner: nginx's workers must be that user.
            user="root" if os.geteuid() == 0 else "",
        )
        conf = work / "nginx.conf"
        conf.write_text(render.render_config(site))
        checked = subprocess.run(
            [NGINX, "-t", "-c", str(conf), "-e", str(work / "nginx" / "error.log")], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        nginx_log = work / "nginx" / "error.log"
        nginx = subprocess.Popen(
            [NGINX, "-c", str(conf), "-e", str(nginx_log), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait(f"http://localhost:{port}/ping", nginx, nginx_log)
        yield {"base_url": env["AUTOGESTION_BASE_URL"], "port": port, "frontend": frontend, "log": backend_log}
    finally:
        if nginx is not None:
            _stop(nginx)
        _stop(backend)
        asyncio.run(_drop_pg_database(database_url))


def test_render_fills_every_placeholder_and_refuses_a_missing_one(tmp_path):
    (tmp_path / "index.html").write_text("<html><script>alert(1)</script></html>")
    text = render.render_config(render.NginxSite(static_root=tmp_path, backends=("10.0.0.1:3000", "10.0.0.2:3000")))
    assert not render.PLACEHOLDER.search(text) and "$http_upgrade" in text  # nginx's own variables stay
    assert "server 10.0.0.1:3000" in text and "server 10.0.0.2:3000" in text
    assert "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='" in text  # alert(1)
    with pytest.raises(KeyError, match="AG_NEW"):
        render.render("listen ${AG_NEW};", {})


def test_the_https_site_as_the_image_renders_it_passes_this_machines_nginx(tmp_path):
    """TLS, HTTP/2 and the redirect from port 80, checked by `nginx -t` of the nginx installed here (Debian 12's
    1.22 refused the `http2 on;` the site used to carry: that directive only exists from 1.25.1)."""
    if not Path(NGINX).exists() or not shutil.which("openssl"):
        pytest.skip("nginx or openssl is not installed")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<html></html>")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    (tmp_path / "run").mkdir()
    site = render.NginxSite(
        static_root=tmp_path / "web",
        backends=("127.0.0.1:3000",),
        listen="443",
        server_name="autogestion.example.com.ar",
        public_origin="https://autogestion.example.com.ar",
        tls_cert=cert,
        tls_key=key,
        runtime_dir=tmp_path / "run",
    )
    text = render.render_config(site)
    assert "listen 443 ssl http2;" in text and "return 301 https://" in text
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-e", str(tmp_path / "run" / "error.log")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_the_body_limit_is_the_apps_upload_limit():
    assert render.MAX_UPLOAD_BODY == MAX_UPLOAD_BODY


def test_static_files_are_cached_by_kind_and_every_answer_has_the_security_headers(deployment):
    base = deployment["base_url"]
    asset = next(p.name for p in (deployment["frontend"] / "assets").iterdir() if p.suffix == ".js")
    with httpx.Client(base_url=base) as c:
        page = c.get("/login/")
        hashed = c.get(f"/assets/{asset}")
        dynamic = c.get("/suministros/2000380655")
        api = c.get("/api/health")
        ping = c.get("/ping")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    assert hashed.status_code == 200 and hashed.headers["cache-control"] == "max-age=31536000"
    assert dynamic.status_code == 200 and "<html" in dynamic.text  # the client router's shell
    assert api.json()["status"] == "ok" and ping.status_code == 200
    for response in (page, hashed, api):
        csp = response.headers["content-security-policy"]
        assert (
            "frame-ancestors 'none'" in csp
            and "default-src 'self'" in csp
            and "'unsafe-inline'" not in (csp.split("script-src", 1)[1].split(";", 1)[0])
        )
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_an_upload_over_the_limit_gets_the_spanish_page(deployment):
    body = b"0" * (MAX_UPLOAD_BODY + 1)
    response = httpx.post(deployment["base_url"] + "/_upload", content=body, timeout=30)
    assert response.status_code == 413
    assert "El archivo supera los 10 MB" in response.text and 'lang="es-AR"' in response.text


def test_login_in_chromium_through_nginx_under_the_csp(deployment):
    if not CHROMIUM:
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.helpers import login

    base, port = deployment["base_url"], deployment["port"]
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        try:
            problems: list[str] = []
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            login(page, base, "20123456", "Portal.Demo26")
            expect(page).to_have_url(re.compile(r"/suministros/?$"), timeout=30_000)
            expect(page.get_by_role("heading", name="Mis Suministros")).to_be_visible(timeout=30_000)
            assert [c["name"] for c in page.context.cookies() if c["httpOnly"]] == ["ag_sid"]
            assert problems == []  # a CSP refusal shows here as a console error

            # Another origin allowed by AUTOGESTION_ALLOWED_ORIGINS, and a client that writes its own
            # X-Forwarded-For: the portal logs the address nginx saw (127.0.0.1), not the forged one.
            other = browser.new_page(extra_http_headers={"X-Forwarded-For": "6.6.6.6"})
            login(other, f"http://127.0.0.2:{port}", "39999999", "Portal.Demo26")
            expect(other.get_by_text(re.compile("incorrect|no coincide|Revis", re.I)).first).to_be_visible(
                timeout=30_000
            )
        finally:
            browser.close()
    log = deployment["log"].read_text()
    assert re.search(r"event=login_refused ip=127\.0\.0\.1 ", log), log[-2000:]
    assert "ip=6.6.6.6" not in log
