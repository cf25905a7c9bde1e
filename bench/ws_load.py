"""Websocket load benchmark: the portal in production mode on Redis + PostgreSQL, played by Python "browsers".

    .venv/bin/python bench/ws_load.py [--workers 1,2,4] [--runs 2] [--burst 500] [--customers 200]
                                      [--storm-seconds 20] [--think 3] [--watch-every 3]
                                      [--db autogestion_bench]

(`make bench-load` runs it with the defaults; seed first with `bench/seed_scale.py`.)

For each worker count it starts `reflex run --env prod` with `REFLEX_REDIS_URL=redis://127.0.0.1:6379/<db>`
and `GRANIAN_WORKERS=<n>` in production mode (https base URL, SMTP relay on 127.0.0.1 without TLS, SMS
gateway and Mercado Pago set to local dummies nobody calls, a random strong secret), against the seeded
database, and measures, in this order:

1. **login page burst** — `--burst` people open the login page at once: `GET /login/` (the static page),
   then the websocket with the hydrate event, until the page is usable (`is_hydrated`; the login page
   has no on_load). Each person then types document and password and reaches the captcha field 4–10 s
   later: its focus asks for the picture (`CaptchaState.prepare`), timed until it has arrived. The
   picture is not drawn at page load (state/captcha.py): that was ≈ 2/3 of a login page's server time.
2. **customers** — `--customers` people at once (started within a second), each: the login page, log in
   (captcha, document and password; the claim's nonce POSTed to `/api/sesion` for the HttpOnly cookie;
   the page reloaded with the cookie on Mis Suministros), open the supply's invoices (client-side
   navigation: `on_load_internal`), the next page of invoices, **Imprimir** (the `_download` event, then
   the signed `/api/archivo/…` PDF over HTTP), then, once everyone got that far (RSS and Redis are read
   then), log out (the `logout` event and `DELETE /api/sesion`). Meanwhile one operator logs in to
   `/operador` and works the queue (filter, pages, search, refresh).
3. **login storm** — `--storm-seconds` of back-to-back logins (login page + login + claim) from several
   tabs (arriving within a second) while 20 logged-in customers page their invoices, each click
   `--watch-every` seconds apart on average (3 s, random, first click at a random moment): logins/s
   against what bcrypt allows on this machine, the others' event times, and the CPU per login by part
   (the portal's bcrypt threads, the rest of the portal, PostgreSQL, Redis, this bench, the kernel and
   other work) beside the CPU the goal leaves each login. (The watchers used to click
   every 200 ms, all started in the same instant: 80 events/s were half the machine — the storm then
   measured the watchers' own load — and their synchronized first clicks made the p95.)

Each timed step is measured in the client, from the emit to the frame that carries its result: a
handler's time plus the websocket, Redis state load/save and the client's own share of the 2 cores (an
upper bound of handler time). Per step and worker count the table gives p50 / p95 / p99, events/s,
errors; per worker count the backend's RSS growth per open session and the bytes in Redis per tab token.

Handler time is measured on the server too: the portal runs with `AUTOGESTION_HANDLER_TIMING=true`, so
the guard of every handler (state/guards.py) logs its wall time (guard + service + database, not Reflex's
state load/save from Redis nor the websocket) on `autogestion.timing`; the bench reads those JSON lines
from the server's log afterwards and prints p50 / p95 / p99 per handler and phase (burst, customers,
storm) beside the client's round trips. `--no-handler-timing` runs without it (one log line per event
costs the server a little CPU).

Limits measured in the same run, side by side: raw bcrypt hashes/s at the seeded cost (1 thread and one
per core); a bare python-socketio echo (ASGI, served by granian like Reflex's backend, 1 worker) round
trip; and for each worker count Reflex's own `/ping` and a trivial event of our app
(`OnLoadInternalState.set_is_hydrated`, which runs no code of ours) — not a separate blank app.

How the bench gets past the captcha: production refuses `AUTOGESTION_CAPTCHA_TEST_ANSWER`, and the
database only keeps an HMAC of each answer, so the bench — which runs on the same machine, owns the
server's secret (it generated it) and the bench database — plays the eye that reads the picture: after a
tab's login page has loaded it rewrites the stored hash of the open challenges created while that page
loaded to the HMAC of a known answer (`BENCH`), the same way services/captcha.py computes it, and types
that. The server code path is untouched: the picture is drawn, the challenge is consumed and checked as
for anyone. The rewrite happens between the page load and the submit (the person's typing time), so it
is in no timed step.

Every simulated person comes from its own address, sent as `X-Forwarded-For` from 127.0.0.1, which the
server is told to trust (`AUTOGESTION_TRUSTED_PROXIES=127.0.0.1`), as behind the nginx of `deploy/`;
otherwise the per-IP captcha limits (300 pictures / 10 min) would refuse a burst from one address.

Bounded: at most 2,000 tabs, 600 s per worker count; only 127.0.0.1 / localhost targets; only a database
on this machine. The machine is shared: figures are noisy, run each configuration at least twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import aiohttp
import asyncpg
import bcrypt
import httpx
import redis.asyncio as aioredis
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed_scale import BENCH_OPERATOR, BENCH_PASSWORD, customer_document, database_url  # noqa: E402

from tests.security.wsclient import NAMESPACE, SOCKETIO_PATH, VAR_SUFFIX, CompiledApp, router_data  # noqa: E402

LOCAL = ("127.0.0.1", "localhost", "::1")
CAPTCHA_ANSWER = "BENCH"
MAX_TABS = 2000
MAX_SECONDS_PER_CONFIG = 600
STEP_TIMEOUT = 30.0
LOGIN_TIMEOUT = 120.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


@dataclass
class Step:
    """Latencies (ms) and errors of one kind of action in one run."""

    name: str
    lat: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    began: float = field(default_factory=time.perf_counter)
    ended: float = 0.0
    count: int | None = None  # what events/s counts when not len(lat)

    def ok(self, ms: float) -> None:
        self.lat.append(ms)
        self.ended = time.perf_counter()

    def fail(self, exc: BaseException | str) -> None:
        self.errors += 1
        kind = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"[:90]
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
        self.ended = time.perf_counter()

    def rate(self) -> float:
        span = (self.ended or time.perf_counter()) - self.began
        return (self.count if self.count is not None else len(self.lat)) / span if span > 0 else 0.0


class Timer:
    """`async with Timer(step): ...` records the block's time, or its failure."""

    def __init__(self, step: Step) -> None:
        self.step = step

    async def __aenter__(self):
        self.t = time.perf_counter()
        return self

    async def __aexit__(self, kind, exc, tb):
        if exc is None:
            self.step.ok((time.perf_counter() - self.t) * 1000)
        elif isinstance(exc, Exception):
            self.step.fail(exc)
        return False  # the journey stops at its first failure


