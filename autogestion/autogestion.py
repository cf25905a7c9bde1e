"""The Reflex app: pages, lifespan tasks (outbox worker, dev SMTP sink) and private HTTP routes."""

from __future__ import annotations

import asyncio
import logging
import secrets
from contextlib import asynccontextmanager

import reflex as rx

from autogestion import routes
from autogestion.capacity import refuse_over_capacity
from autogestion.client import security_event
from autogestion.components.connection import connection_notice
from autogestion.config import get_settings
from autogestion.db import BUSY_MESSAGE, is_unavailable
from autogestion.http import transformers
from autogestion.logs import configure_logging
from autogestion.pages.associate import asociar
from autogestion.pages.checkout import pago_demo
from autogestion.pages.dev_inbox import dev_bandeja
from autogestion.pages.dispute import desconocer
from autogestion.pages.invoices import facturas
from autogestion.pages.login import landing, login
from autogestion.pages.notifications import notificaciones
from autogestion.pages.operator_audit import auditoria
from autogestion.pages.operator_queue import operador
from autogestion.pages.profile import perfil
from autogestion.pages.recovery import recuperar
from autogestion.pages.registration import codigo, datos, registro
from autogestion.pages.review_item import revision
from autogestion.pages.supplies import suministros
from autogestion.pages.tramites import tramites
from autogestion.state.associate import AssociateState
from autogestion.state.checkout import CheckoutState
from autogestion.state.dev_inbox import DevInboxState
from autogestion.state.dispute import DisputeState
from autogestion.state.invoices import InvoicesState
from autogestion.state.notifications import NotificationsState
from autogestion.state.operator_audit import OperatorAuditState
from autogestion.state.operator_login import OperatorLoginState
from autogestion.state.operator_queue import OperatorQueueState
from autogestion.state.profile import ProfileState
from autogestion.state.recovery import RecoveryState
from autogestion.state.registration import CodigoState, DatosState, RegistroState
from autogestion.state.review_item import ReviewItemState
from autogestion.state.supplies import SuppliesState
from autogestion.state.tramites import TramitesState

log = logging.getLogger("autogestion")
settings = get_settings()
configure_logging(settings)  # JSON lines in production (every logger, Reflex's and granian's too), text otherwise


def _raised_in(exception: BaseException, function: str) -> bool:
    frame = exception.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and frame.tb_frame.f_code.co_name == function


def _first_line(exception: BaseException) -> str:
    return f"{type(exception).__name__}: {str(exception).splitlines()[0] if str(exception) else ''}"[:300]


def handle_backend_error(exception: Exception):
    """Last resort: log with an incident id, show only the id (never the exception text).

    Reflex's built-in `setvar` raises for any var without a setter (auto-setters are off): that is a
    client trying to set state by hand, refused in one security line rather than a traceback.
    """
    if isinstance(exception, AttributeError) and _raised_in(exception, "setvar"):
        security_event("handler_refused", handler="setvar", reason="no setter")
        return None
    if is_unavailable(exception):
        # No free connection within AUTOGESTION_DB_POOL_TIMEOUT, or the database is down or restarting:
        # the person retries in a moment; the log gets one line, not a traceback per visitor.
        log.warning("database unavailable: %s", _first_line(exception))
        return rx.toast.error(BUSY_MESSAGE)
    incident = secrets.token_hex(4)
    log.exception("unhandled error, incident %s", incident, exc_info=exception)
    return rx.toast.error(f"Tuvimos un problema. Probá de nuevo en unos minutos (incidente {incident}).")


