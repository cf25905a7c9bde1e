"""Every event handler a browser can call, held against an explicit allowlist (no server needed).

Reflex makes every public method of every State callable by name over the websocket, with any arguments
(SECURITY.md, Reflex pitfalls 2 and 3). So a new public method is a new entry point: this test fails until
someone adds it below, with who may call it, and gives it the matching guard decorator
(`autogestion/state/guards.py`: `@public`, `@customer`, `@registering(...)`).
"""

from __future__ import annotations

import inspect

import pytest

pytestmark = pytest.mark.security

GUARD_ATTR = "__autogestion_guard__"
GUARDS = ("public", "customer", "registering", "operator", "supervisor")

# "<State class>.<handler>" → who may call it.
ALLOWLIST: dict[str, str] = {
    # the session: only "Salir" is a handler; the cookie, the viewer and the login start are private helpers
    "SessionState.logout": "public",
    # captcha picture ("Otra imagen", page loads); checking an answer is private to the forms
    "CaptchaState.prepare": "public",
    "CaptchaState.refresh": "public",
    # Ingresar
    "LoginState.load": "public",
    "LoginState.submit": "public",
    # Recuperar contraseña
    "RecoveryState.load": "public",
    "RecoveryState.ask": "public",
    "RecoveryState.reset_password": "public",
    # Registrar Cuenta (step 1) and the live field checks, which need no account
    "RegistroState.load": "public",
    "RegistroState.set_doc_type": "public",
    "RegistroState.check_document": "public",
    "RegistroState.check_password": "public",
    "RegistroState.submit": "public",
    "DatosState.check": "public",
    # registration steps 2 and 3: an account half-way through registration
    "DatosState.load": "registering",
    "DatosState.submit": "registering",
    "CodigoState.load": "registering",
    "CodigoState.submit": "registering",
    "CodigoState.resend": "registering",
    # the dev mail/SMS inbox page (the app refuses it outside dev/test)
    "DevInboxState.load": "public",
    # Mis Suministros, a supply's invoices, Trámites, Notificaciones
    "SuppliesState.load": "customer",
    "InvoicesState.load": "customer",
    "InvoicesState.next_page": "customer",
    "InvoicesState.previous_page": "customer",
    "InvoicesState.print_invoice": "customer",
    "InvoicesState.pay": "customer",
    # the demo checkout (/pagos/demo/<id>): only the payment's owner, only a demo payment
    "CheckoutState.load": "customer",
    "CheckoutState.approve": "customer",
    "CheckoutState.reject": "customer",
    # "Subir un poder nuevo" for a rejected link (Mis Suministros' dialog, or the supply's page)
    "SuppliesState.choose_poder": "customer",
    "SuppliesState.poder_dialog_changed": "customer",
    "SuppliesState.upload_poder": "customer",
    "SuppliesState.poder_rejected": "customer",
    "InvoicesState.upload_poder": "customer",
    "InvoicesState.poder_rejected": "customer",
    # "yo no autoricé esto": the holder's signed link from the e-mail, no login (the token is the authority)
    "DisputeState.load": "public",
    "DisputeState.ask": "public",
    "DisputeState.dialog_changed": "public",
    "DisputeState.confirm": "public",
    "TramitesState.load": "customer",
    # Trámites Comerciales: Plan de Pago (form, confirmation, Pagar una cuota) and Adhesión a factura digital
    "TramitesState.choose_supply": "customer",
    "TramitesState.toggle_invoice": "customer",
    "TramitesState.choose_installments": "customer",
    "TramitesState.ask_confirm": "customer",
    "TramitesState.confirm_dialog_changed": "customer",
    "TramitesState.confirm": "customer",
    "TramitesState.pay": "customer",
    "TramitesState.set_digital": "customer",
    "NotificationsState.load": "customer",
    # Asociar Suministro
    "AssociateState.load": "customer",
    "AssociateState.check_number": "customer",
    "AssociateState.verify": "customer",
    "AssociateState.answer": "customer",
    "AssociateState.upload_dni": "customer",
    "AssociateState.upload_poder": "customer",
    "AssociateState.dni_rejected": "customer",
    "AssociateState.poder_rejected": "customer",
    "AssociateState.toggle_replace_dni": "customer",
    "AssociateState.view": "customer",
    "AssociateState.ask_confirm": "customer",
    "AssociateState.dialog_changed": "customer",
    "AssociateState.cancel": "customer",
    "AssociateState.confirm": "customer",
    # Mi Perfil
    "ProfileState.load": "customer",
    "ProfileState.request_email": "customer",
    "ProfileState.request_phone": "customer",
    "ProfileState.confirm": "customer",
    "ProfileState.change_password": "customer",
    "ProfileState.view_dni": "customer",
    "ProfileState.upload_dni": "customer",
    "ProfileState.dni_rejected": "customer",
    # Ingreso de operadores (/operador without an operator session) and the back office's "Salir"
    "OperatorLoginState.load": "public",
    "OperatorLoginState.submit": "public",
    "OperatorSessionState.logout": "operator",
    # the review queue (/operador): load is public (it shows the login form without an operator session)
    "OperatorQueueState.load": "public",
    "OperatorQueueState.refresh": "operator",
    "OperatorQueueState.filter_by_kind": "operator",
    "OperatorQueueState.filter_by_state": "operator",
    "OperatorQueueState.search_items": "operator",
    "OperatorQueueState.clear_search": "operator",
    "OperatorQueueState.next_page": "operator",
    "OperatorQueueState.previous_page": "operator",
    "OperatorQueueState.lift_lock": "operator",
    # one item of the queue (/operador/item/<id>)
    "ReviewItemState.load": "operator",
    "ReviewItemState.choose": "operator",
    "ReviewItemState.dialog_changed": "operator",
    "ReviewItemState.cancel": "operator",
    "ReviewItemState.decide_item": "operator",
    "ReviewItemState.release": "operator",
    # the audit log and the team's figures (/operador/auditoria)
    "OperatorAuditState.load": "supervisor",
    "OperatorAuditState.next_page": "supervisor",
    "OperatorAuditState.previous_page": "supervisor",
}

