"""Who may call a handler: one decorator per kind of caller, applied under `@rx.event`.

Reflex lets any browser call any public State method by name with any arguments, so every handler
states who it is for:

- `@public` — anyone (login, registration step 1, recovery, captcha): binds the client IP for limits
  and logs;
- `@customer` — an active customer with a live session; the handler receives `user_id` resolved on the
  server. A NO LEGIBLE DNI sends the customer to Mi Perfil first unless `allow_unreadable_dni=True`;
- `@registering(*statuses)` — an account half-way through registration, at one of those steps;
- `@operator` / `@operator(supervisor=True)` — an active operator of the back office with a live operator
  session (cookie `ag_op`; a customer's session never passes, nor an operator's `@customer`); the
  handler receives `operator_id`. Without one the caller goes to /operador (the login form).

Each wrapper also refuses arguments that do not fit the handler's signature (a forged call) with a log
line instead of a traceback. With AUTOGESTION_HANDLER_TIMING=true it logs the handler's wall time (guard,
service and database together, in ms) as one line on the `autogestion.timing` logger: the benchmark
(bench/ws_load.py) reads those lines to tell handler time from the websocket and Redis round trip.
`tests/security/test_handler_allowlist.py` holds every handler against an allowlist that names its guard.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import reflex as rx

from autogestion import routes
from autogestion.client import resolve_client_ip, security_event, set_client_ip
from autogestion.config import get_settings
from autogestion.models import DniStatus, OperatorPublic, UserStatus, ViewerPublic

GUARD_ATTR = "__autogestion_guard__"
timing_log = logging.getLogger("autogestion.timing")


def bind_client(state: rx.State) -> str:
    """Work out the caller's IP from the socket (see autogestion.client) and remember it for this event."""
    headers = state.router.headers.raw_headers
    peer = headers.get("asgi-scope-client", "") or state.router.session.client_ip
    ip = resolve_client_ip(peer, headers.get("x-forwarded-for", ""), get_settings().trusted_proxies)
    set_client_ip(ip)
    return ip


@dataclass(frozen=True)
class _Caller:
    """Who a guarded handler is for: the parameter it receives, how the caller is found from the cookie,
    and which id of the found caller is passed down."""

    param: str
    resolve: Callable[[rx.State], Awaitable[object | None]]
    ident: Callable[[object], int]


async def _customer_viewer(state: rx.State) -> ViewerPublic | None:
    from autogestion.state.session import SessionState  # session.py uses @public itself

    return await (await state.get_state(SessionState))._viewer()


async def _operator_viewer(state: rx.State) -> OperatorPublic | None:
    from autogestion.state.operator_session import OperatorSessionState  # it uses @operator itself

    return await (await state.get_state(OperatorSessionState))._operator()


_CUSTOMER = _Caller("user_id", _customer_viewer, lambda viewer: viewer.user_id)  # type: ignore[attr-defined]
_OPERATOR = _Caller("operator_id", _operator_viewer, lambda viewer: viewer.id)  # type: ignore[attr-defined]


