"""/tramites: Trámites Comerciales — each linked supply with what to do, Plan de Pago, the plans, factura digital."""

from __future__ import annotations

import reflex as rx

from autogestion import routes
from autogestion.components.layout import app_layout
from autogestion.components.tables import LINK_STATUS_COLORS, VISUALLY_HIDDEN, card, card_title, status_badge
from autogestion.components.theme import CARD, MUTED, PRIMARY, PRIMARY_DARK
from autogestion.models import LinkStatus
from autogestion.state.tramites import INSTALLMENT_CHOICES, TramitesState

S = TramitesState


def _schedule_table(cuotas, *, label, total=None, with_status: bool = False, payable: bool = False) -> rx.Component:
    """N°, Vencimiento, Importe (and Estado, with Pagar under an unpaid cuota) for each cuota; the total below."""
    head = [
        rx.table.column_header_cell("N°", color=MUTED, font_size="0.78em"),
        rx.table.column_header_cell("Vencimiento", color=MUTED, font_size="0.78em"),
        rx.table.column_header_cell("Importe", color=MUTED, font_size="0.78em", text_align="right"),
    ]
    if with_status:
        head.append(rx.table.column_header_cell("Estado", color=MUTED, font_size="0.78em"))

    def row(cuota) -> rx.Component:
        cells = [
            rx.table.cell(cuota.number, color=MUTED),
            rx.table.cell(cuota.due_on, white_space="nowrap"),
            rx.table.cell(cuota.amount, text_align="right", white_space="nowrap", font_weight="500"),
        ]
        if with_status:
            badge = rx.badge(
                cuota.status_label,
                color_scheme=rx.cond(cuota.paid, "green", "amber"),
                variant="soft",
                high_contrast=True,
                radius="full",
            )
            pay = rx.cond(
                cuota.can_pay,
                rx.button(
                    "Pagar",
                    size="1",
                    on_click=S.pay(cuota.id),
                    aria_label="Pagar la cuota N° " + cuota.number.to_string(),
                ),
            )
            cells.append(
                rx.table.cell(
                    rx.flex(badge, pay, gap="2", align="center", wrap="wrap") if payable else badge,
                )
            )
        return rx.table.row(*cells)

    footer = []
    if total is not None:
        footer = [
            rx.table.row(
                rx.table.cell("Total", font_weight="700", col_span=2),
                rx.table.cell(total, font_weight="700", text_align="right", white_space="nowrap"),
                *([rx.table.cell()] if with_status else []),
            )
        ]
    return rx.table.root(
        rx.el.caption(label, style=VISUALLY_HIDDEN),
        rx.table.header(rx.table.row(*head, background="#f6f8fb")),
        rx.table.body(rx.foreach(cuotas, row), *footer),
        variant="ghost",
        size="1",
        width="100%",
    )


# --- one link -------------------------------------------------------------------------------------


def _simulator(link) -> rx.Component:
    """A pending link: the plans its overdue debt will allow (read-only)."""
    return rx.cond(
        link.debt_cents > 0,
        rx.vstack(
            rx.text(
                rx.text.strong("Simulador de Plan de Pago. "),
                "Tu deuda vencida es de ",
                rx.text.strong(link.debt),
                ". Estos son los planes que vas a poder elegir (interés ",
                S.rate,
                "):",
                font_size="0.92em",
            ),
            rx.tabs.root(
                rx.tabs.list(
                    rx.foreach(
                        link.simulator,
                        lambda option: rx.tabs.trigger(
                            option.installments.to_string() + rx.cond(option.installments == 1, " cuota", " cuotas"),
                            value=option.installments.to_string(),
                        ),
                    ),
                    size=rx.breakpoints(initial="1", xs="2"),
                ),
                rx.foreach(
                    link.simulator,
                    lambda option: rx.tabs.content(
                        _schedule_table(
                            option.cuotas,
                            label="Simulación de " + option.installments.to_string() + " cuotas",
                            total=option.total,
                        ),
                        value=option.installments.to_string(),
                        padding_top="0.5em",
                    ),
                ),
                default_value="3",
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        rx.text("No tenés facturas vencidas en este suministro.", color=MUTED, font_size="0.92em"),
    )


def _pending(link) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("clock", size=16, color=MUTED, flex_shrink="0", margin_top="0.2em"),
            rx.text(
                "El Plan de Pago se habilita cuando un operador valida tu suministro; ",
                rx.cond(
                    link.review_deadline != "",
                    rx.fragment("lo revisamos antes del ", rx.text.strong(link.review_deadline), "."),
                    "lo revisamos dentro de las 24 horas hábiles.",
                ),
            ),
            align="start",
            spacing="2",
        ),
        _simulator(link),
        spacing="3",
        width="100%",
    )


