"""Trámites Comerciales: each link with what to do, the Plan de Pago form, the plans and factura digital."""

from __future__ import annotations

import importlib

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import LinkStatus, PlanOptionPublic, PlanPublic, ProcedureLinkPublic
from autogestion.services import plans, procedures
from autogestion.services.errors import DomainError
from autogestion.services.formatting import format_money
from autogestion.services.supplies import SUPPLY_NOT_FOUND
from autogestion.state.guards import customer

INSTALLMENT_CHOICES = ["1", "3", "6", "12"]
DEFAULT_INSTALLMENTS = "3"
NOTHING_OVERDUE = "Este suministro no tiene facturas vencidas fuera de un Plan de Pago."


def _start_payment():
    """payments.start_payment when the payments module provides it, else None (the Pagar button hides)."""
    try:
        module = importlib.import_module("autogestion.services.payments")
        importlib.import_module("autogestion.adapters.payments")
    except ImportError:
        return None
    return getattr(module, "start_payment", None)


def _provider():
    """The provider AUTOGESTION_PAYMENTS names (adapters.payments.build_provider, imported with payments)."""
    from autogestion.config import get_settings

    adapters = importlib.import_module("autogestion.adapters.payments")
    return adapters.build_provider(get_settings())


class TramitesState(rx.State):
    links: list[ProcedureLinkPublic] = []
    plans: list[PlanPublic] = []
    rate: str = ""
    first_due: str = ""
    loaded: bool = False
    message: str = ""
    error: str = ""
    can_pay: bool = False
    # The Plan de Pago form: one validated link at a time.
    plan_number: str = ""
    selected: list[str] = []
    installments: str = DEFAULT_INSTALLMENTS
    preview: PlanOptionPublic = PlanOptionPublic()
    form_error: str = ""
    confirm_open: bool = False

    @rx.var
    def link_count(self) -> int:
        return len(self.links)

    @rx.var
    def plan_link(self) -> ProcedureLinkPublic:
        return next((link for link in self.links if link.number == self.plan_number), ProcedureLinkPublic())

    @rx.var
    def has_preview(self) -> bool:
        return self.preview.installments > 0

    @rx.var
    def confirm_text(self) -> str:
        n = self.preview.installments
        cuotas = "1 cuota" if n == 1 else f"{n} cuotas"
        return f"¿Confirmás el plan de {cuotas} por {self.preview.total}?"

    @rx.event
    @customer
    async def load(self, user_id: int):
        """The page: links, plans, the form on the first validated link with overdue invoices."""
        self.links, self.plans, self.loaded = [], [], False
        self.message = self.error = self.form_error = ""
        self.confirm_open = False
        self.can_pay = _start_payment() is not None
        async with session_scope() as db:
            page = await procedures.tramites_page(session=db, user_id=user_id, now=utcnow())
        self.links, self.plans, self.rate, self.first_due = page.links, page.plans, page.rate, page.first_due
        first = next((link for link in self.links if link.can_subscribe and link.invoices), None)
        self._choose(first.number if first else "")
        self.loaded = True

    # --- the Plan de Pago form ---------------------------------------------------------------------

    def _choose(self, number: str) -> None:
        link = next((row for row in self.links if row.number == number and row.can_subscribe and row.invoices), None)
        self.plan_number = link.number if link else ""
        self.selected = [invoice.id for invoice in link.invoices] if link else []
        self.installments = DEFAULT_INSTALLMENTS
        self.form_error = ""
        self._refresh_preview()

    def _refresh_preview(self) -> None:
        link = next((link for link in self.links if link.number == self.plan_number), None)
        principal = sum(i.amount_cents for i in link.invoices if i.id in self.selected) if link else 0
        if principal <= 0 or self.installments not in INSTALLMENT_CHOICES:
            self.preview = PlanOptionPublic()
            return
        self.preview = plans.preview(principal_cents=principal, installments=int(self.installments), now=utcnow())

    def _why_not(self, number: object) -> str:
        """Why the Plan de Pago form cannot open on `number` ("" when it can): the service's own words."""
        link = next((row for row in self.links if isinstance(number, str) and row.number == number), None)
        if link is None:
            return SUPPLY_NOT_FOUND
        if link.link_status == LinkStatus.REJECTED:
            return plans.REJECTED
        if not link.can_subscribe:
            return plans.NOT_VALIDATED
        if not link.invoices:
            return NOTHING_OVERDUE
        return ""

    @rx.event
    @customer
    async def choose_supply(self, user_id: int, number: str):
        """**Armar un plan** on a validated link: the form for that supply (the page only offers those)."""
        self.message = ""
        self.error = self._why_not(number)
        if not self.error:
            self._choose(number)

    @rx.event
    @customer
    async def toggle_invoice(self, user_id: int, invoice_id: str, checked: bool):
        """A checkbox of an overdue invoice."""
        if not isinstance(checked, bool) or not isinstance(invoice_id, str):
            return
        if invoice_id not in {i.id for i in self.plan_link.invoices}:
            self.form_error = plans.OTHER_SUPPLY
            return
        rest = [i for i in self.selected if i != invoice_id]
        self.selected = [*rest, invoice_id] if checked else rest
        self.form_error = ""
        self._refresh_preview()

    @rx.event
    @customer
    async def choose_installments(self, user_id: int, value: str):
        """1, 3, 6 or 12 cuotas. (Not named set_installments: Reflex's setvar would take it for the var's setter.)"""
        if not isinstance(value, str) or value not in INSTALLMENT_CHOICES:
            self.form_error = plans.BAD_INSTALLMENTS
            return
        self.installments = value
        self.form_error = ""
        self._refresh_preview()

    @rx.event
    @customer
    async def ask_confirm(self, user_id: int):
        """**Suscribir plan**: the confirmation dialog (or what is missing)."""
        self.message = ""
        if not self.plan_number:
            return
        if not self.selected:
            self.form_error = plans.NO_INVOICE
            return
        self.form_error = ""
        self.confirm_open = True

    @rx.event
    @customer
    async def confirm_dialog_changed(self, user_id: int, is_open: bool):
        """NO, Escape or a click outside closes the dialog; only ask_confirm opens it."""
        if is_open is not True:
            self.confirm_open = False

    @rx.event
    @customer
    async def confirm(self, user_id: int):
        """SI: subscribe the plan (the service checks everything again)."""
        self.confirm_open = False
        if not self.plan_number:
            return
        try:
            async with session_scope() as db:
                plan = await plans.subscribe(
                    session=db,
                    user_id=user_id,
                    supply_number=self.plan_number,
                    invoice_ids=list(self.selected),
                    installments=int(self.installments),
                    now=utcnow(),
                )
        except DomainError as exc:
            self.form_error = exc.message
            return
        self.plans = [plan, *self.plans]
        taken = set(plan.invoice_ids)
        links = []
        for link in self.links:
            if link.number == plan.supply_number:
                invoices = [i for i in link.invoices if i.id not in taken]
                debt = sum(i.amount_cents for i in invoices)
                link = link.model_copy(update={"invoices": invoices, "debt_cents": debt, "debt": format_money(debt)})
            links.append(link)
        self.links = links
        self._choose(plan.supply_number)
        cuotas = "1 cuota" if plan.installments == 1 else f"{plan.installments} cuotas"
        self.message = f"Suscribiste un Plan de Pago de {cuotas} por {plan.total} para el suministro N° {plan.supply_number}. Te lo confirmamos por e-mail."

    # --- Pagar una cuota ---------------------------------------------------------------------------

    @rx.event
    @customer
    async def pay(self, user_id: int, installment_id: int):
        """**Pagar** on a cuota: the payment provider's checkout."""
        start_payment = _start_payment()
        if start_payment is None:
            return
        self.error = self.message = ""
        try:
            async with session_scope() as db:
                started = await start_payment(
                    session=db, user_id=user_id, installment_id=installment_id, now=utcnow(), provider=_provider()
                )
        except DomainError as exc:
            self.error = exc.message
            return
        return rx.redirect(started.redirect_url)

    # --- Adhesión a factura digital ----------------------------------------------------------------

    @rx.event
    @customer
    async def set_digital(self, user_id: int, number: str, enabled: bool):
        """The factura digital switch of a link."""
        self.error = self.message = ""
        try:
            async with session_scope() as db:
                value = await procedures.set_digital_invoice(
                    session=db, user_id=user_id, supply_number=number, enabled=enabled, now=utcnow()
                )
        except DomainError as exc:
            self.error = exc.message
            return
        self.links = [
            link.model_copy(update={"digital_invoice": value}) if link.number == number else link for link in self.links
        ]
        self.message = (
            f"Adheriste el suministro N° {number} a la factura digital. Te lo confirmamos por e-mail."
            if value
            else f"Diste de baja la factura digital del suministro N° {number}. Te lo confirmamos por e-mail."
        )
