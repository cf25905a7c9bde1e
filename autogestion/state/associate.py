"""Asociar Suministro: number check, invoice quiz, DNI photo and poder uploads, confirmation and link.

Everything that decides lives on the server: the verified number and the uploaded documents' ids are backend
vars (leading underscore), the quiz's right answer never leaves the database, and every handler re-checks
the session and the earlier steps, because a client can call any handler, with any arguments, in any order.
"""

from __future__ import annotations

import asyncio
import re

import reflex as rx

from autogestion import routes
from autogestion.adapters.documents import MAX_UPLOAD_BYTES
from autogestion.db import session_scope
from autogestion.http import file_url
from autogestion.models import DocumentKind
from autogestion.services import documents, supplies
from autogestion.services.errors import DomainError, RateLimited
from autogestion.state.forms import text
from autogestion.state.session import require_customer
from autogestion.state.supplies import SuppliesState

UPLOAD_ID = {DocumentKind.DNI: "dni_upload", DocumentKind.PODER: "poder_upload"}
_OPTION = re.compile(r"[0-3]")
TOO_BIG = "El archivo supera los 10 MB. Subí uno más liviano."
ONE_FILE = "Subí un solo archivo."
REJECTED_IN_BROWSER = {
    DocumentKind.DNI: "Elegí una foto JPEG o PNG de hasta 10 MB.",
    DocumentKind.PODER: "Elegí un PDF o una imagen JPEG o PNG de hasta 10 MB.",
}
NEED_NUMBER = "Primero ingresá y verificá el N° de suministro."
NEED_QUIZ = "Primero elegí el importe y vencimiento de tu última o penúltima factura."
NEED_DNI = "Subí una foto del frente de tu DNI."
NEED_PODER = "Como no sos el titular del suministro, subí el poder que te otorgó el titular."
LINKED = (
    "Listo: asociaste el suministro N° {number} a tu cuenta y quedó pendiente de validación. Ya podés consultar, "
    "imprimir y pagar tus facturas. Los Planes de Pago y otros trámites se habilitan cuando un operador lo valida, "
    "dentro de las 24 horas hábiles. Te enviamos un e-mail con el detalle."
)


def _attempts_text(left: int) -> str:
    return f"Esa no es la opción correcta. Te queda{'n' if left != 1 else ''} {left} intento{'s' if left != 1 else ''}."


