"""Every error a form's handler can place lands on a field that form shows; anything else is a form error.

The recovery page once put a rate-limit message on the `code` field of the step that was not on screen, so
the customer saw nothing. These tests hold each handler's field tuple against the inputs its page renders.
"""

from __future__ import annotations

import pytest

from autogestion.services.errors import DomainError, RateLimited
from autogestion.state import forms, login, profile, recovery, registration


def input_names(component, found: set[str] | None = None) -> set[str]:
    """The `name` of every input under component, through conditionals."""
    found = set() if found is None else found
    name = getattr(component, "name", None)
    if name is not None:
        found.add(str(name).strip('"'))
    for child in getattr(component, "children", None) or []:
        input_names(child, found)
    for branch in ("comp1", "comp2"):
        if getattr(component, branch, None) is not None:
            input_names(getattr(component, branch), found)
    return found


def _pages():
    from autogestion.pages import login as login_page
    from autogestion.pages import profile as profile_page
    from autogestion.pages import recovery as recovery_page
    from autogestion.pages import registration as registration_page

    return [
        ("login", login.FIELDS, login_page.login),
        ("registro", registration.STEP1, registration_page.registro),
        ("datos", registration.STEP2, registration_page.datos),
        ("codigo", registration.STEP3, registration_page.codigo),
        ("recuperar: pedir código", recovery.ASK, recovery_page._ask),
        ("recuperar: nueva contraseña", recovery.RESET, recovery_page._reset),
        ("perfil: e-mail", profile.EMAIL, profile_page.perfil),
        ("perfil: celular", profile.PHONE, profile_page.perfil),
        ("perfil: contraseña", profile.PASSWORD, profile_page.perfil),
    ]


@pytest.mark.parametrize("index", range(9))
def test_every_field_a_handler_can_name_is_on_its_form(index):
    label, fields, page = _pages()[index]
    assert set(fields) <= input_names(page()), label


def test_recovery_steps_do_not_share_fields():
    assert not set(recovery.ASK) & set(recovery.RESET)


@pytest.mark.parametrize("field", ["code", "somewhere_else", ""])
def test_an_error_for_a_field_not_on_the_form_is_shown_as_a_form_error(field):
    errors, form_error = forms.place(
        recovery.ASK, RateLimited("Esperá 40 segundos para pedir otro código.", field=field)
    )
    assert form_error == "Esperá 40 segundos para pedir otro código."
    assert all(value == "" for value in errors.values())


def test_an_error_for_a_field_on_the_form_goes_beside_it():
    errors, form_error = forms.place(recovery.ASK, DomainError("Elegí cómo querés recibir el código.", field="channel"))
    assert errors["channel"] and form_error == ""