class BenchError(Exception):
    pass


# --- the shared context of one worker count ----------------------------------------------------


@dataclass
class Ctx:
    base: str  # http://127.0.0.1:<port>
    origin: str  # the configured https base URL: what a browser of the portal sends as Origin
    app: CompiledApp
    http: httpx.AsyncClient
    pg: asyncpg.Pool
    secret: str
    pages: aiohttp.ClientSession | None = None  # the static pages and every tab's socket (see open_pages)
    ips: Any = None

    def __post_init__(self) -> None:
        self.ips = (f"10.{a}.{b}.{c}" for a in range(1, 250) for b in range(256) for c in range(1, 255))
        self.tabs = 0

    def state(self, name: str) -> str:
        return self.app.full_name(name)


def captcha_digest(secret: str, captcha_id: str, answer: str) -> str:
    """services/captcha.py `_digest`, for the bench's known answer."""
    message = f"captcha|{captcha_id}|{answer.strip().upper()}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


_SOLVING = asyncio.Lock()


async def solve_captchas(ctx: Ctx, since: datetime) -> None:
    """Give the open challenges created since `since` the known answer (see the module docstring).

    One tab at a time: tabs rewriting overlapping sets of rows at once deadlock each other."""
    async with _SOLVING:
        await _solve(ctx, since)


async def _solve(ctx: Ctx, since: datetime) -> None:
    rows = await ctx.pg.fetch("SELECT id FROM captchas WHERE used_at IS NULL AND created_at >= $1", since)
    if not rows:
        raise BenchError("no open captcha for this page")
    ids = [r["id"] for r in rows]
    hashes = [captcha_digest(ctx.secret, i, CAPTCHA_ANSWER) for i in ids]
    await ctx.pg.execute(
        "UPDATE captchas SET answer_hash = u.h FROM unnest($1::text[], $2::text[]) AS u(id, h) "
        "WHERE captchas.id = u.id AND captchas.used_at IS NULL",
        ids,
        hashes,
    )


def open_pages() -> aiohttp.ClientSession:
    """The client of the page loads: the static pages and the websockets of every tab.

    aiohttp, shared by the tabs, because the driver shares the server's 2 cores: httpx's pool costs
    O(connections) per request (a burst of 500 GETs spent ≈ 5 ms of the driver's CPU per page, more than
    the page's whole socket), and a python-socketio client that builds its own aiohttp session per tab
    pays a connector each time. No cookie jar: each tab sends its own cookies in its headers.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),  # no cap: an open websocket holds its connection for good
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=STEP_TIMEOUT),
    )


# --- one browser tab -----------------------------------------------------------------------------


def _delta_value(frame: dict, state: str, var: str) -> Any:
    changes = (frame.get("delta") or {}).get(state) or {}
    if var + VAR_SUFFIX in changes:
        return changes[var + VAR_SUFFIX]
    return changes.get(var, _MISSING)


_MISSING = object()


def _events(frame: dict, name: str) -> list[dict]:
    return [e for e in (frame.get("events") or []) if isinstance(e, dict) and e.get("name") == name]


def _script_call(frame: dict, method: str) -> str | None:
    for e in _events(frame, "_call_script"):
        code = str((e.get("payload") or {}).get("javascript_code", ""))
        if "/api/sesion" in code and f'"{method}"' in code:
            return code
    return None


class Tab:
    """One browser tab: its Reflex token, its cookies, its address, and the frames the server sent."""

    def __init__(self, ctx: Ctx) -> None:
        ctx.tabs += 1
        if ctx.tabs > MAX_TABS:
            raise BenchError(f"more than {MAX_TABS} tabs: refused (the bench is bounded)")
        self.ctx = ctx
        self.token = str(uuid.uuid4())
        self.ip = next(ctx.ips)
        self.cookies: dict[str, str] = {}
        self.frames: list[dict] = []
        self.changed = asyncio.Event()
        self.sio: socketio.AsyncClient | None = None
        self.path = "/"

    def headers(self) -> dict[str, str]:
        headers = {"Origin": self.ctx.origin, "X-Forwarded-For": self.ip}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    async def _on(self, event: str, data: Any = None) -> None:
        if event == "event" and isinstance(data, dict):
            self.frames.append(data)
            self.changed.set()

    async def open(self, path: str) -> None:
        """A full page load: the static page over HTTP, then the socket with the hydrate event."""
        async with self.ctx.pages.get(self.ctx.base + path.rstrip("/") + "/", headers=self.headers()) as page:
            await page.read()
            if page.status != 200:
                raise BenchError(f"GET {path}: HTTP {page.status}")
        await self.connect(path)

    async def connect(self, path: str) -> None:
        self.path = path
        sio = socketio.AsyncClient(
            reconnection=False,
            request_timeout=STEP_TIMEOUT,
            http_session=self.ctx.pages,
            websocket_extra_options={"headers": self.headers()},
        )
        sio.on("*", self._on, namespace=NAMESPACE)
        hydrate = {
            "name": f"{self.ctx.app.root}.hydrate_and_load",
            "payload": {"hashes": list(self.ctx.app.hashes)},
            "router_data": router_data(path),
        }
        await sio.connect(
            f"{self.ctx.base}?{urlencode({'token': self.token})}",
            socketio_path=SOCKETIO_PATH,
            transports=["websocket"],
            namespaces=[NAMESPACE],
            wait_timeout=STEP_TIMEOUT,
            auth={"event": hydrate, "state_schema": self.ctx.app.state_schema},
        )
        self.sio = sio

    async def close(self) -> None:
        if self.sio is not None:
            sio, self.sio = self.sio, None
            with contextlib.suppress(Exception):
                await sio.disconnect()

    async def emit(self, handler: str, payload: dict | None = None, path: str | None = None) -> int:
        """Send an event; returns the index of the first frame that may answer it."""
        if self.sio is None:
            raise BenchError("not connected")
        start = len(self.frames)
        name = handler if handler.startswith(self.ctx.app.root + ".") else self.ctx.app.event_name(handler)
        await self.sio.emit(
            "event",
            {"name": name, "payload": payload or {}, "router_data": router_data(path or self.path)},
            namespace=NAMESPACE,
        )
        return start

    async def wait(self, start: int, found, what: str, timeout: float = STEP_TIMEOUT) -> Any:
        """The first truthy found(frame) among the frames from `start` on."""
        deadline = time.monotonic() + timeout
        index = start
        while True:
            self.changed.clear()
            while index < len(self.frames):
                result = found(self.frames[index])
                index += 1
                if result:
                    return result
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.sio is not None and not self.sio.connected):
                raise BenchError(f"timeout waiting for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)

    def var_set(self, state: str, var: str, check=bool):
        full = self.ctx.state(state)

        def found(frame: dict):
            value = _delta_value(frame, full, var)
            return value is not _MISSING and check(value) and (value if value else True)

        return found

    async def navigate(self, path: str) -> int:
        """Client-side navigation: the page's on_load handlers, as the router does."""
        self.path = path
        return await self.emit("OnLoadInternalState.on_load_internal", path=path)

    # pieces of journeys ---------------------------------------------------------------------------

    async def load_login_page(self, path: str = "/login") -> None:
        """The page until it is usable: static page, socket, hydrate, the page's on_load (is_hydrated)."""
        await self.open(path)
        await self.wait(0, self.hydrated, "page hydrated")

    def hydrated(self, frame: dict) -> bool:
        return _delta_value(frame, self.ctx.app.root, "is_hydrated") is True

    async def show_captcha(self) -> datetime:
        """The person focuses the captcha field, which asks for the picture (as the browser does,
        components/captcha.py); returns when it has arrived, and since when to look for its row."""
        since = datetime.now(UTC) - timedelta(seconds=1)
        start = await self.emit("CaptchaState.prepare")
        await self.wait(start, self.var_set("CaptchaState", "src"), "captcha picture")
        return since

    async def log_in(self, state: str, form: dict, since: datetime) -> str:
        """Submit a login form with the captcha solved; returns the claim nonce."""
        await solve_captchas(self.ctx, since)  # the person reads the picture (untimed, see the docstring)
        start = await self.emit(f"{state}.submit", {"form": {**form, "captcha": CAPTCHA_ANSWER}})
        full = self.ctx.state(state)

        def found(frame: dict):
            if code := _script_call(frame, "POST"):
                return ("ok", code)
            error = _delta_value(frame, full, "form_error")
            if error not in (_MISSING, "", None):
                return ("error", error)
            errors = _delta_value(frame, full, "errors")
            if isinstance(errors, dict) and any(errors.values()):
                return ("error", json.dumps({k: v for k, v in errors.items() if v}, ensure_ascii=False))
            return None

        # A rush of logins queues for bcrypt (200 at once at cost 12: the last waits ≈ 28 s on 2 workers, ≈ 45 s
        # on one): wait like a person would.
        kind, detail = await self.wait(start, found, "login answer", timeout=LOGIN_TIMEOUT)
        if kind == "error":
            raise BenchError(f"login refused: {detail[:80]}")
        nonce = re.search(r"['\"]X-Login-Nonce['\"]\s*:\s*(\"(?:[^\"\\]|\\.)*\")", detail)
        if not nonce:
            raise BenchError("login script without nonce")
        return json.loads(nonce.group(1))

    async def redeem(self, nonce: str) -> None:
        response = await self.ctx.http.post(
            self.ctx.base + "/api/sesion",
            headers={"X-Client-Token": self.token, "X-Login-Nonce": nonce, "Origin": self.ctx.origin},
        )
        if response.status_code != 200:
            raise BenchError(f"POST /api/sesion: HTTP {response.status_code}")
        for cookie in ("ag_sid", "ag_op"):
            if value := response.cookies.get(cookie):
                self.cookies[cookie] = value
        if not self.cookies:
            raise BenchError("no session cookie")

    async def logout(self, state: str = "SessionState", query: str = "") -> None:
        start = await self.emit(f"{state}.logout")
        await self.wait(start, lambda f: _script_call(f, "DELETE"), "logout script")
        response = await self.ctx.http.delete(
            self.ctx.base + "/api/sesion" + query, headers={"Origin": self.ctx.origin, **self._cookie_header()}
        )
        if response.status_code != 200:
            raise BenchError(f"DELETE /api/sesion: HTTP {response.status_code}")
        self.cookies.clear()

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}


