"""A supply's invoices (/suministros/<numero>): header, one page of invoices, consumption chart, Imprimir."""

from __future__ import annotations

import reflex as rx

from autogestion.adapters.payments import build_provider
from autogestion.client import security_event
from autogestion.clock import utcnow
from autogestion.config import get_settings
from autogestion.db import session_scope
from autogestion.http import file_url
from autogestion.models import DocumentKind, InvoicePagePublic, InvoicePublic, SupplyDetailPublic
from autogestion.services import invoices, payments, supplies
from autogestion.services.documents import sign_link
from autogestion.services.errors import DomainError, NotFound
from autogestion.state.guards import customer
from autogestion.state.supplies import poder_received
from autogestion.state.uploads import REFUSED_BY_BROWSER, read_single_upload

PODER_UPLOAD_ID = "factura_poder_upload"


class InvoicesState(rx.State):
    loaded: bool = False
    not_found: bool = False
    detail: SupplyDetailPublic = SupplyDetailPublic()
    rows: list[InvoicePublic] = []  # one page only: the list of a supply can be long (state stays small)
    page_number: int = 1
    total_pages: int = 1
    total_rows: int = 0
    chart: list[dict[str, str | int]] = []  # recharts reads plain {period, kwh} objects
    poder_error: str = ""
    poder_message: str = ""

    _number: str = ""  # the supply whose invoices are shown (none for a rejected link)
    _rejected_number: str = ""  # the user's rejected link shown instead, which a new poder may reopen

    def _clear(self) -> None:
        self.loaded, self.not_found, self.detail = False, False, SupplyDetailPublic()
        self.rows, self.page_number, self.total_pages, self.total_rows, self.chart = [], 1, 1, 0, []
        self._number = self._rejected_number = ""
        self.poder_error = self.poder_message = ""

    def _route_number(self) -> str:
        return self.router.url.path.rstrip("/").rsplit("/", 1)[-1]

    def _show_not_found(self, user_id: int, number: object) -> None:
        self._clear()
        self.not_found = self.loaded = True
        security_event("supply_refused", user_id=user_id, supply=str(number)[:20], reason="not linked")

    def _show(self, page: InvoicePagePublic) -> None:
        self.rows, self.page_number = page.rows, page.page
        self.total_pages, self.total_rows = page.total_pages, page.total_rows

    @rx.event
    @customer
    async def load(self, user_id: int):
        await self._open(user_id, self._route_number())

    async def _open(self, user_id: int, number: str) -> None:
        self._clear()
        try:
            async with session_scope() as db:
                shown = await invoices.supply_page(session=db, user_id=user_id, supply_number=number)
        except NotFound:
            self._show_not_found(user_id, number)
            return
        self.detail = shown.detail
        if shown.detail.rejected:
            # Its invoices stay closed (no paging); a new poder may reopen the link.
            self._rejected_number = shown.detail.number
            self.loaded = True
            return
        self._number = shown.detail.number
        self.chart = [point.model_dump() for point in shown.consumption]
        self._show(shown.invoices)
        self.loaded = True

    @rx.event
    @customer
    async def upload_poder(self, user_id: int, files: list[rx.UploadFile]):
        """ "Subir un poder nuevo" for this rejected link: back to "pendiente", its invoices open again."""
        self.poder_error = ""
        number = self._rejected_number
        if not number:
            return
        try:
            upload = await read_single_upload(files)
            async with session_scope() as db:
                row = await supplies.replace_link_poder(
                    session=db,
                    user_id=user_id,
                    supply_number=number,
                    data=upload.data,
                    filename=upload.filename,
                    now=utcnow(),
                )
        except DomainError as exc:
            self.poder_error = exc.message
            return
        await self._open(user_id, number)
        self.poder_message = poder_received(row.number, row.review_deadline)

    @rx.event
    @customer
    async def poder_rejected(self, user_id: int, rejected_files: list):
        """The browser refused the file (type or size) before sending it."""
        self.poder_error = REFUSED_BY_BROWSER[DocumentKind.PODER]

    async def _go(self, user_id: int, page: int) -> None:
        if not self._number:
            return
        try:
            async with session_scope() as db:
                result = await invoices.list_invoices(
                    session=db, user_id=user_id, supply_number=self._number, page=max(1, page)
                )
        except NotFound:  # unlinked (or rejected) since the page was opened
            self._show_not_found(user_id, self._number)
            return
        self._show(result)

    @rx.event
    @customer
    async def next_page(self, user_id: int):
        """**Siguiente**."""
        await self._go(user_id, self.page_number + 1)

    @rx.event
    @customer
    async def previous_page(self, user_id: int):
        """**Anterior**."""
        await self._go(user_id, self.page_number - 1)

    @rx.event
    @customer
    async def print_invoice(self, user_id: int, invoice_id: str):
        """**Imprimir**: download the PDF duplicate through a short-lived link signed for this user."""
        try:
            async with session_scope() as db:
                # The owner check is in the query; the download route checks it again with the cookie's session.
                download = await invoices.get_invoice_download(session=db, user_id=user_id, invoice_id=invoice_id)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.download(url=file_url(sign_link("invoice", download.invoice_id, user_id)), filename=download.filename)

    @rx.event
    @customer
    async def pay(self, user_id: int, invoice_id: str):
        """**Pagar**: a payment of this invoice (amount from the database), then the provider's checkout."""
        try:
            async with session_scope() as db:
                started = await payments.start_payment(
                    session=db,
                    user_id=user_id,
                    invoice_id=invoice_id,
                    now=utcnow(),
                    provider=build_provider(get_settings()),
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.redirect(started.redirect_url)
