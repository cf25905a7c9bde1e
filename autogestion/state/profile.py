"""Mi Perfil: own data, e-mail / mobile change with a code, password change."""

from __future__ import annotations

import asyncio

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.http import file_url
from autogestion.services import accounts, documents
from autogestion.services.errors import DomainError, ValidationError
from autogestion.services.formatting import format_mobile
from autogestion.state.forms import clean, place, text
from autogestion.state.session import SessionState, require_customer

EMAIL = ("email", "current_password", "code")
PHONE = ("area", "number", "current_password", "code")
PASSWORD = ("current_password", "new_password", "new_password2")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class ProfileState(rx.State):
    full_name: str = ""
    document: str = ""
    email: str = ""
    phone: str = ""
    dni_status: str = ""
    pending_email: str = ""
    pending_phone: str = ""
    email_errors: dict[str, str] = clean(EMAIL)
    phone_errors: dict[str, str] = clean(PHONE)
    password_errors: dict[str, str] = clean(PASSWORD)
    message: str = ""
    error: str = ""
    dni_on_file: bool = False
    dni_error: str = ""
    dni_ok: bool = False

    async def _refresh(self, user_id: int) -> None:
        async with session_scope() as db:
            user = await accounts.get_user_public(db, user_id=user_id)
            pending = await accounts.pending_contact_changes(db, user_id=user_id, now=utcnow())
        self.full_name, self.document = user.full_name, f"{user.doc_type} {user.doc_number}"
        self.email, self.phone, self.dni_status = user.email, format_mobile(user.phone_e164), user.dni_status
        self.pending_email, self.pending_phone = pending.get("email", ""), pending.get("phone", "")
        self.dni_on_file = bool(user.dni_status != "none")

    def _reset_feedback(self) -> None:
        self.email_errors, self.phone_errors, self.password_errors = clean(EMAIL), clean(PHONE), clean(PASSWORD)
        self.message = self.error = ""

    @rx.event
    async def load(self):
        self._reset_feedback()
        user_id, redirect = await require_customer(self, allow_unreadable_dni=True)
        if redirect:
            return redirect
        await self._refresh(user_id)

    @rx.event
    async def request_email(self, form: dict):
        self._reset_feedback()
        user_id, redirect = await require_customer(self, allow_unreadable_dni=True)
        if redirect:
            return redirect
        try:
            async with session_scope() as db:
                masked = await accounts.request_email_change(db, user_id=user_id, new_email=text(form, "email"),
                                                             password=text(form, "current_password"), now=utcnow())
        except DomainError as exc:
            self.email_errors, self.error = place(EMAIL, exc)
            return
        await self._refresh(user_id)
        self.message = f"Te enviamos un código a {masked}. Tu e-mail actual sigue valiendo hasta que lo confirmes."

    @rx.event
    async def request_phone(self, form: dict):
        self._reset_feedback()
        user_id, redirect = await require_customer(self, allow_unreadable_dni=True)
        if redirect:
            return redirect
        try:
            async with session_scope() as db:
                masked = await accounts.request_phone_change(db, user_id=user_id, area=text(form, "area"),
                                                             number=text(form, "number"),
                                                             password=text(form, "current_password"), now=utcnow())
        except DomainError as exc:
            self.phone_errors, self.error = place(PHONE, exc)
            return
        await self._refresh(user_id)
        self.message = f"Te enviamos un SMS con un código a {masked}. Tu celular actual sigue valiendo hasta que lo confirmes."

    @rx.event
    async def confirm(self, kind: str, form: dict):
        """Code for a pending e-mail (kind "email") or mobile (kind "phone") change."""
        self._reset_feedback()
        user_id, redirect = await require_customer(self, allow_unreadable_dni=True)
        if redirect:
            return redirect
        if kind not in ("email", "phone"):
            return
        try:
            async with session_scope(commit_on=(ValidationError,)) as db:
                await accounts.confirm_contact_change(db, user_id=user_id, kind=kind, code=text(form, "code"), now=utcnow())
        except DomainError as exc:
            if kind == "email":
                self.email_errors, self.error = place(EMAIL, exc)
            else:
                self.phone_errors, self.error = place(PHONE, exc)
            return
        await self._refresh(user_id)
        self.message = "Listo: actualizamos tu e-mail." if kind == "email" else "Listo: actualizamos tu celular."

    @rx.event
    async def change_password(self, form: dict):
        self._reset_feedback()
        user_id, redirect = await require_customer(self, allow_unreadable_dni=True)
        if redirect:
            return redirect
        session = await self.get_state(SessionState)
        try:
            async with session_scope() as db:
                await accounts.change_password(
                    db, user_id=user_id, current_password=text(form, "current_password"),
                    new_password=text(form, "new_password"), new_password2=text(form, "new_password2"),
                    keep_token=session.cookie_token(), now=utcnow(),
                )
        except DomainError as exc:
            self.password_errors, self.error = place(PASSWORD, exc)
            return
        self.message = "Listo: cambiaste tu contraseña y cerramos tus otras sesiones."

    @rx.event
    async def view_dni(self):
        """**Ver** the DNI photo on file, through a short-lived link signed for this user."""
        user_id, redirect = await require_customer(self, allow_unreadable_dni=True)
        if redirect:
            return redirect
        async with session_scope() as db:
            user = await accounts.get_user_public(db, user_id=user_id)
            doc_id = await accounts.dni_document_id(db, user_id=user_id)
        if not doc_id or user.dni_status == "none":
            return
        return rx.redirect(file_url(documents.sign_link("doc", doc_id, user_id)), is_external=True)

    @rx.event
    async def upload_dni(self, files: list[rx.UploadFile]):
        """A new photo of the front of the DNI (required after NO LEGIBLE); goes back to review."""
        self.dni_error, self.dni_ok = "", False
        user_id, redirect = await require_customer(self, allow_unreadable_dni=True)
        if redirect:
            return redirect
        if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], rx.UploadFile):
            self.dni_error = "Elegí una sola foto."
            return
        data = await asyncio.to_thread(files[0].file.read, MAX_UPLOAD_BYTES + 1)
        try:
            async with session_scope() as db:
                stored = await documents.store_upload(session=db, user_id=user_id, kind="dni", data=data,
                                                      filename=files[0].filename or "")
                await documents.set_profile_dni(session=db, user_id=user_id, document_id=stored.id)
        except DomainError as exc:
            self.dni_error = exc.message
            return
        self.dni_ok = True
        await self._refresh(user_id)
        session = await self.get_state(SessionState)
        session.dni_status = self.dni_status
        self.message = "Recibimos la foto de tu DNI. Un operador la revisa dentro de las 24 horas hábiles."

    @rx.event
    async def dni_rejected(self, rejected_files: list):
        _, redirect = await require_customer(self, allow_unreadable_dni=True)
        if redirect:
            return redirect
        self.dni_error, self.dni_ok = "La foto tiene que ser JPEG o PNG de hasta 10 MB.", False