# --- journeys ----------------------------------------------------------------------------------------


class Steps(dict):
    def __missing__(self, key: str) -> Step:
        self[key] = Step(key)
        return self[key]


async def login_page_only(ctx: Ctx, steps: Steps, name: str, focus_after: tuple[float, float] = (4.0, 10.0)) -> None:
    """Open the login page (step `name`); `focus_after` seconds later (document and password typed) focus
    the captcha field: the picture (step `name` + " → captcha picture")."""
    tab = Tab(ctx)
    try:
        async with Timer(steps[name]):
            await tab.load_login_page()
        await asyncio.sleep(random.uniform(*focus_after))
        async with Timer(steps[name + " → captcha picture"]):
            await tab.show_captcha()
    except Exception:
        pass
    finally:
        await tab.close()


async def blank_page(ctx: Ctx, steps: Steps, name: str) -> None:
    tab = Tab(ctx)
    try:
        async with Timer(steps[name]):
            await tab.load_login_page("/")
    except Exception:
        pass
    finally:
        await tab.close()


async def customer_login(ctx: Ctx, steps: Steps, n: int, prefix: str) -> Tab:
    """The login page, the login and the reload on Mis Suministros: a logged-in tab."""
    tab = Tab(ctx)
    async with Timer(steps[f"{prefix}login page"]):
        await tab.load_login_page()
    async with Timer(steps[f"{prefix}captcha picture (field focused)"]):
        since = await tab.show_captcha()
    async with Timer(steps[f"{prefix}login (captcha+bcrypt)"]):
        form = {"doc_type": "DNI", "doc_number": customer_document(n), "password": BENCH_PASSWORD}
        nonce = await tab.log_in("LoginState", form, since)
    async with Timer(steps[f"{prefix}POST /api/sesion"]):
        await tab.redeem(nonce)
    return tab


THINK = [0.0]  # mean seconds a customer reads a page before the next click (--think)


async def pause(mean: float) -> None:
    """A person's pause between two clicks: random, `mean` seconds on average."""
    await asyncio.sleep(random.uniform(0, 2 * mean))


async def think() -> None:
    await pause(THINK[0])


