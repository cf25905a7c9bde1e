"""Who may call a handler: one decorator per kind of caller, applied under `@rx.event`.

Reflex lets any browser call any public State method by name with any arguments, so every handler
states who it is for:

- `@public` — anyone (login, registration step 1, recovery, captcha): binds the client IP for limits
  and logs;
- `@customer` — an active customer with a live session; the handler receives `user_id` resolved on the
  server. A NO LEGIBLE DNI sends the customer to Mi Perfil first unless `allow_unreadable_dni=True`;
- `@registering(*statuses)` — an account half-way through registration, at one of those steps.

Each wrapper also refuses arguments that do not fit the handler's signature (a forged call) with a log
line instead of a traceback. `tests/security/test_handler_allowlist.py` holds every handler against an
allowlist that names its guard.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import reflex as rx

from autogestion import routes
from autogestion.client import resolve_client_ip, security_event, set_client_ip
from autogestion.config import get_settings
from autogestion.models import DniStatus, UserStatus, ViewerPublic

GUARD_ATTR = "__autogestion_guard__"


def bind_client(state: rx.State) -> str:
    """Work out the caller's IP from the socket (see autogestion.client) and remember it for this event."""
    headers = state.router.headers.raw_headers
    peer = headers.get("asgi-scope-client", "") or state.router.session.client_ip
    ip = resolve_client_ip(peer, headers.get("x-forwarded-for", ""), get_settings().trusted_proxies)
    set_client_ip(ip)
    return ip


def _wrap(fn: Callable, *, guard: str, check: Callable | None, passes_user: bool) -> Callable:
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    if passes_user and (len(params) < 2 or params[1].name != "user_id"):
        raise TypeError(f"{fn.__qualname__}: a guarded handler takes (self, user_id, ...)")
    public_params = [params[0], *params[2:]] if passes_user else params
    public_signature = signature.replace(parameters=public_params)

    @functools.wraps(fn)
    async def handler(self, *args, **kwargs):
        bind_client(self)
        try:
            public_signature.bind(self, *args, **kwargs)
        except TypeError:
            security_event("handler_refused", handler=fn.__qualname__, reason="arguments")
            return None
        if check is None:
            return await fn(self, *args, **kwargs)
        from autogestion.state.session import SessionState  # session.py uses @public itself

        viewer = await (await self.get_state(SessionState))._viewer()
        refusal = check(viewer)
        if refusal is not None:
            if viewer is None:
                security_event("handler_refused", handler=fn.__qualname__, reason="no session")
            return refusal
        return await fn(self, viewer.user_id, *args, **kwargs)

    handler.__signature__ = public_signature  # type: ignore[attr-defined]
    handler.__annotations__ = {k: v for k, v in fn.__annotations__.items() if k != "user_id"}
    setattr(handler, GUARD_ATTR, guard)
    return handler


def public(fn: Callable) -> Callable:
    """A handler anyone may call."""
    return _wrap(fn, guard="public", check=None, passes_user=False)


def customer(fn: Callable | None = None, *, allow_unreadable_dni: bool = False):
    """A handler for an active customer; receives `user_id` (never from the client)."""
    from autogestion.state.session import landing_for

    def check(viewer: ViewerPublic | None):
        if viewer is None:
            return rx.redirect(routes.LOGIN)
        if viewer.status != UserStatus.ACTIVE or (
            not allow_unreadable_dni and viewer.dni_status == DniStatus.NOT_LEGIBLE
        ):
            return rx.redirect(landing_for(viewer.status, viewer.dni_status))
        return None

    def decorate(inner: Callable) -> Callable:
        return _wrap(inner, guard="customer", check=check, passes_user=True)

    return decorate(fn) if fn is not None else decorate


def registering(*statuses: str):
    """A handler for an account half-way through registration, at one of statuses; receives `user_id`."""
    from autogestion.state.session import landing_for

    def check(viewer: ViewerPublic | None):
        if viewer is None:
            return rx.redirect(routes.LOGIN)
        if viewer.status not in statuses:
            return rx.redirect(landing_for(viewer.status, viewer.dni_status))
        return None

    def decorate(inner: Callable) -> Callable:
        return _wrap(inner, guard="registering", check=check, passes_user=True)

    return decorate
