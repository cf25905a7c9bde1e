"""The pieces of a production setup, started for real on this machine: a PostgreSQL database (shared server or
a private instance), Redis, the frontend exported once as static files, the backend alone with several
workers (`reflex run --env prod --backend-only`) and nginx in front of both.

Used by tests/production/conftest.py; nothing here is a fake.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEPLOY_DIR = Path(os.environ.get("AUTOGESTION_DEPLOY_DIR", str(ROOT / "deploy")))
CAPTCHA_ANSWER = "PRUEBA"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_async(make):
    """Run `make()` (a coroutine function) to completion on a loop of its own, in a thread: the browser tests
    hold Playwright's event loop in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def public_tmpdir(prefix: str) -> Path:
    """A temporary folder other users can read (nginx's workers, the postgres account)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def base_env() -> dict[str, str]:
    env = {
        **os.environ,
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": f"{ROOT / '.tools/node_modules/.bin'}:{BIN}:{os.environ.get('PATH', '')}",
    }
    for name in ("DATABASE_URL", "REFLEX_REDIS_URL", "GRANIAN_WORKERS", "AUTOGESTION_CAPTCHA_TEST_ANSWER"):
        env.pop(name, None)
    return env


# --- PostgreSQL -------------------------------------------------------------------------------------


def pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def pg_fetch(url: str, sql: str, *args) -> list[tuple]:
    """Rows of a query on the database at url (asyncpg, in a thread of its own)."""
    import asyncpg

    async def fetch():
        conn = await asyncpg.connect(pg_dsn(url), timeout=10)
        try:
            return [tuple(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    return run_async(fetch)


def pg_execute(url: str, sql: str) -> None:
    import asyncpg

    async def execute():
        conn = await asyncpg.connect(pg_dsn(url), timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_async(execute)


def create_database(admin_url: str) -> str:
    """A new, empty database with a unique name on the server of admin_url; returns its URL."""
    name = f"autogestion_prod_{uuid.uuid4().hex[:10]}"
    pg_execute(admin_url, f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, url: str) -> None:
    pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def migrate_and_seed(env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "autogestion"), "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([str(BIN / "autogestion"), "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)


class PrivatePostgres:
    """A PostgreSQL server of this test's own (initdb into a temp dir, its own port and socket dir), so it can be
    restarted without touching the machine's shared server. Runs as the `postgres` account when we are root."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found and not shutil.which("initdb"):
            raise FileNotFoundError("initdb not found")
        self.bin = Path(found[-1]).parent if found else Path(shutil.which("initdb")).parent  # type: ignore[arg-type]
        self.dir = public_tmpdir("ag-pg-")
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.dir, account.pw_uid, account.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command: str, timeout: float = 60) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, timeout=timeout, cwd=self.dir)

    def start(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"
        )
        self._run(*self._pg_ctl("start"))

    def _pg_ctl(self, action: str, *extra: str) -> list[str]:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        return [
            str(self.bin / "pg_ctl"),
            action,
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-o",
            options,
            *extra,
        ]

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, open transactions are rolled back."""
        self._run(*self._pg_ctl("restart", "-m", "fast"))

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate", "-w")
        except subprocess.SubprocessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


# --- the frontend, exported once ---------------------------------------------------------------------


@dataclass
class StaticBuild:
    """`reflex export --frontend-only --no-zip`, copied out of .web: `static` is what nginx serves, `web_dir`
    holds the compiled utils/context.jsx (state names and hashes) for websocket clients."""

    port: int  # the public port the export points its websocket at (nginx listens there)
    static: Path
    web_dir: Path
    folder: Path


def export_frontend(port: int, env: dict[str, str]) -> StaticBuild:
    """Build the frontend for a portal served at http://localhost:<port> and copy it out of .web (later runs of
    the e2e app rebuild .web; this copy stays)."""
    folder = public_tmpdir("ag-static-")
    env = {**env, "AUTOGESTION_PORT": str(port), "AUTOGESTION_BASE_URL": f"http://localhost:{port}"}
    done = subprocess.run(
        [str(BIN / "reflex"), "export", "--frontend-only", "--no-zip", "--loglevel", "info"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError("reflex export failed:\n" + (done.stdout + done.stderr)[-4000:])
    shutil.copytree(ROOT / ".web" / "build" / "client", folder / "static")
    (folder / "web" / "utils").mkdir(parents=True)
    shutil.copy2(ROOT / ".web" / "utils" / "context.jsx", folder / "web" / "utils" / "context.jsx")
    for path in [folder / "static", *(folder / "static").rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return StaticBuild(port=port, static=folder / "static", web_dir=folder / "web", folder=folder)


# --- the backend ---------------------------------------------------------------------------------------


@dataclass
class Backend:
    """`reflex run --env prod --backend-only` on its own port, restarted whenever it exits (the restart policy
    of systemd or compose): granian's supervisor does not respawn a worker that dies, it stops them all."""

    env: dict[str, str]
    port: int
    log_path: Path
    proc: subprocess.Popen | None = None
    starts: int = 0
    _stopping: bool = False
    _watcher: threading.Thread | None = None
    _log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
        """Start the backend (again, after stop()) and its restart policy."""
        self._stopping = False
        self._log = open(self.log_path, "a")  # noqa: SIM115 (closed in stop)
        self._spawn()
        self.wait_ready(timeout)
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        self.starts += 1
        self._log.write(f"\n=== harness: backend start #{self.starts} ===\n")  # type: ignore[union-attr]
        self._log.flush()  # type: ignore[union-attr]
        self.proc = subprocess.Popen(
            [
                str(BIN / "reflex"),
                "run",
                "--env",
                "prod",
                "--backend-only",
                "--backend-host",
                "127.0.0.1",
                "--loglevel",
                "info",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _watch(self) -> None:
        while not self._stopping:
            proc = self.proc
            if proc is None:
                return
            proc.wait()
            if self._stopping:
                return
            time.sleep(0.5)
            self._spawn()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/ping", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the backend did not answer in {timeout} s:\n" + self.log_path.read_text()[-4000:])

    def worker_pids(self) -> list[int]:
        """The granian workers: the supervisor's child processes."""
        if self.proc is None:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        self._stopping = True
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        if self._log is not None:
            self._log.close()  # type: ignore[union-attr]


def socket_owner(port: int, peer_port: int) -> int | None:
    """The pid of the process holding the established connection 127.0.0.1:<port> ← <peer_port> (ss -tnp)."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} and dport = :{peer_port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    match = re.search(r"pid=([0-9]+)", out)
    return int(match.group(1)) if match else None


def established_peers(port: int) -> dict[int, int]:
    """{peer port: pid} of every established connection to the local port."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"], capture_output=True, text=True, check=False
    ).stdout
    peers = {}
    for line in out.splitlines():
        peer = re.search(r"\s\S+:([0-9]+)\s+users:", line)
        pid = re.search(r"pid=([0-9]+)", line)
        if peer and pid:
            peers[int(peer.group(1))] = int(pid.group(1))
    return peers