def _wrap(fn: Callable, *, guard: str, check: Callable | None = None, caller: _Caller | None = None) -> Callable:
    """The handler Reflex registers: binds the client IP, refuses arguments that do not fit, and — for a
    guarded kind — resolves the caller, lets check(state, caller) refuse it (a redirect or a toast), and
    passes the caller's id as the handler's second parameter (`user_id`, `operator_id`)."""
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    if caller is not None and (len(params) < 2 or params[1].name != caller.param):
        raise TypeError(f"{fn.__qualname__}: a guarded handler takes (self, {caller.param}, ...)")
    public_params = [params[0], *params[2:]] if caller is not None else params
    public_signature = signature.replace(parameters=public_params)

    name = fn.__qualname__

    @functools.wraps(fn)
    async def handler(self, *args, **kwargs):
        if not get_settings().handler_timing:
            return await guarded(self, *args, **kwargs)
        started = time.perf_counter()
        try:
            return await guarded(self, *args, **kwargs)
        finally:
            ms = round((time.perf_counter() - started) * 1000, 2)  # one value for the line and its field
            timing_log.info("%s %.2f ms", name, ms, extra={"handler": name, "ms": ms})

    async def guarded(self, *args, **kwargs):
        bind_client(self)
        try:
            public_signature.bind(self, *args, **kwargs)
        except TypeError:
            security_event("handler_refused", handler=fn.__qualname__, reason="arguments")
            return None
        if caller is None:
            return await fn(self, *args, **kwargs)
        viewer = await caller.resolve(self)
        refusal = check(self, viewer) if check is not None else None
        if refusal is not None or viewer is None:
            if viewer is None:
                security_event("handler_refused", handler=fn.__qualname__, reason="no session")
            return refusal
        return await fn(self, caller.ident(viewer), *args, **kwargs)

    handler.__signature__ = public_signature  # type: ignore[attr-defined]
    hidden = caller.param if caller is not None else None
    handler.__annotations__ = {k: v for k, v in fn.__annotations__.items() if k != hidden}
    setattr(handler, GUARD_ATTR, guard)
    return handler


def public(fn: Callable) -> Callable:
    """A handler anyone may call."""
    return _wrap(fn, guard="public")


def customer(fn: Callable | None = None, *, allow_unreadable_dni: bool = False):
    """A handler for an active customer; receives `user_id` (never from the client)."""
    from autogestion.state.session import landing_for

    def check(_state: rx.State, viewer: ViewerPublic | None):
        if viewer is None:
            return rx.redirect(routes.LOGIN)
        if viewer.status != UserStatus.ACTIVE or (
            not allow_unreadable_dni and viewer.dni_status == DniStatus.NOT_LEGIBLE
        ):
            return rx.redirect(landing_for(viewer.status, viewer.dni_status))
        return None

    def decorate(inner: Callable) -> Callable:
        return _wrap(inner, guard="customer", check=check, caller=_CUSTOMER)

    return decorate(fn) if fn is not None else decorate


def registering(*statuses: str):
    """A handler for an account half-way through registration, at one of statuses; receives `user_id`."""
    from autogestion.state.session import landing_for

    def check(_state: rx.State, viewer: ViewerPublic | None):
        if viewer is None:
            return rx.redirect(routes.LOGIN)
        if viewer.status not in statuses:
            return rx.redirect(landing_for(viewer.status, viewer.dni_status))
        return None

    def decorate(inner: Callable) -> Callable:
        return _wrap(inner, guard="registering", check=check, caller=_CUSTOMER)

    return decorate


SUPERVISORS_ONLY = "Esta acción es solo para supervisores."


def _on_operator_page(state: rx.State) -> bool:
    try:
        return str(state.router.url.path).rstrip("/") == routes.OPERADOR
    except Exception:
        return False


def operator(fn: Callable | None = None, *, supervisor: bool = False):
    """A handler for an active operator with a live operator session (the `ag_op` cookie, never a
    customer's); receives `operator_id` (never from the client). supervisor=True refuses an operador.

    Without an operator session the caller is sent to /operador, which shows the login form; on /operador
    itself nothing is returned (a redirect there would run the page's on_load again, for ever): the
    page's `OperatorSessionState.signed_in` is already False, so it shows the form.
    """

    def check(state: rx.State, viewer: OperatorPublic | None):
        if viewer is None:
            return None if _on_operator_page(state) else rx.redirect(routes.OPERADOR)
        if supervisor and not viewer.is_supervisor:
            security_event("handler_refused", reason="not supervisor", operator=viewer.id)
            toast = rx.toast.error(SUPERVISORS_ONLY)
            return toast if _on_operator_page(state) else [toast, rx.redirect(routes.OPERADOR)]
        return None

    def decorate(inner: Callable) -> Callable:
        return _wrap(inner, guard="supervisor" if supervisor else "operator", check=check, caller=_OPERATOR)

    return decorate(fn) if fn is not None else decorate