def _validated(link) -> rx.Component:
    return rx.cond(
        link.invoices.length() > 0,
        rx.flex(
            rx.text(
                link.invoices.length(),
                rx.cond(link.invoices.length() == 1, " factura vencida por ", " facturas vencidas por "),
                rx.text.strong(link.debt),
                ". Podés pagarlas en cuotas con un Plan de Pago.",
            ),
            rx.cond(
                S.plan_number != link.number,
                rx.button(
                    rx.icon("calculator", size=16),
                    "Armar un plan",
                    variant="soft",
                    on_click=S.choose_supply(link.number),
                    aria_label="Armar un Plan de Pago para el suministro " + link.number,
                ),
            ),
            gap="3",
            align="center",
            justify="between",
            wrap="wrap",
            width="100%",
        ),
        rx.text("No tenés facturas vencidas fuera de un Plan de Pago.", color=MUTED),
    )


def _rejected(link) -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("circle-x")),
        rx.vstack(
            rx.text(rx.text.strong("Motivo: "), link.reject_reason_text),
            rx.cond(
                link.can_replace_poder,  # an apoderado's link: a new poder reopens it
                rx.text(
                    rx.link("Subí un poder nuevo desde Mis Suministros", href=routes.SUMINISTROS, underline="always"),
                    " y lo revisamos otra vez.",
                ),
                rx.text(rx.link("Ver el detalle en Mis Suministros", href=routes.SUMINISTROS, underline="always")),
            ),
            spacing="1",
        ),
        color_scheme="red",
        high_contrast=True,
        width="100%",
    )


def _digital_switch(link) -> rx.Component:
    return rx.cond(
        link.can_set_digital_invoice,
        rx.el.label(
            rx.hstack(
                rx.switch(
                    checked=link.digital_invoice,
                    on_change=lambda value: S.set_digital(link.number, value),
                    flex_shrink="0",
                ),
                rx.vstack(
                    rx.text("Adhesión a factura digital", font_weight="600"),
                    rx.text("Recibí la factura por e-mail en lugar de impresa.", color=MUTED, font_size="0.85em"),
                    spacing="0",
                ),
                spacing="3",
                align="center",
            ),
            cursor="pointer",
            padding_top="0.25em",
        ),
    )


def _link_card(link) -> rx.Component:
    return card(
        card_title(
            rx.hstack(
                rx.icon("zap", size=18, color=PRIMARY),
                rx.text("Suministro N° ", link.number, font_weight="700", font_size="1.1em"),
                align="center",
                spacing="2",
            ),
            status_badge(link.link_status, link.link_status_label, LINK_STATUS_COLORS),
        ),
        rx.text(link.holder_name, color=MUTED, font_size="0.9em"),
        rx.separator(),
        rx.match(
            link.link_status,
            (LinkStatus.PENDING, _pending(link)),
            (LinkStatus.VALIDATED, _validated(link)),
            (LinkStatus.REJECTED, _rejected(link)),
            rx.fragment(),
        ),
        _digital_switch(link),
    )


def _no_links() -> rx.Component:
    return rx.vstack(
        rx.heading("Asociá un suministro", size="5", color=PRIMARY_DARK, as_="h2"),
        rx.text(
            "Los Planes de Pago y la factura digital son por suministro: primero asociá uno a tu cuenta. Un operador "
            "lo valida dentro de las 24 horas hábiles.",
            color=MUTED,
        ),
        rx.link(rx.button(rx.icon("link", size=16), "Asociar", size="3"), href=routes.ASOCIAR),
        style=CARD,
        align="start",
        spacing="3",
    )


# --- Plan de Pago ---------------------------------------------------------------------------------


def _invoice_checkbox(invoice) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=S.selected.contains(invoice.id),
                on_change=lambda checked: S.toggle_invoice(invoice.id, checked),
                # Radix draws a <button role="checkbox">, which the wrapping label does not name for axe.
                aria_label="Incluir la factura N° " + invoice.number + " en el plan",
                margin_top="0.25em",
                flex_shrink="0",
            ),
            rx.vstack(
                rx.text("Factura N° ", invoice.number, " · ", invoice.period, font_weight="500"),
                rx.text("Venció el ", invoice.due_on, " · ", rx.text.strong(invoice.amount), color=MUTED),
                spacing="0",
            ),
            spacing="2",
            align="start",
        ),
        cursor="pointer",
        font_size="0.92em",
    )


def _installments_choice() -> rx.Component:
    return rx.radio_group.root(
        rx.flex(
            *[
                rx.el.label(
                    rx.hstack(
                        rx.radio_group.item(value=value),
                        rx.text(f"{value} cuota" + ("" if value == "1" else "s")),
                        spacing="2",
                        align="center",
                    ),
                    cursor="pointer",
                    margin_right="1.25em",
                )
                for value in INSTALLMENT_CHOICES
            ],
            gap="5",
            wrap="wrap",
        ),
        value=S.installments,
        on_change=S.choose_installments,
        aria_label="Cantidad de cuotas",
    )