# --- nginx ---------------------------------------------------------------------------------------------

MINIMAL_NGINX = """
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    access_log {run}/access.log;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    client_max_body_size 11m;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream autogestion_backend {{ server {backend}; }}
    server {{
        listen 127.0.0.1:{port};
        root {static};
        location / {{ try_files $uri $uri.html $uri/index.html /__spa-fallback.html; }}
        location ~ ^/(_event|_upload|ping|_health|api/) {{
            proxy_pass http://autogestion_backend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 3600s;
        }}
    }}
}}
"""


def render_nginx_conf(*, port: int, backend: str, static: Path, run: Path) -> tuple[str, str]:
    """The nginx configuration for this run, and where it came from.

    The sample deployment's (deploy/nginx.conf rendered by deploy/render.py for this port, backend, static root
    and runtime dir) when the repository has it; else a minimal one: static files from the export, and /_event,
    /_upload, /ping, /_health and /api/ proxied to the backend.
    """
    if (DEPLOY_DIR / "render.py").exists() and (DEPLOY_DIR / "nginx.conf").exists():
        out = run / "rendered.conf"
        subprocess.run(
            [
                sys.executable,
                str(DEPLOY_DIR / "render.py"),
                "--static-root",
                str(static),
                "--backend",
                backend,
                "--listen",
                str(port),
                "--server-name",
                "localhost",
                "--public-origin",
                f"http://localhost:{port}",
                "--runtime-dir",
                str(run),
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.read_text(), str(DEPLOY_DIR / "nginx.conf")
    mime_types = "/etc/nginx/mime.types" if Path("/etc/nginx/mime.types").exists() else "mime.types"
    return MINIMAL_NGINX.format(run=run, port=port, backend=backend, static=static, mime_types=mime_types), "minimal"


class Nginx:
    """nginx in the foreground with a configuration and temp folders of its own."""

    def __init__(self, *, port: int, backend: str, static: Path) -> None:
        self.port = port
        self.run = public_tmpdir("ag-nginx-")
        self.conf_text, self.conf_source = render_nginx_conf(port=port, backend=backend, static=static, run=self.run)
        self.conf = self.run / "nginx.conf"
        self.conf.write_text(self.conf_text)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        check = subprocess.run(
            [nginx, "-t", "-p", str(self.run), "-e", str(self.run / "error.log"), "-c", str(self.conf)],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused the configuration ({self.conf_source}):\n{check.stderr}")
        foreground = [] if re.search(r"^\s*daemon\s+off\s*;", self.conf_text, re.M) else ["-g", "daemon off;"]
        self.proc = subprocess.Popen(
            [nginx, "-p", str(self.run), "-e", str(self.run / "error.log"), "-c", str(self.conf), *foreground],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/ping", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("nginx did not start:\n" + (self.run / "error.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.run, ignore_errors=True)