async def customer_journey(ctx: Ctx, steps: Steps, n: int, logged_in: Gate, browsed: Gate) -> None:
    """Log in (everyone within a second), wait until all are logged in, then browse at the same time
    (within a second): the data pages are measured with all the customers on line, apart from the rush
    of logins (bcrypt) before them, each click after a think time (--think). After the PDF, wait until the
    bench has read RSS and Redis, log out."""
    tab: Tab | None = None
    gates = [logged_in, browsed]
    try:
        await asyncio.sleep(random.random())
        tab = await customer_login(ctx, steps, n, "")
        async with Timer(steps["Mis Suministros (reload+hydrate)"]):
            await tab.close()
            tab.frames.clear()
            await tab.connect("/suministros")
            rows = await tab.wait(0, tab.var_set("SuppliesState", "rows"), "Mis Suministros rows")
        number = rows[0]["number"]
        await gates.pop(0).arrive()
        await logged_in.released.wait()
        await asyncio.sleep(random.random())
        await think()
        async with Timer(steps["Facturas (on_load)"]):
            start = await tab.navigate(f"/suministros/{number}")
            invoices = await tab.wait(start, tab.var_set("InvoicesState", "rows"), "invoices")
        await think()
        async with Timer(steps["Facturas next page"]):
            start = await tab.emit("InvoicesState.next_page")
            await tab.wait(start, tab.var_set("InvoicesState", "page_number", lambda p: p == 2), "page 2")
        await think()
        async with Timer(steps["Imprimir (event)"]):
            start = await tab.emit("InvoicesState.print_invoice", {"invoice_id": invoices[0]["id"]})
            download = await tab.wait(start, lambda f: _events(f, "_download"), "download")
        async with Timer(steps["Imprimir (PDF over HTTP)"]):
            url = download[0]["payload"]["url"]
            url = url if url.startswith("/") else urlparse(url).path
            pdf = await ctx.http.get(ctx.base + url, headers=tab._cookie_header())
            if pdf.status_code != 200 or not pdf.content.startswith(b"%PDF"):
                raise BenchError(f"PDF: HTTP {pdf.status_code}")
        await gates.pop(0).arrive()
        await browsed.released.wait()
        async with Timer(steps["logout"]):
            await tab.logout()
    except Exception:
        pass  # counted by the Timer that failed
    finally:
        for gate in gates:  # a journey that failed still lets the others go on
            await gate.arrive()
        if tab is not None:
            await tab.close()


async def operator_journey(ctx: Ctx, steps: Steps, stop: asyncio.Event) -> None:
    tab = Tab(ctx)
    try:
        async with Timer(steps["operator: /operador login page"]):
            await tab.load_login_page("/operador")
            since = await tab.show_captcha()
        async with Timer(steps["operator: login"]):
            nonce = await tab.log_in(
                "OperatorLoginState", {"username": BENCH_OPERATOR, "password": BENCH_PASSWORD}, since
            )
            await tab.redeem(nonce)
        async with Timer(steps["operator: queue (reload+hydrate)"]):
            await tab.close()
            tab.frames.clear()
            await tab.connect("/operador")
            await tab.wait(0, tab.var_set("OperatorQueueState", "rows"), "queue rows")
        actions = [
            ("OperatorQueueState.filter_by_kind", {"kind": "dni"}),
            ("OperatorQueueState.next_page", {}),
            ("OperatorQueueState.next_page", {}),
            ("OperatorQueueState.previous_page", {}),
            ("OperatorQueueState.filter_by_state", {"value": "vencido"}),
            ("OperatorQueueState.search_items", {"form": {"search": customer_document(100_100)}}),
            ("OperatorQueueState.clear_search", {}),
            ("OperatorQueueState.filter_by_state", {"value": "pendiente"}),
            ("OperatorQueueState.refresh", {}),
        ]
        i = 0
        while not stop.is_set():
            handler, payload = actions[i % len(actions)]
            i += 1
            async with Timer(steps["operator: queue event"]):
                start = await tab.emit(handler, payload)
                await tab.wait(start, tab.var_set("OperatorQueueState", "rows", lambda rows: True), handler)
            await asyncio.sleep(0.3)
        async with Timer(steps["operator: logout"]):
            await tab.logout("OperatorSessionState", "?tipo=operador")
    except Exception:
        pass
    finally:
        await tab.close()


class Gate:
    """Counts journeys that reached a point (or failed before it); `released` lets them go on."""

    def __init__(self, expected: int) -> None:
        self.expected, self.arrived = expected, 0
        self.all_here = asyncio.Event()
        self.released = asyncio.Event()

    async def arrive(self) -> None:
        self.arrived += 1
        if self.arrived >= self.expected:
            self.all_here.set()


async def storm(
    ctx: Ctx,
    steps: Steps,
    seconds: float,
    loggers: int,
    watchers: int,
    first: int,
    watch_every: float,
    started=lambda: None,
) -> None:
    """Back-to-back logins from `loggers` tabs for `seconds`, while `watchers` logged-in customers page
    their invoices, a click every `watch_every` seconds on average."""
    others: list[Tab] = []
    for k in range(watchers):  # not timed: the watchers just need to be there
        with contextlib.suppress(Exception):
            tab = await customer_login(ctx, Steps(), first + k, "")
            await tab.close()
            tab.frames.clear()
            await tab.connect("/suministros")
            rows = await tab.wait(0, tab.var_set("SuppliesState", "rows"), "rows")
            start = await tab.navigate(f"/suministros/{rows[0]['number']}")
            await tab.wait(start, tab.var_set("InvoicesState", "rows"), "invoices")
            others.append(tab)
    started()  # the CPU meter counts from here: the watchers' own logins above are not the storm's
    stop = time.monotonic() + seconds
    logins = steps["storm: logins completed"]

    async def logger(k: int) -> None:
        n = first + watchers + k * 1000
        await asyncio.sleep(random.uniform(0, 1))  # the storm's tabs arrive within a second, not in one instant
        while time.monotonic() < stop:
            n += 1
            tab: Tab | None = None
            t = time.perf_counter()
            try:
                tab = await customer_login(ctx, steps, n, "storm: ")
                logins.ok((time.perf_counter() - t) * 1000)
            except Exception as exc:
                logins.fail(exc)
            finally:
                if tab is not None:
                    await tab.close()

    async def watcher(tab: Tab) -> None:
        forward = True
        await pause(watch_every)  # people, not a metronome started at once
        while time.monotonic() < stop:
            async with Timer(steps["storm: others' page events"]):
                start = await tab.emit("InvoicesState.next_page" if forward else "InvoicesState.previous_page")
                wanted = 2 if forward else 1
                await tab.wait(start, tab.var_set("InvoicesState", "page_number", lambda p, w=wanted: p == w), "page")
            forward = not forward
            await pause(watch_every)

    with contextlib.suppress(Exception):
        logins.began = time.perf_counter()
        await asyncio.gather(*(logger(k) for k in range(loggers)), *(watcher(t) for t in others))
    logins.ended = time.perf_counter()
    for tab in others:
        await tab.close()


