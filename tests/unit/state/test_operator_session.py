"""`@operator` and `@customer` against real sessions: a customer cookie never passes the operator guard, an
operator cookie never passes the customer guard, and the handler receives the id resolved on the server.

The guards run as Reflex would run them, on a stand-in for the page's State that carries the real private
helpers of SessionState and OperatorSessionState (cookie reading and session lookup) and a router with the
handshake's Cookie header.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest

from autogestion import routes
from autogestion.clock import utcnow
from autogestion.http import OPERATOR_COOKIE, SESSION_COOKIE
from autogestion.models import OperatorRole, SessionKind
from autogestion.services import operators, sessions
from autogestion.state.guards import GUARD_ATTR, customer, operator
from autogestion.state.operator_session import OperatorSessionState
from autogestion.state.session import SessionState
from tests.unit.services.account_helpers import T0, active_user

OP_PASSWORD = "Mesa.Entrada42"


def _helpers(state_cls: type, *names: str) -> dict:
    return {name: state_cls.__dict__[name] for name in names}


FakeSession = type(
    "FakeSession",
    (),
    {"user_name": "", "dni_status": "", "unread": 0, **_helpers(SessionState, "_cookie_token", "_viewer")},
)
FakeOperatorSession = type(
    "FakeOperatorSession",
    (),
    {
        "signed_in": False,
        "operator_name": "",
        "operator_username": "",
        "is_supervisor": False,
        **_helpers(OperatorSessionState, "_operator_token", "_show", "_operator"),
    },
)


class FakeState:
    """What a guard touches of a State: the router (cookie, peer, page) and get_state."""

    def __init__(self, cookies: dict[str, str], path: str = "/suministros/") -> None:
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        self.router = SimpleNamespace(
            headers=SimpleNamespace(raw_headers={}, cookie=cookie),
            session=SimpleNamespace(client_ip="127.0.0.1", client_token="tab-token-1234"),
            url=SimpleNamespace(path=path),
        )
        self.ran: list[tuple[str, int]] = []
        self._states = {SessionState: FakeSession(), OperatorSessionState: FakeOperatorSession()}
        for sub in self._states.values():
            sub.router = self.router

    async def get_state(self, cls):
        return self._states[cls]


@operator
async def op_handler(self, operator_id: int, note: str = ""):
    self.ran.append(("operator", operator_id))


@operator(supervisor=True)
async def boss_handler(self, operator_id: int):
    self.ran.append(("supervisor", operator_id))


@customer
async def customer_handler(self, user_id: int):
    self.ran.append(("customer", user_id))


def redirect_target(result) -> str | None:
    if result is None or getattr(getattr(result, "handler", None), "fn", None).__qualname__ != "_redirect":
        return None
    return dict((str(k), v) for k, v in result.args)["path"]._var_value


@pytest.fixture
async def world(session):
    user_id = await active_user(session)
    op = await operators.create_operator(session=session, username="ana.perez", password=OP_PASSWORD, now=T0)
    boss = await operators.create_operator(
        session=session, username="jefa", password=OP_PASSWORD, role=OperatorRole.SUPERVISOR, now=T0
    )
    now = utcnow()  # the guards resolve sessions at the real time
    tokens = {
        "customer": await sessions.create_session(session=session, user_id=user_id, now=now),
        "operator": await sessions.create_session(session=session, user_id=op.id, kind=SessionKind.OPERATOR, now=now),
        "supervisor": await sessions.create_session(
            session=session, user_id=boss.id, kind=SessionKind.OPERATOR, now=now
        ),
    }
    await session.commit()
    return SimpleNamespace(user_id=user_id, op=op, boss=boss, **tokens)


async def test_the_operator_guard_passes_the_operator_id(world):
    state = FakeState({OPERATOR_COOKIE: world.operator})
    assert await op_handler(state, note="hola") is None
    assert state.ran == [("operator", world.op.id)]
    assert state._states[OperatorSessionState].signed_in and not state._states[OperatorSessionState].is_supervisor


@pytest.mark.parametrize(
    "cookies",
    [
        lambda w: {},
        lambda w: {SESSION_COOKIE: w.customer},  # a customer's session
        lambda w: {OPERATOR_COOKIE: w.customer},  # a customer's token in the operator cookie
        lambda w: {SESSION_COOKIE: w.operator},  # an operator's token in the customer cookie
        lambda w: {OPERATOR_COOKIE: "x" * 43},
    ],
)
async def test_no_operator_session_no_operator_handler(world, cookies):
    state = FakeState(cookies(world))
    assert redirect_target(await op_handler(state)) == routes.OPERADOR
    assert state.ran == [] and not state._states[OperatorSessionState].signed_in
    # on /operador itself no redirect (it would run the page's on_load again, for ever): nothing runs
    state = FakeState(cookies(world), path="/operador/")
    assert await op_handler(state) is None and state.ran == []


@pytest.mark.parametrize("cookie", [OPERATOR_COOKIE, SESSION_COOKIE])
async def test_an_operator_session_never_passes_the_customer_guard(world, cookie):
    state = FakeState({cookie: world.operator})
    assert redirect_target(await customer_handler(state)) == routes.LOGIN
    assert state.ran == []
    state = FakeState({SESSION_COOKIE: world.customer, OPERATOR_COOKIE: world.operator})  # both: each its own
    await customer_handler(state)
    await op_handler(state)
    assert state.ran == [("customer", world.user_id), ("operator", world.op.id)]


async def test_supervisor_only_handlers(world):
    state = FakeState({OPERATOR_COOKIE: world.operator})
    refused = await boss_handler(state)
    assert state.ran == [] and refused is not None
    state = FakeState({OPERATOR_COOKIE: world.supervisor})
    await boss_handler(state)
    assert state.ran == [("supervisor", world.boss.id)]


async def test_an_inactive_operator_is_refused(world, session):
    from autogestion.models import Operator

    row = await session.get(Operator, world.op.id)
    row.active = False
    await session.commit()
    state = FakeState({OPERATOR_COOKIE: world.operator})
    assert redirect_target(await op_handler(state)) == routes.OPERADOR and state.ran == []


async def test_the_client_cannot_send_the_operator_id(world):
    state = FakeState({OPERATOR_COOKIE: world.operator})
    assert await op_handler(state, operator_id=world.boss.id) is None
    assert await op_handler(state, "nota", world.boss.id) is None  # one argument too many
    assert state.ran == []
    assert "operator_id" not in inspect.signature(op_handler).parameters
    assert getattr(op_handler, GUARD_ATTR) == "operator" and getattr(boss_handler, GUARD_ATTR) == "supervisor"


def test_an_operator_handler_must_take_operator_id():
    with pytest.raises(TypeError):

        @operator
        async def wrong(self, user_id: int):
            pass
