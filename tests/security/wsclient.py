"""A websocket client that plays a browser tab of the running portal, for the attack tests.

It connects to Reflex's `/_event` socket.io endpoint exactly as the compiled frontend does
(`.web/utils/state.js`): the tab's token in the query string (`?token=<uuid4>`), the hydrate event
(`<root state>.hydrate_and_load` with the compiled `initialStateHashes`) and the `state_schema` in the
socket.io CONNECT `auth` payload, the cookie and the Origin in the handshake headers. Then it emits
events by name, including names no page ever sends, with any payload, and records every frame the
server sends back.

    async with ws_client(base_url, cookie=None, origin=...) as c:
        await c.call("LoginState.submit", {"form": {...}})
        c.frames, c.redirects(), c.state_var("SessionState.user_name"), c.text

State names are read from the compiled `.web/utils/context.jsx` of the app under test, so a test says
`LoginState.submit` and never hard-codes a mangled name.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp  # noqa: F401  (python-socketio's AsyncClient needs it: `python-socketio[asyncio_client]`)
import httpx
import socketio

NAMESPACE = "/_event"
SOCKETIO_PATH = "/_event"
SESSION_API = "/api/sesion"
SESSION_COOKIE = "ag_sid"
VAR_SUFFIX = "_rx_state_"  # how Reflex 0.10 names a var in the compiled state and in deltas
_SAME = object()  # "send the portal's own origin", the default of a real tab


class ConnectionRefused(Exception):
    """The server refused the websocket (e.g. a foreign Origin)."""


# --- the compiled frontend ----------------------------------------------------------------------


def _export(source: str, name: str) -> Any:
    """The JSON value of `export const <name> = ...` (one line in the compiled context.jsx)."""
    match = re.search(rf"^export const {re.escape(name)} = (.+?);?\s*$", source, re.MULTILINE)
    if not match:
        raise LookupError(f"`export const {name}` not found in the compiled context.jsx")
    return json.loads(match.group(1))


def snake_case(name: str) -> str:
    """`LoginState` → `login_state`, the way Reflex names a state class."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


@dataclass(frozen=True)
class CompiledApp:
    """What a browser tab knows about the app: read from `<app>/.web/utils/context.jsx`."""

    root: str  # "reflex___state____state"
    state_schema: str
    hashes: tuple[str, ...]
    states: tuple[
        str, ...
    ]  # every full state name, e.g. "reflex___state____state.autogestion___state___login____login_state"
    initial: dict = field(repr=False, default_factory=dict)

    @classmethod
    def load(cls, web_dir: Path | str) -> CompiledApp:
        source = (Path(web_dir) / "utils" / "context.jsx").read_text(encoding="utf-8")
        initial = _export(source, "initialState")
        return cls(
            root=_export(source, "state_name"),
            state_schema=_export(source, "stateSchema"),
            hashes=tuple(_export(source, "initialStateHashes")),
            states=tuple(initial),
            initial=initial,
        )

    def full_name(self, state: str) -> str:
        """The full state name for a class name (`SessionState`), a snake name (`session_state`,
        `state.session_state`), the root (`State`) or a full name (returned as is)."""
        if state in self.states:
            return state
        if state in ("State", "state", self.root):
            return self.root
        state = state.rsplit(".", 1)[-1]  # "state.login_state" → "login_state"
        wanted = snake_case(state) if not state.islower() else state
        found = [full for full in self.states if full.rsplit(".", 1)[-1].rsplit("____", 1)[-1] == wanted]
        if len(found) != 1:
            raise LookupError(f"state {state!r}: {'ambiguous ' + str(found) if found else 'not in the compiled app'}")
        return found[0]

    def event_name(self, handler: str) -> str:
        """`SessionState.logout` → `<full state name>.logout` (a full event name is returned as is)."""
        state, _, method = handler.rpartition(".")
        if not state:
            raise ValueError(f"{handler!r}: expected <State>.<handler>")
        return f"{self.full_name(state)}.{method}"


# --- the tab ------------------------------------------------------------------------------------


