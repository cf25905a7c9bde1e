"""Trámites Comerciales: what the page shows for each of the customer's links, and Adhesión a factura digital.

- no link: nothing to do but "Asociá un suministro";
- pending: the review deadline, and a read-only simulator of the plans its overdue debt will allow;
- validated: the Plan de Pago form (its eligible invoices) and the factura digital switch;
- rejected: the reason and the fix ("Subí un poder nuevo desde Mis Suministros").
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from autogestion.models import (
    LinkStatus,
    ProcedureLinkPublic,
    Supply,
    SupplyLink,
    TramitesPagePublic,
)
from autogestion.services import notices, plans
from autogestion.services.errors import DomainError, NotFound
from autogestion.services.formatting import format_date, format_money
from autogestion.services.outbox import enqueue_email
from autogestion.services.supplies import (
    LINK_STATUS_LABELS,
    SUPPLY_NOT_FOUND,
    can_replace_poder,
    get_active_user,
    normalize_supply_number,
    reject_reason_text,
    review_deadlines,
)

DIGITAL_REJECTED = "La asociación de este suministro fue rechazada: subí un poder nuevo desde Mis Suministros."


def _can_set_digital(link: SupplyLink) -> bool:
    return link.status in (LinkStatus.VALIDATED, LinkStatus.PENDING)


async def _link_public(session, link: SupplyLink, supply: Supply, deadline: str, now: datetime) -> ProcedureLinkPublic:
    row = ProcedureLinkPublic(
        number=supply.number,
        holder_name=supply.holder_name,
        link_status=link.status,
        link_status_label=LINK_STATUS_LABELS.get(link.status, link.status),
        digital_invoice=link.digital_invoice,
        can_set_digital_invoice=_can_set_digital(link),
        can_subscribe=link.status == LinkStatus.VALIDATED,
        can_replace_poder=can_replace_poder(link),
    )
    if link.status == LinkStatus.REJECTED:
        row.reject_reason_text = reject_reason_text(link)
        return row
    invoices = await plans.eligible_invoices(session=session, supply_number=supply.number, now=now)
    row.debt_cents = sum(invoice.amount_cents for invoice in invoices)
    row.debt = format_money(row.debt_cents)
    if link.status == LinkStatus.VALIDATED:
        row.invoices = [plans.invoice_choice(invoice) for invoice in invoices]
    else:
        row.review_deadline = deadline
        row.simulator = plans.simulate(principal_cents=row.debt_cents, now=now)
    return row


async def tramites_page(*, session, user_id: int, now: datetime) -> TramitesPagePublic:
    """Trámites Comerciales for the logged-in customer: each link (in the order linked) with what to do,
    and the customer's plans.

    Args:
        session: An open session.
        user_id: The logged-in customer.
        now: Decides which invoices are overdue and a new plan's first due date.
    """
    user = await get_active_user(session=session, user_id=user_id)
    pairs = list(
        (
            await session.exec(
                select(SupplyLink, Supply)
                .join(Supply, Supply.number == SupplyLink.supply_number)
                .where(SupplyLink.user_id == user.id)
                .order_by(SupplyLink.created_at, SupplyLink.id)
            )
        ).all()
    )
    deadlines = await review_deadlines(session=session, user_id=user.id, links=[link for link, _ in pairs])
    links = [await _link_public(session, link, supply, deadlines.get(link.id, ""), now) for link, supply in pairs]
    return TramitesPagePublic(
        links=links,
        plans=await plans.list_plans(session=session, user_id=user.id, now=now),
        rate=plans.rate_label(),
        first_due=format_date(plans.first_due(now)),
    )


async def set_digital_invoice(*, session, user_id: int, supply_number: object, enabled: object, now: datetime) -> bool:
    """Adhesión (or baja) a la factura digital of one of the customer's validated or pending links.

    A change is confirmed by e-mail (and listed in Notificaciones); asking for the current value changes
    nothing and sends nothing.

    Returns:
        The supply's setting after the call.

    Raises:
        NotFound: Not one of the customer's links.
        DomainError: The link was rejected.
    """
    user = await get_active_user(session=session, user_id=user_id)
    number = normalize_supply_number(supply_number)
    if not isinstance(enabled, bool):
        raise DomainError("Elegí si querés recibir la factura digital.", field="digital_invoice")
    link = (
        await session.exec(select(SupplyLink).where(SupplyLink.user_id == user.id, SupplyLink.supply_number == number))
    ).first()
    if link is None:
        raise NotFound(SUPPLY_NOT_FOUND, field="supply_number")
    if not _can_set_digital(link):
        raise DomainError(DIGITAL_REJECTED, field="digital_invoice")
    if link.digital_invoice == enabled:
        return enabled
    link.digital_invoice = enabled
    session.add(link)
    if user.email:
        mail = notices.digital_invoice_changed(
            name=f"{user.first_names} {user.last_names}".strip(), when=now, number=number, enabled=enabled
        )
        enqueue_email(session, to=user.email, subject=mail.subject, body=mail.body, user_id=user.id)
    return enabled
