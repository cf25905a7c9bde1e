"""Asociar Suministro: number check and invoice quiz, DNI photo and poder uploads, confirmation and link.

The verified number and the uploaded documents' ids are backend vars (leading underscore) and the quiz's
right answer never leaves the database. The rules are the services': each handler calls one, which checks
the earlier steps again, because a client can call any handler, with any arguments, in any order.
"""

from __future__ import annotations

import re

import reflex as rx

from autogestion import routes
from autogestion.db import session_scope
from autogestion.http import file_url
from autogestion.models import DocumentKind, QuizOptionPublic
from autogestion.services import documents, quiz, supplies
from autogestion.services.errors import DomainError
from autogestion.state.forms import text
from autogestion.state.guards import customer
from autogestion.state.supplies import SuppliesState
from autogestion.state.uploads import REFUSED_BY_BROWSER, read_single_upload

UPLOAD_ID = {DocumentKind.DNI: "dni_upload", DocumentKind.PODER: "poder_upload"}
_OPTION = re.compile(r"[0-3]")
LINKED = (
    "Listo: asociaste el suministro N° {number} a tu cuenta y quedó pendiente de validación. Ya podés consultar, "
    "imprimir y pagar tus facturas. Los Planes de Pago y otros trámites se habilitan cuando un operador lo valida, "
    "dentro de las 24 horas hábiles. Te enviamos un e-mail con el detalle."
)


