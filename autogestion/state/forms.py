"""Small helpers every form state uses to turn a DomainError into per-field ✓/✗ vars."""

from __future__ import annotations

from autogestion.services.errors import DomainError


def clean(fields: tuple[str, ...]) -> dict[str, str]:
    """No error on any field."""
    return {name: "" for name in fields}


def place(fields: tuple[str, ...], exc: DomainError) -> tuple[dict[str, str], str]:
    """(field errors, form-level error): the message goes beside its field when the form has it."""
    errors = clean(fields)
    if exc.field in errors:
        errors[exc.field] = exc.message
        return errors, ""
    return errors, exc.message


def text(form: dict, name: str) -> str:
    """A form value as a string; anything else a client might send becomes ""."""
    value = form.get(name, "") if isinstance(form, dict) else ""
    return value if isinstance(value, str) else ""