async def trivial(ctx: Ctx, steps: Steps, seconds: float = 3.0, tabs: int = 10) -> None:
    """Reflex's own /ping over HTTP, and a trivial event of the framework (no code of ours), on our app."""
    ping = steps["limit: /ping (HTTP)"]
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        async with Timer(ping):
            r = await ctx.http.get(ctx.base + "/ping")
            if r.status_code != 200:
                raise BenchError(f"/ping {r.status_code}")
    event = steps["limit: trivial event (set_is_hydrated)"]
    open_tabs = []
    for _ in range(tabs):
        tab = Tab(ctx)
        await tab.connect("/")
        open_tabs.append(tab)
    stop = time.monotonic() + seconds
    event.began = time.perf_counter()

    async def loop(tab: Tab) -> None:
        flag = False
        while time.monotonic() < stop:
            flag = not flag
            async with Timer(event):
                start = await tab.emit("OnLoadInternalState.set_is_hydrated", {"value": flag})
                await tab.wait(start, tab.var_set("State", "is_hydrated", lambda v, f=flag: v == f), "trivial")

    with contextlib.suppress(Exception):
        await asyncio.gather(*(loop(t) for t in open_tabs))
    for tab in open_tabs:
        await tab.close()


# --- measuring the server ----------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """pid and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                ppid = int(_stat_fields(entry / "stat")[1][1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def tree_rss(pid: int) -> int:
    """RSS (bytes) of pid and its descendants."""
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def _stat_fields(path: Path) -> tuple[str, list[str]]:
    text = path.read_text()
    return text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()


def cpu_by_part(portal_pid: int) -> dict[str, float]:
    """CPU seconds used so far, by part of the machine: the portal's bcrypt threads (the only ones that run
    at a positive nice, services/passwords.py), the rest of the portal, PostgreSQL, Redis, this bench, and
    the whole machine (/proc/stat: user, nice, system, irq, softirq) — the kernel's loopback, other jobs."""
    ticks = os.sysconf("SC_CLK_TCK")
    parts = dict.fromkeys(("bcrypt", "portal", "postgres", "redis", "driver", "machine"), 0.0)
    portal = set(_tree(portal_pid))
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(entry.name)
            name, fields = _stat_fields(entry / "stat")
            used = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            if pid in portal:
                for task in (entry / "task").iterdir():
                    with contextlib.suppress(OSError, ValueError, IndexError):
                        _, tf = _stat_fields(task / "stat")
                        if int(tf[16]) > 0:  # nice
                            hashing = (int(tf[11]) + int(tf[12])) / ticks
                            parts["bcrypt"] += hashing
                            used -= hashing
                parts["portal"] += used
            elif pid == os.getpid():
                parts["driver"] += used
            elif name.startswith("postgres"):
                parts["postgres"] += used
            elif name.startswith("redis"):
                parts["redis"] += used
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    parts["machine"] = sum(int(cpu[i]) for i in (0, 1, 2, 5, 6)) / ticks
    return parts


class CpuMeter:
    """Server and client CPU seconds spent between start() and stop()."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.server = self.client = 0.0

    def start(self) -> None:
        self._parts, self._c = cpu_by_part(self.pid), time.process_time()

    def stop(self) -> None:
        now = cpu_by_part(self.pid)
        self.parts = {part: now[part] - self._parts[part] for part in now}
        # the portal's own processes (its live ones: whatever else the shared machine is doing)
        self.server, self.client = self.parts["bcrypt"] + self.parts["portal"], time.process_time() - self._c


async def redis_bytes_per_token(redis_url: str, tokens: set[str]) -> tuple[float, int]:
    """Mean bytes in Redis (MEMORY USAGE of the state keys) per tab token among `tokens`."""
    client = aioredis.from_url(redis_url)
    per_token: dict[str, int] = {}
    try:
        async for key in client.scan_iter(count=1000):
            name = key.decode(errors="replace")
            token = name[:36]
            if token in tokens:
                per_token[token] = per_token.get(token, 0) + int(await client.memory_usage(key) or 0)
    finally:
        await client.aclose()
    if not per_token:
        return float("nan"), 0
    return statistics.mean(per_token.values()), len(per_token)


# --- the server under test ---------------------------------------------------------------------------


def admin_dsn(args) -> str:
    return f"postgresql://{args.pg_admin}@127.0.0.1:5432/{args.db}"


def free_port(preferred: int) -> int:
    for port in [preferred, *range(preferred + 1, preferred + 200)]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise BenchError("no free port")


def server_env(args, workers: int, port: int, secret: str, cost: int, data_dir: Path) -> dict[str, str]:
    tools = ROOT / ".tools" / "node_modules" / ".bin"
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("AUTOGESTION_") or key in ("DATABASE_URL", "REFLEX_REDIS_URL"):
            del env[key]
    env.update(
        PATH=f"{tools}:{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}",
        REFLEX_TELEMETRY_ENABLED="false",
        AUTOGESTION_ENV="production",
        AUTOGESTION_PORT=str(port),
        AUTOGESTION_BASE_URL=f"https://localhost:{port}",
        AUTOGESTION_SECRET_KEY=secret,
        AUTOGESTION_DATA_DIR=str(data_dir),
        AUTOGESTION_SMTP_HOST="127.0.0.1",
        AUTOGESTION_SMTP_PORT=str(free_port(port + 50)),  # a local relay (nothing is mailed in the bench)
        AUTOGESTION_SMS_GATEWAY_URL=f"http://127.0.0.1:{free_port(port + 60)}/sms",  # a stub nobody calls
        AUTOGESTION_PAYMENTS="mercadopago",
        AUTOGESTION_MP_ACCESS_TOKEN="bench-dummy-token",
        AUTOGESTION_MP_WEBHOOK_SECRET="bench-dummy-secret",
        AUTOGESTION_BCRYPT_COST=str(cost),
        AUTOGESTION_TRUSTED_PROXIES="127.0.0.1",
        AUTOGESTION_HANDLER_TIMING="true" if args.handler_timing else "false",
        DATABASE_URL=database_url(args.db),
    )
    for item in args.server_env:  # --server-env: an experiment (pool sizes, …) on top of the above
        key, _, value = item.partition("=")
        env[key] = value
    if workers:  # 0: the baseline without Redis (Reflex's disk state manager, one worker)
        env.update(REFLEX_REDIS_URL=f"redis://127.0.0.1:6379/{args.redis_db}", GRANIAN_WORKERS=str(workers))
    return env


@contextlib.asynccontextmanager
async def portal(args, workers: int, secret: str, cost: int):
    port = free_port(args.port)
    data_dir = Path(f"/tmp/bench-ws-data-{os.getpid()}")
    data_dir.mkdir(exist_ok=True)
    flush = aioredis.from_url(f"redis://127.0.0.1:6379/{args.redis_db}")
    await flush.flushdb()  # our own Redis database only
    await flush.aclose()
    log = open(f"/tmp/bench-ws-server-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "reflex"), "run", "--env", "prod", "--loglevel", "warning"]
        + ["--backend-host", "127.0.0.1"],
        cwd=ROOT,
        env=server_env(args, workers, port, secret, cost, data_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(120):
                await asyncio.sleep(1)
                if proc.poll() is not None:
                    raise BenchError(f"the portal exited ({proc.returncode}); see {log.name}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(base + "/ping")).status_code == 200:
                        break
            else:
                raise BenchError(f"the portal did not start in 120 s; see {log.name}")
        yield base, proc, port, Path(log.name)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the group of the server this bench started
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


# --- limits --------------------------------------------------------------------------------------------


def bcrypt_rate(cost: int, threads: int, seconds: float = 3.0) -> float:
    salt = bcrypt.gensalt(cost)
    stop = time.monotonic() + seconds

    def work() -> int:
        n = 0
        while time.monotonic() < stop:
            bcrypt.hashpw(b"Bench.Clave2026", salt)
            n += 1
        return n

    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        done = sum(pool.map(lambda _: work(), range(threads)))
    return done / (time.perf_counter() - t)


ECHO_APP = """
import socketio
sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
@sio.on("echo")
async def echo(sid, data):
    return data
