"""The three registration steps: Registrar Cuenta, Completá tus datos!, and the two codes."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.clock import utcnow
from autogestion.db import session_scope
from autogestion.models import UserStatus
from autogestion.services import accounts
from autogestion.services.errors import DomainError, ValidationError
from autogestion.services.formatting import mask_email, mask_phone
from autogestion.services.passwords import password_checks, validate_password
from autogestion.services.validation import (
    check_area,
    check_number,
    normalize_document,
    normalize_email,
    normalize_mobile,
    normalize_name,
)
from autogestion.state.captcha import CaptchaState
from autogestion.state.forms import clean, place, text
from autogestion.state.guards import public, registering
from autogestion.state.session import SessionState, landing_for

STEP1 = ("doc_type", "doc_number", "password", "password2", "captcha")
STEP2 = ("first_names", "last_names", "email", "area", "number")
STEP3 = ("code_email", "code_sms")
PENDING = (UserStatus.PENDING_DATA, UserStatus.PENDING_CODES)


class RegistroState(rx.State):
    """Step 1: document, password, captcha."""

    errors: dict[str, str] = clean(STEP1)
    oks: dict[str, bool] = dict.fromkeys(STEP1, False)
    form_error: str = ""
    rules: list[tuple[str, bool]] = [(label, False) for label, _ in password_checks("")]
    _doc_type: str = "DNI"

    @rx.event
    @public
    async def load(self):
        self.errors, self.form_error = clean(STEP1), ""
        viewer = await (await self.get_state(SessionState))._viewer()
        if viewer is not None:
            return rx.redirect(landing_for(viewer.status, viewer.dni_status))
        # The picture: CaptchaState.prepare, when the captcha field is focused.

    def _mark(self, name: str, check) -> None:
        try:
            check()
        except ValidationError as exc:
            self.errors = {**self.errors, name: exc.message}
            self.oks = {**self.oks, name: False}
            return
        self.errors = {**self.errors, name: ""}
        self.oks = {**self.oks, name: True}

    @rx.event
    @public
    async def set_doc_type(self, value: str):
        self._doc_type = value if isinstance(value, str) else ""

    @rx.event
    @public
    async def check_document(self, value: str):
        """✓/✗ beside the document as soon as the field is left (format only: no lookup)."""
        if isinstance(value, str) and value:
            self._mark("doc_number", lambda: normalize_document(self._doc_type, value))

    @rx.event
    @public
    async def check_password(self, value: str):
        """Live checklist of the manual's password rules and ✓/✗ (the password itself is not kept)."""
        value = value if isinstance(value, str) else ""
        self.rules = password_checks(value)
        if value:
            self._mark("password", lambda: validate_password(value))

    @rx.event
    @public
    async def submit(self, form: dict):
        """**Registrar Cuenta**: captcha first, then the account; the tab is logged in at step 2."""
        self.errors, self.form_error = clean(STEP1), ""
        try:
            await (await self.get_state(CaptchaState))._check(text(form, "captcha"), action="registro")
            async with session_scope() as db:
                result = await accounts.start_registration(
                    session=db,
                    doc_type=text(form, "doc_type"),
                    doc_number=text(form, "doc_number"),
                    password=text(form, "password"),
                    password2=text(form, "password2"),
                    now=utcnow(),
                )
        except DomainError as exc:
            self.errors, self.form_error = place(STEP1, exc)
            return rx.set_value("captcha", "")  # the picture changed: clear the old answer
        return await (await self.get_state(SessionState))._start(result.ticket, routes.REGISTRO_DATOS)