class AssociateState(rx.State):
    # 1. N° de Suministro
    number: str = ""
    number_error: str = ""
    number_ok: bool = False
    # 2. the proof of knowledge (the options carry no hint of the right one)
    options: list[supplies.QuizOption] = []
    quiz_error: str = ""
    quiz_ok: bool = False
    quiz_locked: bool = False
    attempts_left: int = supplies.QUIZ_MAX_WRONG
    # 3. documents
    needs_poder: bool = False
    dni_on_file: bool = False
    dni_file_status: str = ""
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

    @rx.var(cache=False)
    def ready(self) -> bool:
        """Every step done (the server checks again on "SI")."""
        return self._missing() == ""

    def _missing(self) -> str:
        if not self.number_ok or not self._number:
            return NEED_NUMBER
        if not self.quiz_ok:
            return NEED_QUIZ
        if not (self._dni_id or self._dni_file_id):
            return NEED_DNI
        if self.needs_poder and not self._poder_id:
            return NEED_PODER
        return ""

    def _reset_from_number(self) -> None:
        """Forget what belongs to the supply (steps 1, 2, poder, confirmation); the DNI photo stays."""
        self.number = self._number = self.number_error = ""
        self.number_ok = False
        self._reset_quiz()
        self.poder_ok, self.poder_name, self.poder_error, self._poder_id = False, "", "", ""
        self.confirm_open, self.link_error = False, ""

    def _reset_quiz(self) -> None:
        self.options = []
        self.quiz_error = ""
        self.quiz_ok = self.quiz_locked = self.needs_poder = False
        self.attempts_left = supplies.QUIZ_MAX_WRONG

    def _reset_all(self) -> None:
        self._reset_from_number()
        self.dni_on_file, self.dni_file_status, self.dni_file_date, self._dni_file_id = False, "", "", ""
        self.dni_replace, self.dni_ok, self.dni_name, self.dni_error, self._dni_id = False, False, "", "", ""

    @rx.event
    async def load(self):
        self._reset_all()
        self.loaded = False
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        async with session_scope() as db:
            on_file = await documents.get_reusable_dni(session=db, user_id=user_id)
        if on_file is not None:
            self.dni_on_file, self._dni_file_id = True, on_file.id
            self.dni_file_status, self.dni_file_date = on_file.status_label, on_file.uploaded_at
        self.loaded = True

    # --- 1. N° de Suministro ----------------------------------------------------------------------

    @rx.event
    async def check_number(self, value: str):
        """The field lost focus: check what was typed (an empty field is not an error yet)."""
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        await self._check(user_id, value if isinstance(value, str) else "", quiet_when_empty=True)

    @rx.event
    async def verify(self, form: dict):
        """"Verificar" (or Enter in the field)."""
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        await self._check(user_id, text(form, "supply_number"), quiet_when_empty=False)

    async def _check(self, user_id: int, raw: str, *, quiet_when_empty: bool) -> None:
        candidate = raw.strip()
        if self.number_ok and candidate == self._number:
            return  # blur and "Verificar" of the same number: one check is enough
        self._reset_from_number()
        if not candidate and quiet_when_empty:
            return
        try:
            # Unknown numbers count against the per-user limit; the service commits that count itself.
            async with session_scope() as db:
                number = await supplies.check_supply_number(session=db, user_id=user_id, raw=candidate)
        except DomainError as exc:
            self.number_error = exc.message
            return
        self.number = self._number = number
        self.number_ok = True
        await self._load_quiz(user_id)

    async def _load_quiz(self, user_id: int) -> None:
        try:
            async with session_scope() as db:
                self.options = await supplies.get_quiz(session=db, user_id=user_id, supply_number=self._number)
                self.attempts_left = await supplies.quiz_attempts_left(session=db, user_id=user_id,
                                                                       supply_number=self._number)
        except DomainError as exc:
            if exc.field == "quiz":
                self.quiz_locked, self.attempts_left, self.quiz_error = isinstance(exc, RateLimited), 0, exc.message
            else:  # already linked, no invoices to ask about, throttled: the number itself cannot go on
                self._reset_from_number()
                self.number_error = exc.message

    # --- 2. the proof of knowledge ----------------------------------------------------------------

    @rx.event
    async def answer(self, form: dict):
        """"Confirmar" the chosen amount and due date."""
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        self.quiz_error = ""
        if not self.number_ok or not self._number:
            self.quiz_error = NEED_NUMBER
            return
        if self.quiz_ok:
            return
        raw = text(form, "quiz")
        if not _OPTION.fullmatch(raw):
            self.quiz_error = supplies.PICK_AN_OPTION
            return
        try:
            # A wrong answer must stay counted, so the session commits on refusals too.
            async with session_scope(commit_on=(DomainError,)) as db:
                right = await supplies.answer_quiz(session=db, user_id=user_id, supply_number=self._number,
                                                   option_index=int(raw))
                left = await supplies.quiz_attempts_left(session=db, user_id=user_id, supply_number=self._number)
                holder = await supplies.is_holder_of(session=db, user_id=user_id, supply_number=self._number) if right else True
        except RateLimited as exc:
            self.quiz_locked, self.attempts_left, self.quiz_error = True, 0, exc.message
            return
        except DomainError as exc:
            self.quiz_error = exc.message
            return
        self.attempts_left = left
        if right:
            self.quiz_ok, self.needs_poder = True, not holder
        elif left <= 0:
            self.quiz_locked, self.quiz_error = True, supplies.QUIZ_LOCKED
        else:
            self.quiz_error = _attempts_text(left)

    # --- 3. documents -----------------------------------------------------------------------------

    @rx.event
    async def upload_dni(self, files: list[rx.UploadFile]):
        """"Foto del frente del DNI": check and store it privately."""
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        await self._store(user_id, DocumentKind.DNI, files)

    @rx.event
    async def upload_poder(self, files: list[rx.UploadFile]):
        """"Poder": only for someone who is not the holder, once the quiz is passed."""
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        if not self.quiz_ok or not self.needs_poder:
            self.poder_error = NEED_QUIZ if not self.quiz_ok else "No hace falta un poder: sos el titular del suministro."
            return
        await self._store(user_id, DocumentKind.PODER, files)

    async def _store(self, user_id: int, kind: str, files: object) -> None:
        self._set_upload(kind, ok=False, name="", error="", doc_id="")
        if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], rx.UploadFile):
            self._set_upload(kind, ok=False, name="", error=ONE_FILE, doc_id="")
            return
        upload = files[0]
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            self._set_upload(kind, ok=False, name="", error=TOO_BIG, doc_id="")
            return
        # Never more than the limit + 1 byte in memory; store_upload refuses anything over the limit.
        data = await asyncio.to_thread(upload.file.read, MAX_UPLOAD_BYTES + 1)
        try:
            async with session_scope() as db:
                stored = await documents.store_upload(session=db, user_id=user_id, kind=kind, data=data,
                                                      filename=upload.filename or "")
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
    async def dni_rejected(self, rejected_files: list):
        """The browser refused the DNI photo (type or size) before sending it."""
        _, redirect = await require_customer(self)
        if redirect:
            return redirect
        self._set_upload(DocumentKind.DNI, ok=False, name="", error=REJECTED_IN_BROWSER[DocumentKind.DNI], doc_id="")

    @rx.event
    async def poder_rejected(self, rejected_files: list):
        """The browser refused the poder (type or size) before sending it."""
        _, redirect = await require_customer(self)
        if redirect:
            return redirect
        self._set_upload(DocumentKind.PODER, ok=False, name="", error=REJECTED_IN_BROWSER[DocumentKind.PODER], doc_id="")

    @rx.event
    async def toggle_replace_dni(self):
        _, redirect = await require_customer(self)
        if redirect:
            return redirect
        self.dni_replace = not self.dni_replace

    @rx.event
    async def view(self, kind: str):
        """**Ver**: open the stored file in a new tab through a short-lived link signed for this user."""
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        if kind == DocumentKind.DNI:
            doc_id = self._dni_id or self._dni_file_id
        elif kind == DocumentKind.PODER:
            doc_id = self._poder_id
        else:
            return
        if not doc_id:
            return
        return rx.redirect(file_url(documents.sign_link("doc", doc_id, user_id)), is_external=True)

    # --- 4–5. confirmation and link ---------------------------------------------------------------

    @rx.event
    async def ask_confirm(self):
        """**Asociar**: the "¿Está seguro…?" dialog, once every step is done."""
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        self.link_error = self._missing()
        self.confirm_open = not self.link_error

    @rx.event
    async def dialog_changed(self, is_open: bool):
        """Escape or a click outside closes the dialog; the client can never open it by itself."""
        _, redirect = await require_customer(self)
        if redirect:
            return redirect
        if is_open is not True:
            self.confirm_open = False

    @rx.event
    async def cancel(self):
        """**NO**."""
        _, redirect = await require_customer(self)
        if redirect:
            return redirect
        self.confirm_open = False

    @rx.event
    async def confirm(self):
        """**SI**: link the supply (pending validation) and go to Mis Suministros."""
        user_id, redirect = await require_customer(self)
        if redirect:
            return redirect
        self.confirm_open = False
        self.link_error = self._missing()
        if self.link_error:
            return
        number = self._number
        try:
            async with session_scope() as db:
                await supplies.link_supply(session=db, user_id=user_id, supply_number=number,
                                           dni_document_id=self._dni_id or None,
                                           poder_document_id=self._poder_id or None)
        except DomainError as exc:
            self.link_error = exc.message
            if exc.field == DocumentKind.DNI:
                self._set_upload(DocumentKind.DNI, ok=False, name="", error=exc.message, doc_id="")
            elif exc.field == DocumentKind.PODER:
                self._set_upload(DocumentKind.PODER, ok=False, name="", error=exc.message, doc_id="")
            elif exc.field == "quiz":
                self.quiz_ok = False
            return
        self._reset_all()
        listing = await self.get_state(SuppliesState)
        listing._leave_message(LINKED.format(number=number))
        return rx.redirect(routes.SUMINISTROS)