# Handlers every rx.State inherits from Reflex itself (not the app's to guard). `setvar` only calls an existing
# `set_<var>` method, and the app has auto-setters off: tests/security/test_websocket_attacks.py checks that it
# cannot set anything.
REFLEX_BUILTINS = {"setvar"}


def _app_states() -> list[type]:
    import reflex as rx

    import autogestion.autogestion  # noqa: F401  (the app: imports every page and so every State)

    found, todo = [], list(rx.State.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] == "autogestion":
            found.append(cls)
    return found


def app_handlers() -> dict[str, object]:
    """ "Class.handler" → the function Reflex runs, for every handler of every State of the app."""
    handlers = {}
    for cls in _app_states():
        for name, handler in cls.event_handlers.items():
            if name in REFLEX_BUILTINS and handler.fn.__module__.split(".")[0].startswith("reflex"):
                continue
            handlers[f"{cls.__name__}.{name}"] = handler.fn
    return handlers


def test_the_allowlist_only_names_known_guards():
    assert set(ALLOWLIST.values()) <= set(GUARDS)


def test_the_guard_attribute_name_matches_the_guards_module():
    from autogestion.state import guards

    assert guards.GUARD_ATTR == GUARD_ATTR


def test_every_handler_is_in_the_allowlist():
    handlers = app_handlers()
    assert handlers, "no State found in the app"
    new = sorted(set(handlers) - set(ALLOWLIST))
    gone = sorted(set(ALLOWLIST) - set(handlers))
    assert not new, (
        f"handlers callable by any browser that the allowlist does not name: {new}. Make them private "
        "(a leading underscore) or add them to ALLOWLIST with a guard decorator."
    )
    assert not gone, f"the allowlist names handlers that no longer exist (remove them): {gone}"


def test_every_handler_carries_the_guard_the_allowlist_names():
    wrong = {}
    for name, fn in sorted(app_handlers().items()):
        guard = getattr(fn, GUARD_ATTR, None)
        if name in ALLOWLIST and guard != ALLOWLIST[name]:
            wrong[name] = f"guard {guard!r}, allowlist {ALLOWLIST[name]!r}"
    assert not wrong, f"handlers whose guard does not match the allowlist: {wrong}"


def test_guarded_handlers_never_take_the_user_from_the_client():
    """`user_id` is resolved on the server from the session cookie; a client-visible `user_id` parameter would
    let any browser act as anyone."""
    exposed = sorted(
        name
        for name, fn in app_handlers().items()
        if any(p in inspect.signature(fn).parameters for p in ("user_id", "operator_id", "viewer", "session"))
    )
    assert not exposed, f"handlers whose client-visible signature takes the user: {exposed}"


def test_session_state_has_no_public_helper():
    """The login bypass: `SessionState.start(user_id, target)` was callable by name from any browser."""
    session_handlers = sorted(name for name in app_handlers() if name.startswith("SessionState."))
    assert session_handlers == ["SessionState.logout"]


def test_reflex_builtin_handlers_are_the_expected_ones():
    """A Reflex upgrade that adds a handler to every State must be looked at, not waved through."""
    import reflex as rx

    assert set(rx.State.event_handlers) - {"hydrate", "hydrate_and_load", "set_is_hydrated"} == REFLEX_BUILTINS
    from reflex.config import get_config

    assert not getattr(get_config(), "state_auto_setters", False), "auto-setters must stay off"
