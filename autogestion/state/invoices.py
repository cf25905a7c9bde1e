"""A supply's invoices (/suministros/<numero>): header, one page of invoices, consumption chart, Imprimir."""

from __future__ import annotations

import logging
import re

import reflex as rx

from autogestion.db import session_scope
from autogestion.http import file_url
from autogestion.services import supplies
from autogestion.services.documents import sign_link
from autogestion.services.errors import DomainError, NotFound
from autogestion.services.supplies import InvoiceRow, SupplyDetail
from autogestion.state.session import require_customer

log = logging.getLogger(__name__)
PAGE_SIZE = 12
_NO_SUPPLY = SupplyDetail(
    number="", status="", tariff_group="", holder_name="", holder_document="", collection_status="", address="",
    is_holder=False, poder="", link_status="", link_status_label="", linked_at="", procedures_enabled=False,
)


class InvoicesState(rx.State):
    loaded: bool = False
    not_found: bool = False
    detail: SupplyDetail = _NO_SUPPLY
    rows: list[InvoiceRow] = []  # one page only: the list of a supply can be long (state stays small)
    page_number: int = 1
    total_pages: int = 1
    total_rows: int = 0
    chart: list[dict[str, str | int]] = []

    _number: str = ""

    def _clear(self) -> None:
        self.loaded, self.not_found, self.detail = False, False, _NO_SUPPLY
        self.rows, self.page_number, self.total_pages, self.total_rows, self.chart = [], 1, 1, 0, []
        self._number = ""

    def _route_number(self) -> str:
        return self.router.url.path.rstrip("/").rsplit("/", 1)[-1]

    def _show_not_found(self, user_id: int, number: object) -> None:
        self._clear()
        self.not_found = self.loaded = True
        log.warning("supply %r refused to user %s: not linked", str(number)[:20], user_id)

    @rx.event
    async def load(self):
        self._clear()
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        number = self._route_number()
        try:
            async with session_scope() as db:
                detail = await supplies.get_supply_detail(session=db, user_id=user_id, supply_number=number)
                page = await supplies.list_invoices(session=db, user_id=user_id, supply_number=number, page=1,
                                                    page_size=PAGE_SIZE)
                chart = await supplies.consumption_series(session=db, user_id=user_id, supply_number=number)
        except NotFound:
            self._show_not_found(user_id, number)
            return
        self._number, self.detail, self.chart = detail.number, detail, chart
        self._show(page)
        self.loaded = True

    def _show(self, page: supplies.InvoicePage) -> None:
        self.rows, self.page_number = page.rows, page.page
        self.total_pages, self.total_rows = page.total_pages, page.total_rows

    async def _go(self, page: int):
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        if not self._number:
            return
        try:
            async with session_scope() as db:
                result = await supplies.list_invoices(session=db, user_id=user_id, supply_number=self._number,
                                                      page=max(1, page), page_size=PAGE_SIZE)
        except NotFound:  # unlinked (or rejected) since the page was opened
            self._show_not_found(user_id, self._number)
            return
        self._show(result)

    @rx.event
    async def next_page(self):
        """**Siguiente**."""
        return await self._go(self.page_number + 1)

    @rx.event
    async def previous_page(self):
        """**Anterior**."""
        return await self._go(self.page_number - 1)

    @rx.event
    async def print_invoice(self, invoice_id: str):
        """**Imprimir**: download the PDF duplicate through a short-lived link signed for this user."""
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        row = next((r for r in self.rows if isinstance(invoice_id, str) and r.id == invoice_id), None)
        try:
            if row is None:
                raise NotFound("Factura no encontrada.")
            async with session_scope() as db:
                # The owner check is in the query; the download route checks it again with the cookie's session.
                invoice, _ = await supplies.get_invoice_for_user(session=db, user_id=user_id, invoice_id=invoice_id)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        name = "factura-" + re.sub(r"[^0-9A-Za-z-]", "", invoice.number) + ".pdf"
        return rx.download(url=file_url(sign_link("invoice", invoice.id, user_id)), filename=name)