def router_data(path: str, query: dict | None = None) -> dict:
    """What the browser attaches to every event (`withRouterData` in state.js)."""
    query = dict(query or {})
    return {"pathname": path, "query": query, "asPath": path + (("?" + urlencode(query)) if query else "")}


class WsClient:
    """One browser tab: a token, an optional session cookie, the page it is on, and everything received."""

    def __init__(
        self,
        base_url: str,
        app: CompiledApp,
        *,
        cookie: str | None = None,
        origin: Any = _SAME,
        token: str | None = None,
        path: str = "/login",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app = app
        self.cookie = cookie
        self.origin = self.base_url if origin is _SAME else origin
        self.token = token or str(uuid.uuid4())
        self.path = path
        self.extra_headers = dict(headers or {})
        self.messages: list[tuple[str, Any]] = []  # every socket.io event received: (name, data)
        self.raw: list[str] = []  # the same, as JSON text (what a browser's devtools would show)
        self.frames: list[dict] = []  # the state updates ("event" messages): {"delta": ..., "events": [...]}
        self.state: dict[str, dict] = {}  # the deltas merged, as the browser's reducers hold them
        self._last_message = time.monotonic()
        self._sio: socketio.AsyncClient | None = None

    # connection ---------------------------------------------------------------------------------

    def handshake_headers(self) -> dict[str, str]:
        headers = dict(self.extra_headers)
        if self.origin:
            headers["Origin"] = self.origin
        if self.cookie:
            headers["Cookie"] = self.cookie if "=" in self.cookie else f"{SESSION_COOKIE}={self.cookie}"
        return headers

    async def connect(self, *, path: str | None = None, settle: bool = True) -> None:
        """Open the socket with the hydrate event in the CONNECT packet, as `connect()` in state.js."""
        if path is not None:
            self.path = path
        # Cookie and Origin go straight to aiohttp's ws_connect (websocket_extra_options), so nothing
        # rewrites them: the handshake carries exactly these headers.
        sio = socketio.AsyncClient(
            reconnection=False, request_timeout=10, websocket_extra_options={"headers": self.handshake_headers()}
        )
        sio.on("*", self._on_message, namespace=NAMESPACE)
        hydrate = {
            "name": f"{self.app.root}.hydrate_and_load",
            "payload": {"hashes": list(self.app.hashes)},
            "router_data": router_data(self.path),
        }
        try:
            await sio.connect(
                f"{self.base_url}?{urlencode({'token': self.token})}",
                socketio_path=SOCKETIO_PATH,
                transports=["websocket"],
                namespaces=[NAMESPACE],
                wait_timeout=10,
                auth={"event": hydrate, "state_schema": self.app.state_schema},
            )
        except socketio.exceptions.ConnectionError as exc:
            with contextlib.suppress(Exception):
                await sio.disconnect()
            raise ConnectionRefused(str(exc)) from exc
        self._sio = sio
        if settle:
            await self.settle(0)

    async def disconnect(self) -> None:
        if self._sio is not None:
            sio, self._sio = self._sio, None
            with contextlib.suppress(Exception):
                await sio.disconnect()
            await asyncio.sleep(0.05)  # let the server drop the token's socket before the same token reconnects

    async def reload(self, *, cookie: str | None = None, path: str | None = None) -> None:
        """What `window.location.assign(...)` does after the session endpoint: the same tab token, a new socket
        carrying the (new) cookie."""
        await self.disconnect()
        if cookie is not None:
            self.cookie = cookie
        await self.connect(path=path)

    @property
    def connected(self) -> bool:
        return self._sio is not None and self._sio.connected

    async def _on_message(self, event: str, data: Any = None) -> None:
        self._last_message = time.monotonic()
        self.messages.append((event, data))
        self.raw.append(json.dumps(data, ensure_ascii=False, default=str))
        if event == "event" and isinstance(data, dict):
            self.frames.append(data)
            for substate, changes in (data.get("delta") or {}).items():
                if isinstance(changes, dict):
                    self.state.setdefault(substate, {}).update(changes)

    # events -------------------------------------------------------------------------------------

    async def emit(
        self,
        name: str,
        payload: Any = None,
        *,
        path: str | None = None,
        query: dict | None = None,
        router: dict | None = None,
    ) -> None:
        """Send one event as given: `name` is a full event name or `<State>.<handler>`.

        A form carrying a `captcha` answer is preceded by `CaptchaState.prepare`, as in the browser, where
        typing the answer focused the captcha field first, and that drew the picture (components/captcha.py)."""
        if self._sio is None:
            raise RuntimeError("not connected")
        form = payload.get("form") if isinstance(payload, dict) else None
        if isinstance(form, dict) and "captcha" in form and not name.endswith("CaptchaState.prepare"):
            await self.emit("CaptchaState.prepare", path=path, query=query, router=router)
        full = name if name.startswith(self.app.root + ".") else self.app.event_name(name)
        event = {
            "name": full,
            "payload": {} if payload is None else payload,
            "router_data": router if router is not None else router_data(path or self.path, query),
        }
        await self._sio.emit("event", event, namespace=NAMESPACE)

    async def call(
        self,
        handler: str,
        payload: Any = None,
        *,
        path: str | None = None,
        query: dict | None = None,
        quiet: float = 0.4,
        timeout: float = 10,
        until: Callable[[list[dict]], bool] | None = None,
    ) -> list[dict]:
        """Emit the event, wait until the server has answered (quiet for `quiet` s, or `until(new frames)`),
        and return the frames received since the emit."""
        start = len(self.frames)
        await self.emit(handler, payload, path=path, query=query)
        await self.settle(start, quiet=quiet, timeout=timeout, until=until)
        return self.frames[start:]

    async def settle(
        self,
        start: int | None = None,
        *,
        quiet: float = 0.4,
        timeout: float = 10,
        until: Callable[[list[dict]], bool] | None = None,
    ) -> None:
        """Wait until nothing arrived for `quiet` seconds (or until `until(frames since start)` holds)."""
        start = len(self.frames) if start is None else start
        began = time.monotonic()
        deadline = began + timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            if until is not None:
                if until(self.frames[start:]):
                    return
                continue
            if time.monotonic() - max(began, self._last_message) >= quiet:
                return
        if until is not None:
            raise TimeoutError(f"no frame matched within {timeout} s; received: {self.raw[-5:]}")

    # what was received --------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """Every message received, as JSON text: what leak scans look at."""
        return "\n".join(self.raw)

    def events(self, name: str | None = None, frames: Iterable[dict] | None = None) -> list[dict]:
        """Frontend events the server sent (`_redirect`, `_call_script`, `_call_function`, `_download`...)."""
        found = [
            e
            for f in (self.frames if frames is None else frames)
            for e in (f.get("events") or [])
            if isinstance(e, dict)
        ]
        return [e for e in found if name is None or e.get("name") == name]

    def redirects(self, frames: Iterable[dict] | None = None) -> list[str]:
        return [str((e.get("payload") or {}).get("path", "")) for e in self.events("_redirect", frames)]

    def scripts(self, frames: Iterable[dict] | None = None) -> list[str]:
        """The JavaScript the server asked the tab to run (call_script code and call_function bodies)."""
        code = []
        for e in self.events(frames=frames):
            payload = e.get("payload") or {}
            if e.get("name") == "_call_script":
                code.append(str(payload.get("javascript_code", "")))
            elif e.get("name") == "_call_function":
                code.append(str(payload.get("function", "")))
        return code

    def session_calls(self, frames: Iterable[dict] | None = None) -> list[str]:
        """Scripts that call the session endpoint (the login hand-off or the logout)."""
        return [s for s in self.scripts(frames) if SESSION_API in s]

    def login_claim(self, frames: Iterable[dict] | None = None) -> dict | None:
        """The login hand-off the server sent, if any: {"nonce": ..., "target": ...} (nonce None when the
        script carries none)."""
        for script in self.session_calls(frames):
            if not re.search(r"method:\s*\"POST\"", script):
                continue
            nonce = re.search(r"['\"]X-Login-Nonce['\"]\s*:\s*(\"(?:[^\"\\]|\\.)*\")", script)
            target = re.search(r"location\.(?:assign|replace|href\s*=)\s*\(?(\"(?:[^\"\\]|\\.)*\")", script)
            return {
                "nonce": json.loads(nonce.group(1)) if nonce else None,
                "target": json.loads(target.group(1)) if target else None,
            }
        return None

    def state_var(self, name: str, default: Any = None) -> Any:
        """A var as the browser holds it now: `SessionState.user_name`."""
        state, _, var = name.rpartition(".")
        values = self.state.get(self.app.full_name(state), {})
        if var + VAR_SUFFIX in values:
            return values[var + VAR_SUFFIX]
        return values.get(var, default)

    # the session endpoint and uploads, over HTTP as the page script does ------------------------

    async def redeem(self, *, nonce: Any = _SAME, token: str | None = None, origin: Any = _SAME) -> httpx.Response:
        """POST /api/sesion as the hand-off script does (this tab's token, the nonce it was sent)."""
        if nonce is _SAME:
            claim = self.login_claim()
            nonce = claim["nonce"] if claim else None
        return await redeem_claim(
            self.base_url,
            client_token=self.token if token is None else token,
            nonce=nonce,
            origin=self.origin if origin is _SAME else origin,
        )

    async def upload(self, handler: str, files: list[tuple[str, bytes, str]], *, timeout: float = 30) -> httpx.Response:
        """POST /_upload as `uploadFiles` in upload.js does; streamed updates are recorded as frames."""
        headers = {"Reflex-Client-Token": self.token, "Reflex-Event-Handler": self.app.event_name(handler)}
        if self.origin:
            headers["Origin"] = self.origin
        if self.cookie:
            headers["Cookie"] = self.cookie if "=" in self.cookie else f"{SESSION_COOKIE}={self.cookie}"
        async with httpx.AsyncClient(timeout=timeout) as http:
            response = await http.post(
                self.base_url + "/_upload",
                headers=headers,
                files=[("files", (name, data, kind)) for name, data, kind in files],
            )
        for line in response.text.splitlines():
            with contextlib.suppress(ValueError):
                chunk = json.loads(line)
                if isinstance(chunk, dict):
                    await self._on_message("event", chunk)
        await self.settle()
        return response


async def redeem_claim(
    base_url: str,
    *,
    client_token: str | None,
    nonce: str | None = None,
    origin: str | None = None,
    cookie: str | None = None,
) -> httpx.Response:
    """POST /api/sesion with X-Client-Token / X-Login-Nonce / Origin (each left out when None)."""
    headers = {}
    if client_token is not None:
        headers["X-Client-Token"] = client_token
    if nonce is not None:
        headers["X-Login-Nonce"] = nonce
    if origin is not None:
        headers["Origin"] = origin
    if cookie:
        headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(base_url.rstrip("/") + SESSION_API, headers=headers)


def session_cookie(response: httpx.Response) -> str | None:
    """The ag_sid value a response sets (None when it sets none)."""
    for header in response.headers.get_list("set-cookie"):
        match = re.match(rf"\s*{SESSION_COOKIE}=([^;]*)", header)
        if match and match.group(1).strip('"'):
            return match.group(1).strip('"')
    return None


_APPS: dict[tuple[str, float], CompiledApp] = {}


def compiled_app(web_dir: Path | str) -> CompiledApp:
    path = Path(web_dir) / "utils" / "context.jsx"
    key = (str(path), path.stat().st_mtime)
    if key not in _APPS:
        _APPS[key] = CompiledApp.load(web_dir)
    return _APPS[key]


@contextlib.asynccontextmanager
async def ws_client(
    base_url: str,
    cookie: str | None = None,
    origin: Any = _SAME,
    *,
    web_dir: Path | str | None = None,
    app: CompiledApp | None = None,
    token: str | None = None,
    path: str = "/login",
    headers: dict[str, str] | None = None,
    connect: bool = True,
):
    """`async with ws_client(base_url, cookie=..., origin=...) as c:` a connected tab (closed on exit)."""
    if app is None:
        if web_dir is None:
            raise ValueError("pass web_dir (the app's .web folder) or app")
        app = compiled_app(web_dir)
    client = WsClient(base_url, app, cookie=cookie, origin=origin, token=token, path=path, headers=headers)
    try:
        if connect:
            await client.connect()
        yield client
    finally:
        await client.disconnect()