class AssociateState(rx.State):
    # 1. N° de Suministro
    number: str = ""
    number_error: str = ""
    number_ok: bool = False
    # 2. the proof of knowledge (the options carry no hint of the right one)
    options: list[QuizOptionPublic] = []
    quiz_error: str = ""
    quiz_ok: bool = False
    quiz_locked: bool = False
    # 3. documents
    needs_poder: bool = False
    dni_on_file: bool = False
    dni_file_status: str = ""  # LEGIBLE | En análisis (a NO LEGIBLE photo is never reused)
    dni_file_date: str = ""
    dni_replace: bool = False
    dni_ok: bool = False
    dni_name: str = ""
    dni_error: str = ""
    poder_ok: bool = False
    poder_name: str = ""
    poder_error: str = ""
    # 4–5. confirmation
    confirm_open: bool = False
    link_error: str = ""
    loaded: bool = False

    _number: str = ""
    _dni_id: str = ""
    _dni_file_id: str = ""
    _poder_id: str = ""

    def _reset_from_number(self) -> None:
        """Forget what belongs to the supply (steps 1, 2, poder, confirmation); the DNI photo stays."""
        self.number = self._number = self.number_error = ""
        self.number_ok = False
        self.options, self.quiz_error = [], ""
        self.quiz_ok = self.quiz_locked = self.needs_poder = False
        self.poder_ok, self.poder_name, self.poder_error, self._poder_id = False, "", "", ""
        self.confirm_open, self.link_error = False, ""

    def _reset_all(self) -> None:
        self._reset_from_number()
        self.dni_on_file, self.dni_file_status, self.dni_file_date, self._dni_file_id = False, "", "", ""
        self.dni_replace, self.dni_ok, self.dni_name, self.dni_error, self._dni_id = False, False, "", "", ""
        self.loaded = False

    @rx.event
    @customer
    async def load(self, user_id: int):
        self._reset_all()
        async with session_scope() as db:
            on_file = await documents.get_reusable_dni(session=db, user_id=user_id)
        if on_file is not None:
            self.dni_on_file, self._dni_file_id = True, on_file.id
            self.dni_file_status, self.dni_file_date = on_file.status_label, on_file.uploaded_at
        self.loaded = True

    # --- 1. N° de Suministro, and the quiz it opens -----------------------------------------------

    @rx.event
    @customer
    async def check_number(self, user_id: int, value: str):
        """The field lost focus: check what was typed (an empty field is not an error yet)."""
        await self._check(user_id, value if isinstance(value, str) else "", quiet_when_empty=True)

    @rx.event
    @customer
    async def verify(self, user_id: int, form: dict):
        """ "Verificar" (or Enter in the field)."""
        await self._check(user_id, text(form, "supply_number"), quiet_when_empty=False)

    async def _check(self, user_id: int, raw: str, *, quiet_when_empty: bool) -> None:
        candidate = raw.strip()
        if self.number_ok and candidate == self._number:
            return  # blur and "Verificar" of the same number: one check is enough
        self._reset_from_number()
        if not candidate and quiet_when_empty:
            return
        try:
            async with session_scope() as db:
                started = await quiz.start_quiz(session=db, user_id=user_id, supply_number=candidate)
        except DomainError as exc:  # malformed, unknown (counted), already linked, no invoices, throttled
            self.number_error = exc.message
            return
        self.number = self._number = started.supply_number
        self.number_ok = True
        self.options, self.quiz_locked, self.quiz_error = started.options, started.locked, started.message
        self.quiz_ok, self.needs_poder = started.passed, started.needs_poder

    # --- 2. the proof of knowledge ----------------------------------------------------------------

    @rx.event
    @customer
    async def answer(self, user_id: int, form: dict):
        """ "Confirmar" the chosen amount and due date."""
        if self.quiz_ok:
            return
        self.quiz_error = ""
        raw = text(form, "quiz")
        if not _OPTION.fullmatch(raw):
            self.quiz_error = quiz.PICK_AN_OPTION
            return
        try:
            # A wrong answer is a result, not an error: the unit of work commits its lock and counts.
            async with session_scope() as db:
                result = await quiz.answer_quiz(
                    session=db, user_id=user_id, supply_number=self._number, option_index=int(raw)
                )
        except DomainError as exc:
            self.quiz_error = exc.message
            return
        self.quiz_ok, self.quiz_locked, self.quiz_error = result.right, result.locked, result.message
        self.needs_poder = result.needs_poder

    # --- 3. documents -----------------------------------------------------------------------------

    @rx.event
    @customer
    async def upload_dni(self, user_id: int, files: list[rx.UploadFile]):
        """ "Foto del frente del DNI": check and store it privately."""
        await self._store(user_id, DocumentKind.DNI, files)

    @rx.event
    @customer
    async def upload_poder(self, user_id: int, files: list[rx.UploadFile]):
        """ "Poder": asked for only when the quiz said the user is not the holder."""
        if self.needs_poder:
            await self._store(user_id, DocumentKind.PODER, files)

    async def _store(self, user_id: int, kind: str, files: object) -> None:
        self._set_upload(kind, ok=False, name="", error="", doc_id="")
        try:
            upload = await read_single_upload(files)
            async with session_scope() as db:
                stored = await documents.store_upload(
                    session=db, user_id=user_id, kind=kind, data=upload.data, filename=upload.filename
                )
        except DomainError as exc:
            self._set_upload(kind, ok=False, name="", error=exc.message, doc_id="")
            return
        self._set_upload(kind, ok=True, name=stored.original_name or "archivo", error="", doc_id=stored.id)
        if kind == DocumentKind.DNI:
            self.dni_replace = False

    def _set_upload(self, kind: str, *, ok: bool, name: str, error: str, doc_id: str) -> None:
        if kind == DocumentKind.DNI:
            self.dni_ok, self.dni_name, self.dni_error, self._dni_id = ok, name, error, doc_id
        else:
            self.poder_ok, self.poder_name, self.poder_error, self._poder_id = ok, name, error, doc_id

    @rx.event
    @customer
    async def dni_rejected(self, user_id: int, rejected_files: list):
        """The browser refused the DNI photo (type or size) before sending it."""
        self._set_upload(DocumentKind.DNI, ok=False, name="", error=REFUSED_BY_BROWSER[DocumentKind.DNI], doc_id="")

    @rx.event
    @customer
    async def poder_rejected(self, user_id: int, rejected_files: list):
        """The browser refused the poder (type or size) before sending it."""
        self._set_upload(DocumentKind.PODER, ok=False, name="", error=REFUSED_BY_BROWSER[DocumentKind.PODER], doc_id="")

    @rx.event
    @customer
    async def toggle_replace_dni(self, user_id: int):
        self.dni_replace = not self.dni_replace

    @rx.event
    @customer
    async def view(self, user_id: int, kind: str):
        """**Ver**: open the stored file in a new tab through a short-lived link signed for this user."""
        if kind == DocumentKind.DNI:
            doc_id = self._dni_id or self._dni_file_id
        elif kind == DocumentKind.PODER:
            doc_id = self._poder_id
        else:
            return
        if doc_id:
            return rx.redirect(file_url(documents.sign_link("doc", doc_id, user_id)), is_external=True)

    # --- 4–5. confirmation and link ---------------------------------------------------------------

    @rx.event
    @customer
    async def ask_confirm(self, user_id: int):
        """**Asociar**: the "¿Está seguro…?" dialog, once the service finds every step done."""
        self.confirm_open = False
        try:
            async with session_scope() as db:
                await supplies.check_link_ready(
                    session=db,
                    user_id=user_id,
                    supply_number=self._number,
                    dni_document_id=self._dni_id or None,
                    poder_document_id=self._poder_id or None,
                )
        except DomainError as exc:
            self.link_error = exc.message
            return
        self.link_error, self.confirm_open = "", True

    @rx.event
    @customer
    async def dialog_changed(self, user_id: int, is_open: bool):
        """Escape or a click outside closes the dialog; the client can never open it by itself."""
        if is_open is not True:
            self.confirm_open = False

    @rx.event
    @customer
    async def cancel(self, user_id: int):
        """**NO**."""
        self.confirm_open = False

    @rx.event
    @customer
    async def confirm(self, user_id: int):
        """**SI**: link the supply (pending validation) and go to Mis Suministros."""
        self.confirm_open = False
        number = self._number
        try:
            async with session_scope() as db:
                await supplies.link_supply(
                    session=db,
                    user_id=user_id,
                    supply_number=number,
                    dni_document_id=self._dni_id or None,
                    poder_document_id=self._poder_id or None,
                )
        except DomainError as exc:
            self.link_error = exc.message
            if exc.field in (DocumentKind.DNI, DocumentKind.PODER):
                self._set_upload(exc.field, ok=False, name="", error=exc.message, doc_id="")
            elif exc.field == "quiz":
                self.quiz_ok = False
            return
        self._reset_all()
        self.loaded = True
        listing = await self.get_state(SuppliesState)
        listing._leave_message(LINKED.format(number=number))
        return rx.redirect(routes.SUMINISTROS)
