"""Mi Perfil: own data, e-mail / mobile change with a code, password change."""

from __future__ import annotations

import reflex as rx

from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.http import file_url
from autogestion.models import DocumentKind, ProfilePublic
from autogestion.services import documents, profile
from autogestion.services.errors import DomainError
from autogestion.state.forms import clean, place, text
from autogestion.state.guards import customer
from autogestion.state.session import SessionState
from autogestion.state.uploads import REFUSED_BY_BROWSER, read_single_upload

EMAIL = ("email", "current_password", "code")
PHONE = ("area", "number", "current_password", "code")
PASSWORD = ("current_password", "new_password", "new_password2")


class ProfileState(rx.State):
    profile: ProfilePublic = ProfilePublic()
    email_errors: dict[str, str] = clean(EMAIL)
    phone_errors: dict[str, str] = clean(PHONE)
    password_errors: dict[str, str] = clean(PASSWORD)
    message: str = ""
    error: str = ""
    dni_error: str = ""
    dni_ok: bool = False

    async def _refresh(self, user_id: int) -> None:
        async with session_scope() as db:
            self.profile = await profile.overview(session=db, user_id=user_id, now=utcnow())

    def _reset_feedback(self) -> None:
        self.email_errors, self.phone_errors, self.password_errors = clean(EMAIL), clean(PHONE), clean(PASSWORD)
        self.message = self.error = ""

    @rx.event
    @customer(allow_unreadable_dni=True)
    async def load(self, user_id: int):
        self._reset_feedback()
        self.profile = ProfilePublic()
        await self._refresh(user_id)

    @rx.event
    @customer(allow_unreadable_dni=True)
    async def request_email(self, user_id: int, form: dict):
        """**Cambiar e-mail**: current password, then a code to the new address."""
        self._reset_feedback()
        try:
            async with session_scope() as db:
                masked = await profile.request_email_change(
                    session=db,
                    user_id=user_id,
                    new_email=text(form, "email"),
                    password=text(form, "current_password"),
                    now=utcnow(),
                )
        except DomainError as exc:
            self.email_errors, self.error = place(EMAIL, exc)
            return
        await self._refresh(user_id)
        self.message = f"Te enviamos un código a {masked}. Tu e-mail actual sigue valiendo hasta que lo confirmes."

    @rx.event
    @customer(allow_unreadable_dni=True)
    async def request_phone(self, user_id: int, form: dict):
        """**Cambiar celular**: current password, then an SMS code to the new mobile."""
        self._reset_feedback()
        try:
            async with session_scope() as db:
                masked = await profile.request_phone_change(
                    session=db,
                    user_id=user_id,
                    area=text(form, "area"),
                    number=text(form, "number"),
                    password=text(form, "current_password"),
                    now=utcnow(),
                )
        except DomainError as exc:
            self.phone_errors, self.error = place(PHONE, exc)
            return
        await self._refresh(user_id)
        self.message = (
            f"Te enviamos un SMS con un código a {masked}. Tu celular actual sigue valiendo hasta que lo confirmes."
        )

    @rx.event
    @customer(allow_unreadable_dni=True)
    async def confirm(self, user_id: int, kind: str, form: dict):
        """Code for a pending e-mail (kind "email") or mobile (kind "phone") change."""
        self._reset_feedback()
        if kind not in ("email", "phone"):
            return
        try:
            async with session_scope() as db:
                await profile.confirm_contact_change(
                    session=db, user_id=user_id, kind=kind, code=text(form, "code"), now=utcnow()
                )
        except DomainError as exc:
            if kind == "email":
                self.email_errors, self.error = place(EMAIL, exc)
            else:
                self.phone_errors, self.error = place(PHONE, exc)
            return
        await self._refresh(user_id)
        self.message = "Listo: actualizamos tu e-mail." if kind == "email" else "Listo: actualizamos tu celular."

    @rx.event
    @customer(allow_unreadable_dni=True)
    async def change_password(self, user_id: int, form: dict):
        """**Cambiar contraseña**: the other sessions end."""
        self._reset_feedback()
        session = await self.get_state(SessionState)
        try:
            async with session_scope() as db:
                await profile.change_password(
                    session=db,
                    user_id=user_id,
                    current_password=text(form, "current_password"),
                    new_password=text(form, "new_password"),
                    new_password2=text(form, "new_password2"),
                    keep_token=session._cookie_token(),
                    now=utcnow(),
                )
        except DomainError as exc:
            self.password_errors, self.error = place(PASSWORD, exc)
            return
        self.message = "Listo: cambiaste tu contraseña y cerramos tus otras sesiones."

    @rx.event
    @customer(allow_unreadable_dni=True)
    async def view_dni(self, user_id: int):
        """**Ver** the DNI photo on file, through a short-lived link signed for this user."""
        async with session_scope() as db:
            doc_id = await profile.dni_document_id(session=db, user_id=user_id)
        if doc_id:
            return rx.redirect(file_url(documents.sign_link("doc", doc_id, user_id)), is_external=True)

    @rx.event
    @customer(allow_unreadable_dni=True)
    async def upload_dni(self, user_id: int, files: list[rx.UploadFile]):
        """A new photo of the front of the DNI (required after NO LEGIBLE); goes back to review."""
        self.dni_error, self.dni_ok = "", False
        try:
            upload = await read_single_upload(files)
            async with session_scope() as db:
                await documents.upload_profile_dni(
                    session=db, user_id=user_id, data=upload.data, filename=upload.filename
                )
        except DomainError as exc:
            self.dni_error = exc.message
            return
        self.dni_ok = True
        await self._refresh(user_id)
        session = await self.get_state(SessionState)
        session.dni_status = self.profile.dni_status
        self.message = "Recibimos la foto de tu DNI. Un operador la revisa dentro de las 24 horas hábiles."

    @rx.event
    @customer(allow_unreadable_dni=True)
    async def dni_rejected(self, user_id: int, rejected_files: list):
        """The browser refused the photo (type or size) before sending it."""
        self.dni_error, self.dni_ok = REFUSED_BY_BROWSER[DocumentKind.DNI], False