class DatosState(rx.State):
    """Step 2: names, e-mail, mobile."""

    errors: dict[str, str] = clean(STEP2)
    oks: dict[str, bool] = dict.fromkeys(STEP2, False)
    form_error: str = ""
    _area: str = ""
    _number: str = ""
    first_names: str = ""
    last_names: str = ""
    email: str = ""

    @rx.event
    @registering(*PENDING)
    async def load(self, user_id: int):
        self.errors, self.form_error = clean(STEP2), ""
        async with session_scope() as db:
            user = await accounts.registration_contact(session=db, user_id=user_id)
        self.first_names, self.last_names, self.email = user.first_names, user.last_names, user.email

    @rx.event
    @public
    async def check(self, name: str, value: str):
        """✓/✗ beside a field when it is left (syntax only; uniqueness is told on Continuar)."""
        if name not in STEP2 or not isinstance(value, str) or not value or len(value) > 300:
            return
        if name == "area":
            self._area = value
        if name == "number":
            self._number = value
        other = self._number if name == "area" else self._area
        checks = {
            "first_names": lambda: normalize_name(value, field="first_names"),
            "last_names": lambda: normalize_name(value, field="last_names"),
            "email": lambda: normalize_email(value),
            "area": lambda: (check_area(value), normalize_mobile(value, other) if other else None),
            "number": lambda: (check_number(value), normalize_mobile(other, value) if other else None),
        }
        try:
            checks[name]()
        except ValidationError as exc:
            target = exc.field if exc.field in STEP2 else name
            self.errors = {**self.errors, target: exc.message}
            self.oks = {**self.oks, target: False}
            return
        self.errors = {**self.errors, name: ""}
        self.oks = {**self.oks, name: True}
        if name in ("area", "number") and other:
            self.errors = {**self.errors, "area": "", "number": ""}
            self.oks = {**self.oks, "area": True, "number": True}

    @rx.event
    @registering(*PENDING)
    async def submit(self, user_id: int, form: dict):
        """**Continuar**: store the data and send both codes."""
        self.errors, self.form_error = clean(STEP2), ""
        try:
            async with session_scope() as db:
                await accounts.submit_contact_data(
                    session=db,
                    user_id=user_id,
                    first_names=text(form, "first_names"),
                    last_names=text(form, "last_names"),
                    email=text(form, "email"),
                    area=text(form, "area"),
                    number=text(form, "number"),
                    now=utcnow(),
                )
        except DomainError as exc:
            self.errors, self.form_error = place(STEP2, exc)
            return
        return rx.redirect(routes.REGISTRO_CODIGO)


class CodigoState(rx.State):
    """Step 3: the e-mail code and the SMS code."""

    errors: dict[str, str] = clean(STEP3)
    form_error: str = ""
    info: str = ""
    email_masked: str = ""
    phone_masked: str = ""

    @rx.event
    @registering(UserStatus.PENDING_CODES)
    async def load(self, user_id: int):
        self.errors, self.form_error, self.info = clean(STEP3), "", ""
        async with session_scope() as db:
            user = await accounts.registration_contact(session=db, user_id=user_id)
        self.email_masked, self.phone_masked = mask_email(user.email), mask_phone(user.phone_e164)

    @rx.event
    @registering(UserStatus.PENDING_CODES)
    async def submit(self, user_id: int, form: dict):
        """**Continuar**: both codes right → active account, a fresh session, Mis Suministros."""
        self.errors, self.form_error, self.info = clean(STEP3), "", ""
        try:
            async with session_scope() as db:
                result = await accounts.complete_registration(
                    session=db,
                    user_id=user_id,
                    email_code=text(form, "code_email"),
                    sms_code=text(form, "code_sms"),
                    now=utcnow(),
                )
        except DomainError as exc:
            self.errors, self.form_error = place(STEP3, exc)
            return
        return await (await self.get_state(SessionState))._start(result.ticket, routes.SUMINISTROS)

    @rx.event
    @registering(UserStatus.PENDING_CODES)
    async def resend(self, user_id: int):
        """ "Reenviar código": new codes to both channels (60 s apart at least)."""
        self.errors, self.form_error, self.info = clean(STEP3), "", ""
        try:
            async with session_scope() as db:
                await accounts.send_registration_codes(session=db, user_id=user_id, now=utcnow())
        except DomainError as exc:
            self.form_error = exc.message
            return
        self.info = "Te enviamos códigos nuevos. Los anteriores ya no sirven."