app = socketio.ASGIApp(sio, socketio_path="/_event")
"""


async def echo_limit(steps: Steps, port: int, clients: int = 20, seconds: float = 4.0) -> None:
    """A bare python-socketio ASGI echo, served by granian (1 worker), with call/ack round trips."""
    folder = Path(f"/tmp/bench-echo-{os.getpid()}")
    folder.mkdir(exist_ok=True)
    (folder / "bench_echo.py").write_text(ECHO_APP)
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "asgi", "--host", "127.0.0.1"]
        + ["--port", str(port), "--workers", "1", "--log-level", "warning", "bench_echo:app"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    step = steps["limit: bare socket.io echo"]
    try:
        for _ in range(50):
            await asyncio.sleep(0.2)
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        sios = []
        for _ in range(clients):
            sio = socketio.AsyncClient(reconnection=False)
            await sio.connect(f"http://127.0.0.1:{port}", socketio_path="/_event", transports=["websocket"])
            sios.append(sio)
        stop = time.monotonic() + seconds
        step.began = time.perf_counter()

        async def loop(sio: socketio.AsyncClient) -> None:
            while time.monotonic() < stop:
                async with Timer(step):
                    await sio.call("echo", {"x": 1}, timeout=10)

        await asyncio.gather(*(loop(s) for s in sios))
        for sio in sios:
            await sio.disconnect()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


# --- one worker count -------------------------------------------------------------------------------


@dataclass
class Result:
    workers: int
    run: int
    steps: Steps
    rss_per_session: float = float("nan")
    state_per_session: float = float("nan")
    sessions: int = 0
    loads_per_s: float = float("nan")
    logins_per_s: float = float("nan")
    cpu: dict[str, tuple[float, float, int]] = field(default_factory=dict)  # phase: (server s, client s, units)
    pg_opened_burst: int = 0  # PostgreSQL connections opened during the login-page burst
    pg_peak: int = 0  # most connections to the bench database at once (sampled every 0.2 s)
    phases: list[tuple[str, float, float]] = field(default_factory=list)  # (phase, epoch start, epoch end)
    storm_parts: dict[str, float] = field(default_factory=dict)  # CPU seconds per storm login, by part (cpu_by_part)
    handler_ms: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (phase, handler): ms


@contextlib.contextmanager
def phase(result: Result, name: str):
    """Mark a phase of the run in wall-clock time, to sort the server's timing lines into it."""
    began = time.time()
    try:
        yield
    finally:
        result.phases.append((name, began, time.time()))


def read_handler_times(log: Path, result: Result) -> None:
    """The `autogestion.timing` lines of the server's log (one JSON object a line in production), each
    into the phase whose wall-clock span holds it (lines outside every phase, e.g. the warm-up, are left)."""
    if not log.exists():
        return
    with log.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if '"autogestion.timing"' not in line:
                continue
            try:
                record = json.loads(line)
                at = datetime.fromisoformat(record["time"]).timestamp()
                handler, ms = str(record["handler"]), float(record["ms"])
            except (ValueError, KeyError, TypeError):
                continue
            for name, began, ended in result.phases:
                if began - 0.002 <= at <= ended + 0.002:  # the log's time has millisecond precision
                    result.handler_ms.setdefault((name, handler), []).append(ms)
                    break


async def pg_sessions(pg: asyncpg.Pool) -> int:
    """Connections ever opened to this database (pg_stat_database.sessions, PostgreSQL 14+)."""
    return int(await pg.fetchval("SELECT sessions FROM pg_stat_database WHERE datname = current_database()") or 0)


async def watch_pg(pg: asyncpg.Pool, result: Result, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(Exception):
            now = await pg.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            result.pg_peak = max(result.pg_peak, int(now) - 1)  # minus the watcher's own
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)