def _plan_form() -> rx.Component:
    return rx.vstack(
        rx.heading("Plan de Pago · Suministro N° ", S.plan_number, size="4", color=PRIMARY_DARK, as_="h2"),
        rx.text("Elegí las facturas vencidas que querés incluir:", font_weight="600"),
        rx.vstack(rx.foreach(S.plan_link.invoices, _invoice_checkbox), spacing="2", width="100%"),
        rx.text("Cantidad de cuotas", font_weight="600", margin_top="0.5em"),
        _installments_choice(),
        rx.text(
            "Interés de financiación: ",
            S.rate,
            ". La primera cuota vence el ",
            S.first_due,
            "; las siguientes, el mismo día de cada mes (o el siguiente día hábil).",
            color=MUTED,
            font_size="0.88em",
        ),
        rx.cond(
            S.has_preview,
            rx.vstack(
                rx.text("Deuda incluida: ", rx.text.strong(S.preview.principal)),
                _schedule_table(S.preview.cuotas, label="Cuotas del plan", total=S.preview.total),
                spacing="2",
                width="100%",
            ),
        ),
        rx.cond(
            S.form_error != "",
            rx.callout(
                S.form_error, icon="circle-x", color_scheme="red", high_contrast=True, width="100%", role="alert"
            ),
        ),
        rx.button(
            rx.icon("check", size=16),
            "Suscribir plan",
            size="3",
            on_click=S.ask_confirm,
            disabled=~S.has_preview,
            width=rx.breakpoints(initial="100%", xs="auto"),
        ),
        style=CARD,
        align="start",
        spacing="3",
        width="100%",
    )


def _confirm_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Plan de Pago"),
            rx.alert_dialog.description(S.confirm_text),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("NO", variant="soft", color_scheme="gray", size="3")),
                rx.alert_dialog.action(rx.button("SI", size="3", on_click=S.confirm)),
                gap="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="28em",
        ),
        open=S.confirm_open,
        on_open_change=S.confirm_dialog_changed,
    )


# --- the customer's plans -------------------------------------------------------------------------


def _plan_card(plan) -> rx.Component:
    label = "Cuotas del Plan de Pago N° " + plan.id.to_string()  # unique: the form's preview is "Cuotas del plan"
    return card(
        card_title(
            rx.text(
                "Plan de ",
                plan.installments,
                rx.cond(plan.installments == 1, " cuota", " cuotas"),
                " · Suministro N° ",
                plan.supply_number,
                font_weight="700",
            ),
            rx.badge(plan.status_label, variant="soft", high_contrast=True, radius="full"),
        ),
        rx.text(
            "Suscripto el ",
            plan.created_at,
            " · Deuda ",
            rx.el.span(plan.principal, white_space="nowrap"),  # "$" and the number on one line
            " · Interés ",
            rx.el.span(plan.rate, white_space="nowrap"),
            color=MUTED,
            font_size="0.88em",
        ),
        rx.text("Facturas: ", plan.invoice_numbers.join(", "), color=MUTED, font_size="0.88em"),
        rx.box(
            rx.cond(
                S.can_pay,
                _schedule_table(plan.cuotas, label=label, total=plan.total, with_status=True, payable=True),
                _schedule_table(plan.cuotas, label=label, total=plan.total, with_status=True),
            ),
            overflow_x="auto",
            width="100%",
            min_width="0",
        ),
    )


def _plans() -> rx.Component:
    return rx.cond(
        S.plans.length() > 0,
        rx.vstack(
            rx.heading("Mis Planes de Pago", size="4", color=PRIMARY_DARK, as_="h2"),
            rx.foreach(S.plans, _plan_card),
            spacing="3",
            width="100%",
        ),
    )


def _content() -> rx.Component:
    return rx.cond(
        S.link_count > 0,
        rx.vstack(
            rx.vstack(rx.foreach(S.links, _link_card), spacing="3", width="100%"),
            rx.cond(S.plan_number != "", _plan_form()),
            _plans(),
            spacing="4",
            width="100%",
        ),
        _no_links(),
    )


def tramites() -> rx.Component:
    return app_layout(
        "Trámites Comerciales",
        rx.cond(
            S.message != "",
            rx.callout(
                S.message, icon="circle-check", color_scheme="green", high_contrast=True, width="100%", role="status"
            ),
        ),
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="circle-x", color_scheme="red", high_contrast=True, width="100%", role="alert"),
        ),
        rx.cond(S.loaded, _content(), rx.center(rx.spinner(size="3"), width="100%", padding="2em")),
        _confirm_dialog(),
    )