class _UnknownHandlerFilter(logging.Filter):
    """Reflex logs a call to a handler that does not exist with two tracebacks and every handshake header,
    the session cookie included: any client could flood the log with session ids that way. One security
    line instead, naming the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, KeyError) and "No registered handler found for event" in str(error):
            name = str(error).rsplit(": ", 1)[-1].strip("'\"")[-120:]
            record.msg, record.args, record.exc_info, record.exc_text = (
                "event=handler_refused reason=unknown handler=%s",
                (name,),
                None,
                None,
            )
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


logging.getLogger("reflex_base.event.processor.event_processor").addFilter(_UnknownHandlerFilter())

# react-dropzone renders its <input type=file> without a label and Reflex passes it no props: name each one
# after what its upload zone accepts (not the button's text: the visible button keeps its own name).
LABEL_FILE_INPUTS = (
    "new MutationObserver(() => document.querySelectorAll('input[type=file]:not([aria-label])').forEach(i => "
    "i.setAttribute('aria-label', i.closest('[data-upload-label]')?.dataset.uploadLabel || 'Elegir archivo')))"
    ".observe(document.documentElement, {childList: true, subtree: true});"
)

app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=transformers(),
    backend_exception_handler=handle_backend_error,
    head_components=[rx.el.meta(name="theme-color", content="#0b4a8b"), rx.el.script(LABEL_FILE_INPUTS)],
    html_lang="es-AR",
)
# Before anything opens a connection: refuse to serve when every worker's pool could exceed PostgreSQL's
# max_connections (autogestion/capacity.py).
app.register_lifespan_task(refuse_over_capacity)
# A lost connection is told in Spanish (components/connection.py), not with Reflex's English toast.
app.app_wraps[(5, "Overlay")] = connection_notice

TITLE = "Portal de Autogestión"
app.add_page(landing, route=routes.INDEX, title=TITLE)
app.add_page(login, route=routes.LOGIN, title=f"Ingresar | {TITLE}")  # no on_load: pages/login.py
app.add_page(registro, route=routes.REGISTRO, title=f"Crear una Cuenta | {TITLE}", on_load=RegistroState.load)
app.add_page(datos, route=routes.REGISTRO_DATOS, title=f"Completá tus datos | {TITLE}", on_load=DatosState.load)
app.add_page(codigo, route=routes.REGISTRO_CODIGO, title=f"Verificá tus datos | {TITLE}", on_load=CodigoState.load)
app.add_page(recuperar, route=routes.RECUPERAR, title=f"Recuperar contraseña | {TITLE}", on_load=RecoveryState.load)
app.add_page(suministros, route=routes.SUMINISTROS, title=f"Mis Suministros | {TITLE}", on_load=SuppliesState.load)
# The static route first: react-router ranks it above the dynamic one anyway, the e2e suite checks it.
app.add_page(asociar, route=routes.ASOCIAR, title=f"Asociar Suministro | {TITLE}", on_load=AssociateState.load)
app.add_page(facturas, route=routes.SUMINISTRO_DETALLE, title=f"Facturas | {TITLE}", on_load=InvoicesState.load)
app.add_page(
    desconocer, route=routes.DESCONOCER, title=f"Asociación de tu suministro | {TITLE}", on_load=DisputeState.load
)
app.add_page(perfil, route=routes.PERFIL, title=f"Mi Perfil | {TITLE}", on_load=ProfileState.load)
app.add_page(tramites, route=routes.TRAMITES, title=f"Trámites Comerciales | {TITLE}", on_load=TramitesState.load)
app.add_page(
    notificaciones, route=routes.NOTIFICACIONES, title=f"Notificaciones | {TITLE}", on_load=NotificationsState.load
)
app.add_page(pago_demo, route=routes.PAGO_DEMO, title=f"Pagar | {TITLE}", on_load=CheckoutState.load)
# The back office: the queue (or the operator login form), an item, the audit log (supervisors).
BACK_OFFICE = "Back office de Autogestión"
app.add_page(
    operador,
    route=routes.OPERADOR,
    title=f"Operadores | {BACK_OFFICE}",
    on_load=[OperatorLoginState.load, OperatorQueueState.load],
)
app.add_page(revision, route=routes.OPERADOR_ITEM, title=f"Revisión | {BACK_OFFICE}", on_load=ReviewItemState.load)
app.add_page(
    auditoria, route=routes.OPERADOR_AUDITORIA, title=f"Auditoría | {BACK_OFFICE}", on_load=OperatorAuditState.load
)
if settings.dev_pages:
    app.add_page(dev_bandeja, route=routes.DEV_BANDEJA, title="Bandeja de desarrollo", on_load=DevInboxState.load)


@asynccontextmanager
async def background_services():
    """The dev SMTP sink (when enabled), the outbox worker, hourly housekeeping, the CPU helper process
    (adapters/cpu_process.py) and the garbage collector's serving thresholds, for the backend's lifetime."""
    from autogestion import gc_tuning
    from autogestion.adapters import cpu_process
    from autogestion.services import maintenance
    from autogestion.services.outbox import run_worker

    sink = None
    if settings.smtp_sink:
        from autogestion.adapters.mail_sink import start_sink_once

        try:  # one process of all the backend workers (and `autogestion smtp-sink`) runs it: a file lock says which
            sink = start_sink_once(
                settings.smtp_host, settings.smtp_port, settings.mail_dir, settings.data_dir / "smtp-sink.lock"
            )
        except OSError as exc:  # the port is taken by something that is not our sink
            log.warning("SMTP sink not started: %s", exc)
    gc_tuning.tune_for_serving()  # fewer, rarer stop-the-loop collections under load
    if settings.handler_timing:  # the load bench reads the collector's pauses beside the handlers' times
        gc_tuning.log_pauses()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(maintenance.run_forever(stop=stop)), asyncio.create_task(cpu_process.warm_up())]
    if settings.outbox_in_backend:  # false when dedicated `autogestion worker` processes deliver the outbox
        tasks.append(asyncio.create_task(run_worker(stop=stop)))
    try:
        yield
    finally:
        stop.set()
        # The outbox finishes the message in flight (a send is bounded by its timeout); a task still running
        # after that is cancelled, and its claimed row is sent again once the claim lapses.
        _done, pending = await asyncio.wait(tasks, timeout=15)
        for task in pending:
            task.cancel()
        cpu_process.shutdown()
        if sink is not None:
            from autogestion.adapters.mail_sink import stop_owned_sink

            stop_owned_sink(sink)


app.register_lifespan_task(background_services)