async def one_config(args, workers: int, run: int, secret: str, cost: int, app_dir: Path) -> Result:
    steps = Steps()
    result = Result(workers, run, steps)
    async with portal(args, workers, secret, cost) as (base, proc, port, server_log):
        app = CompiledApp.load(app_dir)
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        # The bench's own connections: as the administrator, so the portal alone is held to its role's limit.
        pg = await asyncpg.create_pool(admin_dsn(args), min_size=1, max_size=2)
        async with httpx.AsyncClient(timeout=STEP_TIMEOUT, limits=limits) as http, open_pages() as pages:
            ctx = Ctx(
                base=base, origin=f"https://localhost:{port}", app=app, http=http, pg=pg, secret=secret, pages=pages
            )
            # warm-up (not counted): every worker imports, connects its pool, compiles its first queries
            await asyncio.gather(*(login_page_only(ctx, Steps(), "warm") for _ in range(4 * max(workers, 1))))
            await trivial(ctx, steps)

            stop_watch = asyncio.Event()
            watcher = asyncio.create_task(watch_pg(pg, result, stop_watch))
            burst = steps[f"login page burst ({args.burst} at once)"]
            opened = await pg_sessions(pg)
            meter = CpuMeter(proc.pid)
            meter.start()
            burst.began = time.perf_counter()
            with phase(result, "burst"):
                await asyncio.gather(*(login_page_only(ctx, steps, burst.name) for _ in range(args.burst)))
            meter.stop()
            result.cpu["login page + picture"] = (meter.server, meter.client, len(burst.lat))
            result.pg_opened_burst = await pg_sessions(pg) - opened
            result.loads_per_s = len(burst.lat) / (burst.ended - burst.began) if burst.lat else 0.0
            # the limit beside it: the same crowd on a blank Reflex page (the landing: no on_load, no captcha)
            blank = steps[f"limit: blank Reflex page burst ({args.burst} at once)"]
            blank.began = time.perf_counter()
            await asyncio.gather(*(blank_page(ctx, steps, blank.name) for _ in range(args.burst)))

            await asyncio.sleep(1)
            rss_before = tree_rss(proc.pid)
            logged_in, browsed = Gate(args.customers), Gate(args.customers)
            stop_operator = asyncio.Event()
            first = 1 + (run - 1) * 20_000 + {1: 0, 2: 5_000, 4: 10_000}.get(workers, 15_000)
            tokens: set[str] = set()

            async def measure_at_gate() -> None:
                try:
                    await asyncio.wait_for(logged_in.all_here.wait(), MAX_SECONDS_PER_CONFIG / 3)
                finally:
                    logged_in.released.set()
                try:
                    await asyncio.wait_for(browsed.all_here.wait(), MAX_SECONDS_PER_CONFIG / 3)
                    await self_measure()
                finally:
                    browsed.released.set()

            async def self_measure() -> None:
                await asyncio.sleep(0.5)
                rss_after = tree_rss(proc.pid)
                open_tabs = args.customers - sum(s.errors for s in steps.values() if not s.name.startswith("op"))
                result.sessions = max(open_tabs, 1)
                result.rss_per_session = (rss_after - rss_before) / result.sessions
                result.state_per_session, _ = await redis_bytes_per_token(
                    f"redis://127.0.0.1:6379/{args.redis_db}", tokens
                )

            original_init = Tab.__init__

            def tracking_init(self, c):  # remember the customers' tokens for the Redis figure
                original_init(self, c)
                tokens.add(self.token)

            Tab.__init__ = tracking_init
            meter.start()
            try:
                with phase(result, "customers"):
                    operator = asyncio.create_task(operator_journey(ctx, steps, stop_operator))
                    await asyncio.gather(
                        measure_at_gate(),
                        *(customer_journey(ctx, steps, first + k, logged_in, browsed) for k in range(args.customers)),
                    )
            finally:
                Tab.__init__ = original_init
                stop_operator.set()
            await operator
            meter.stop()
            result.cpu["customer journey"] = (meter.server, meter.client, len(steps["logout"].lat))

            with phase(result, "storm"):
                await storm(
                    ctx,
                    steps,
                    args.storm_seconds,
                    loggers=args.storm_tabs or 4 * max(1, min(workers, 2)),
                    watchers=20,
                    first=first + 2_000,
                    watch_every=args.watch_every,
                    started=meter.start,
                )
            meter.stop()
            result.cpu["storm (per login)"] = (meter.server, meter.client, len(steps["storm: logins completed"].lat))
            result.storm_parts = {
                k: v / max(len(steps["storm: logins completed"].lat), 1) for k, v in meter.parts.items()
            }
            storm_step = steps["storm: logins completed"]
            result.logins_per_s = storm_step.rate()
            stop_watch.set()
            await watcher
        await pg.close()
    read_handler_times(server_log, result)  # the server has stopped: its log is complete
    return result


# --- the table ---------------------------------------------------------------------------------------


def print_step_table(results: list[Result], limit_steps: Steps) -> None:
    header = f"{'workers':>7} {'run':>3}  {'step':52s} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'ev/s':>7} {'err':>4}"
    print("\n" + header)
    print("-" * len(header))
    for s in limit_steps.values():
        print(
            f"{'-':>7} {'-':>3}  {s.name:52s} {len(s.lat):5d} {pct(s.lat, 0.5):8.1f} {pct(s.lat, 0.95):8.1f} "
            f"{pct(s.lat, 0.99):8.1f} {s.rate():7.1f} {s.errors:4d}"
        )
    for r in results:
        for s in r.steps.values():
            print(
                f"{r.workers:7d} {r.run:3d}  {s.name:52s} {len(s.lat):5d} {pct(s.lat, 0.5):8.1f} "
                f"{pct(s.lat, 0.95):8.1f} {pct(s.lat, 0.99):8.1f} {s.rate():7.1f} {s.errors:4d}"
            )
            for kind, count in list(s.error_kinds.items())[:3]:
                print(f"{'':13}    ! {count} × {kind}")
    print()


def print_handler_table(results: list[Result]) -> None:
    """Handler time on the server (AUTOGESTION_HANDLER_TIMING), per worker count, phase and handler."""
    if not any(r.handler_ms for r in results):
        return
    header = f"{'workers':>7} {'run':>3}  {'phase':9s} {'handler (server wall time)':40s} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    order = {name: i for i, name in enumerate(("burst", "customers", "storm"))}
    for r in results:
        for (name, handler), ms in sorted(r.handler_ms.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1])):
            print(
                f"{r.workers:7d} {r.run:3d}  {name:9s} {handler:40s} {len(ms):5d} {pct(ms, 0.5):8.1f} "
                f"{pct(ms, 0.95):8.1f} {pct(ms, 0.99):8.1f}"
            )
    print()


DATA_HANDLERS = ("InvoicesState.load", "InvoicesState.next_page", "InvoicesState.print_invoice")


