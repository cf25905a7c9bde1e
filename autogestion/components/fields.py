"""Labelled form fields that show a green check or a red cross with the reason, as the manual's screens do."""

from __future__ import annotations

import reflex as rx

from autogestion.components.theme import ERROR, MUTED, OK


def status_icon(error: rx.Var, ok: rx.Var) -> rx.Component:
    """✓ when ok, ✗ when there is an error, nothing otherwise."""
    return rx.cond(
        error != "",
        rx.icon("circle-x", color=ERROR, size=20, aria_label="Incorrecto"),
        rx.cond(ok, rx.icon("circle-check", color=OK, size=20, aria_label="Correcto"), rx.box(width="20px")),
    )


def field(
    label: str,
    name: str,
    *,
    error: rx.Var,
    ok: rx.Var,
    type_: str = "text",
    placeholder: str = "",
    hint: str = "",
    autocomplete: str = "off",
    input_mode: str | None = None,
    max_length: int | None = None,
    on_blur=None,
    default_value: rx.Var | str | None = None,
    width: str = "100%",
    id_: str = "",
) -> rx.Component:
    """A label above an input (label[for] gives the accessible name), the ✓/✗ beside it, the reason below."""
    props = {}
    id_ = id_ or name
    if input_mode:
        props["input_mode"] = input_mode
    if max_length:
        props["max_length"] = max_length
    if on_blur is not None:
        props["on_blur"] = on_blur
    if default_value is not None:
        props["default_value"] = default_value
    return rx.vstack(
        rx.el.label(label, html_for=id_, font_weight="600", font_size="0.95em"),
        rx.hstack(
            rx.input(
                id=id_,
                name=name,
                type=type_,
                placeholder=placeholder,
                auto_complete=autocomplete,
                size="3",
                width="100%",
                aria_invalid=rx.cond(error != "", "true", "false"),
                **props,
            ),
            status_icon(error, ok),
            align="center",
            width="100%",
        ),
        rx.cond(error != "", rx.text(error, color=ERROR, font_size="0.85em", role="alert")),
        rx.cond(hint != "", rx.text(hint, color=MUTED, font_size="0.8em")) if hint else rx.fragment(),
        spacing="1",
        width=width,
        align="start",
    )


def select_field(
    label: str, name: str, options: list[tuple[str, str]], *, error: rx.Var, default: str = "", on_change=None
) -> rx.Component:
    """A native <select> with a visible label (native selects are the most usable on phones)."""
    extra = {"on_change": on_change} if on_change is not None else {}
    return rx.vstack(
        rx.el.label(label, html_for=name, font_weight="600", font_size="0.95em"),
        rx.el.select(
            *[rx.el.option(text, value=value) for value, text in options],
            id=name,
            name=name,
            default_value=default or options[0][0],
            **extra,
            style={
                "width": "100%",
                "height": "40px",
                "border": "1px solid #c9d2dc",
                "border_radius": "8px",
                "padding": "0 10px",
                "background": "white",
                "font_size": "16px",
            },
        ),
        rx.cond(error != "", rx.text(error, color=ERROR, font_size="0.85em", role="alert")),
        spacing="1",
        width="100%",
        align="start",
    )


def form_error(message: rx.Var) -> rx.Component:
    """A banner for errors that belong to the whole form."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
    )


def form_info(message: rx.Var) -> rx.Component:
    return rx.cond(message != "", rx.callout(message, icon="info", color_scheme="blue", width="100%"))


def error_line(message: rx.Var) -> rx.Component:
    """A red ✗ and the message (announced as an alert), shown only when there is one."""
    return rx.cond(
        message != "",
        rx.hstack(
            rx.icon("circle-x", color=ERROR, size=18, flex_shrink="0"),
            rx.text(message, color=ERROR, font_size="0.9em", role="alert"),
            align="start",
            spacing="2",
        ),
    )