def print_summary(results: list[Result], bcrypt_machine: float, burst: int) -> None:
    header = (
        f"{'workers':>7} {'run':>3} {'loads/s':>8} {'burst p95':>9} {'burst err':>9} {'picture p95':>11} {'data p95':>8} "
        f"{'logins/s':>8} {'% bcrypt':>8} {'others p95':>10} {'RSS/session':>11} {'Redis/token':>11} "
        f"{'PG opened':>9} {'PG peak':>7} {'data handler p95':>16}"
    )
    print(header)
    print("-" * len(header))
    data_steps = ("Facturas (on_load)", "Facturas next page", "Imprimir (event)")
    for r in results:
        b = r.steps.get(f"login page burst ({burst} at once)", Step("-"))
        picture = r.steps.get(f"login page burst ({burst} at once) → captcha picture", Step("-"))
        data = [v for name in data_steps for v in r.steps.get(name, Step("-")).lat]
        others = r.steps.get("storm: others' page events", Step("-"))
        handler_data = [v for h in DATA_HANDLERS for v in r.handler_ms.get(("customers", h), [])]
        print(
            f"{r.workers:7d} {r.run:3d} {r.loads_per_s:8.1f} {pct(b.lat, 0.95) / 1000:8.2f}s {b.errors:9d} "
            f"{pct(picture.lat, 0.95):9.1f}ms "
            f"{pct(data, 0.95):6.1f}ms {r.logins_per_s:8.2f} {100 * r.logins_per_s / bcrypt_machine:7.0f}% "
            f"{pct(others.lat, 0.95):8.1f}ms {r.rss_per_session / 1024:9.0f}KB {r.state_per_session / 1024:9.1f}KB "
            f"{r.pg_opened_burst:9d} {r.pg_peak:7d} {pct(handler_data, 0.95):14.1f}ms"
        )
    print("\nCPU per unit (server = the portal's processes, client = this bench; ms of CPU, not wall time):")
    for r in results:
        parts = [
            f"{phase} {1000 * server / max(units, 1):.1f} / {1000 * client / max(units, 1):.1f}"
            for phase, (server, client, units) in r.cpu.items()
        ]
        print(f"  {r.workers} worker(s), run {r.run}: " + " · ".join(parts))
    print(
        f"\nThe storm's CPU per login, by part (ms; budget: at 90 % of {bcrypt_machine:.1f} hashes/s the machine's "
        f"{os.cpu_count()} cores give each login {1000 * (os.cpu_count() or 1) / (0.9 * bcrypt_machine):.0f} ms, its hash included):"
    )
    for r in results:
        if p := r.storm_parts:
            known = sum(v for k, v in p.items() if k != "machine")
            print(
                f"  {r.workers} worker(s), run {r.run}: bcrypt {1000 * p['bcrypt']:.0f} · rest of the portal "
                f"{1000 * p['portal']:.0f} · PostgreSQL {1000 * p['postgres']:.0f} · Redis {1000 * p['redis']:.0f} · "
                f"this bench {1000 * p['driver']:.0f} · kernel and other {1000 * (p['machine'] - known):.0f} "
                f"= {1000 * p['machine']:.0f}"
            )
    print("workers 0 = one worker without Redis (Reflex's disk state manager), the baseline of the issue.")
    print("PG opened: connections PostgreSQL accepted during the burst; PG peak: most at once (its limit: 100).")
    print(
        "\nGoals: burst of 500 login-page loads with 0 errors and p95 < 2 s; data pages p95 < 50 ms of handler time with 200 "
        "customers;\nlogins/s ≥ 90 % of bcrypt on this machine with others' events p95 < 50 ms; more "
        "throughput with 2 workers than 1."
    )


async def amain(args) -> None:
    pg = await asyncpg.connect(admin_dsn(args))
    try:
        stored = await pg.fetchval("SELECT password_hash FROM users WHERE doc_number = $1", customer_document(1))
        customers = await pg.fetchval("SELECT count(*) FROM users")
        invoices = await pg.fetchval("SELECT reltuples::bigint FROM pg_class WHERE relname = 'invoices'")
    finally:
        await pg.close()
    if not stored:
        sys.exit(f"{args.db} is not seeded: run `.venv/bin/python bench/seed_scale.py --db {args.db}` first")
    cost = int(stored.split("$")[2])
    secret = secrets.token_urlsafe(48)
    print(
        f"{args.db}: {customers:,} accounts, ~{invoices:,} invoices; bcrypt cost {cost}; {os.cpu_count()} cores "
        f"(shared with other work: figures are noisy)",
        flush=True,
    )
    limit_steps = Steps()
    cores = os.cpu_count() or 1
    # The best of three: a slow measure (autovacuum after a seed, another job) would flatter the logins' share.
    one = max(bcrypt_rate(cost, 1) for _ in range(3))
    machine = max(bcrypt_rate(cost, cores) for _ in range(3))
    print(f"limit: bcrypt cost {cost}: {one:.1f} hashes/s on 1 thread, {machine:.1f}/s on {cores} threads", flush=True)
    await echo_limit(limit_steps, free_port(args.port + 100))
    results = []
    for run in range(1, args.runs + 1):
        for workers in args.workers:
            t = time.monotonic()
            print(f"… {workers} worker(s), run {run}", flush=True)
            result = await asyncio.wait_for(
                one_config(args, workers, run, secret, cost, ROOT / ".web"), MAX_SECONDS_PER_CONFIG
            )
            results.append(result)
            print(f"  done in {time.monotonic() - t:.0f} s", flush=True)
    print_step_table(results, limit_steps)
    print_handler_table(results)
    print(f"bcrypt limit: {one:.1f} hashes/s (1 thread), {machine:.1f}/s ({cores} threads) at cost {cost}")
    print_summary(results, machine, args.burst)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers",
        default="1,2,4",
        help="comma-separated worker counts (GRANIAN_WORKERS); 0 = one worker without Redis (disk state)",
    )
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--storm-seconds", type=float, default=20)
    parser.add_argument(
        "--storm-tabs",
        type=int,
        default=0,
        help="tabs logging in back to back in the storm (0: 4 per worker, at most 8); each waits for its "
        "login to finish, so few tabs measure login latency, enough tabs measure the bcrypt ceiling",
    )
    parser.add_argument(
        "--think", type=float, default=3, help="mean seconds between a customer's clicks on the data pages (0: none)"
    )
    parser.add_argument(
        "--watch-every",
        type=float,
        default=3,
        help="mean seconds between a storm watcher's clicks (uniform 0..2×; the bench used a fixed 0.2 before)",
    )
    parser.add_argument("--db", default="autogestion_bench")
    parser.add_argument("--redis-db", type=int, default=1)
    parser.add_argument("--pg-admin", default="postgres", help="the bench's own PostgreSQL user (not the portal's)")
    parser.add_argument("--port", type=int, default=3311)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra environment variable for the portal (repeatable), e.g. AUTOGESTION_DB_POOL_SIZE=20",
    )
    parser.add_argument(
        "--no-handler-timing",
        dest="handler_timing",
        action="store_false",
        help="run the portal without AUTOGESTION_HANDLER_TIMING (no server-side handler times)",
    )
    args = parser.parse_args(argv)
    if args.host not in LOCAL:
        parser.error("the bench only drives a portal on this machine (127.0.0.1 / localhost)")
    args.workers = [int(w) for w in args.workers.split(",") if w.strip()]
    if not args.workers or any(not 0 <= w <= 8 for w in args.workers):
        parser.error("--workers: 0 to 8 each")
    if not 1 <= args.runs <= 5 or not 1 <= args.burst <= 1000 or not 1 <= args.customers <= 500:
        parser.error("bounded: --runs 1..5, --burst 1..1000, --customers 1..500")
    if not 1 <= args.storm_seconds <= 60:
        parser.error("--storm-seconds 1..60")
    if not 0 <= args.storm_tabs <= 100:
        parser.error("--storm-tabs 0..100")
    if not 0 <= args.think <= 30:
        parser.error("--think 0..30")
    if not 0.05 <= args.watch_every <= 30:
        parser.error("--watch-every 0.05..30")
    THINK[0] = args.think
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
