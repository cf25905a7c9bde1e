"""The operators' review: a queue of DNI photos, poderes and disputed links, each due 24 business hours
after it arrived, decided once, audited, and told to the customer.

Rules:
- An item enters the queue when a document starts waiting for an operator (a link's DNI photo or poder, a
  new photo from Mi Perfil) or when a holder disputes a link (`priority` 1: first in line).
- Opening an item reserves it for that operator for 15 minutes; others see who holds it and cannot
  decide it. A decision needs the reservation, and a conditional UPDATE lets exactly one decision stand.
- DNI LEGIBLE / NO LEGIBLE; poder VÁLIDO / RECHAZADO (with a reason); a disputed link MANTENER /
  RECHAZADO (with a reason). A link becomes validado when its DNI photo is legible and, when it needs one,
  its poder is valid; rechazado when its poder is rejected (or its dispute upheld).
- Every decision and every view of a document goes to the audit log; every decision notifies the
  customer by e-mail, SMS and Notificaciones.
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime, time, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import select

from autogestion.client import security_event
from autogestion.clock import LOCAL_TZ, format_local, to_local
from autogestion.models import (
    AuditEntry,
    AuditPagePublic,
    AuditRowPublic,
    Decision,
    DniStatus,
    Document,
    DocumentKind,
    DocumentStatus,
    LinkStatus,
    QueueCountersPublic,
    QueuePagePublic,
    QueueRowPublic,
    RejectReason,
    ReviewItem,
    ReviewItemPublic,
    ReviewKind,
    ReviewLinkPublic,
    ReviewStatus,
    Supply,
    SupplyLink,
    TeamFigurePublic,
    User,
)
from autogestion.services import notices
from autogestion.services.business_hours import add_business_hours, business_hours_between
from autogestion.services.errors import DomainError, NotFound, ValidationError
from autogestion.services.outbox import enqueue_email, enqueue_sms

RESERVATION = timedelta(minutes=15)
SOON_HOURS = 4  # business hours left under which an item is flagged "próximo a vencer"
PAGE_SIZE = 20
MEDIAN_WINDOW = timedelta(days=30)
MEDIAN_SAMPLE = 500  # the latest resolutions the median is taken over

KIND_LABELS = {ReviewKind.DNI: "Foto del DNI", ReviewKind.PODER: "Poder", ReviewKind.LINK: "Asociación disputada"}
DECISIONS = {
    ReviewKind.DNI: {Decision.LEGIBLE: "LEGIBLE", Decision.NOT_LEGIBLE: "NO LEGIBLE"},
    ReviewKind.PODER: {Decision.VALID: "VÁLIDO", Decision.REJECTED: "RECHAZADO"},
    ReviewKind.LINK: {Decision.KEEP: "MANTENER", Decision.REJECTED: "RECHAZAR"},
}
NEGATIVE = {Decision.NOT_LEGIBLE, Decision.REJECTED}
REASON_LABELS = {
    RejectReason.NO_LEGIBLE: "No se lee",
    RejectReason.NO_COINCIDE_TITULAR: "No coincide con el titular",
    RejectReason.PODER_INSUFICIENTE: "Poder insuficiente",
    RejectReason.PODER_VENCIDO: "Poder vencido",
    RejectReason.DOC_INCOMPLETO: "Documento incompleto",
}
# What the customer reads for each reason.
REASON_TEXTS = {
    RejectReason.NO_LEGIBLE: "La imagen no se lee bien. Subí una foto nítida, con buena luz y sin reflejos, del frente "
    "completo del documento.",
    RejectReason.NO_COINCIDE_TITULAR: "Los datos del documento no coinciden con los del titular del suministro.",
    RejectReason.PODER_INSUFICIENTE: "El poder no autoriza a hacer trámites sobre este suministro.",
    RejectReason.PODER_VENCIDO: "El poder está vencido.",
    RejectReason.DOC_INCOMPLETO: "Falta una parte del documento (por ejemplo, una página o el frente completo).",
}
RESERVED_BY_OTHER = "Otro operador está revisando este ítem."
NOT_RESERVED = "Abrí el ítem de nuevo: tu reserva venció."
ALREADY_DECIDED = "Este ítem ya fue resuelto."
PICK_DECISION = "Elegí una decisión."
PICK_REASON = "Elegí el motivo del rechazo."


# --- entering the queue ---------------------------------------------------------------------------


async def enqueue_document(*, session, document: Document, supply_number: str = "", now: datetime) -> None:
    """Put a document waiting for an operator in the queue (once: an open item for it is reused)."""
    if document.status != DocumentStatus.IN_REVIEW:
        return
    open_item = (
        await session.exec(
            select(ReviewItem).where(ReviewItem.document_id == document.id, ReviewItem.status == ReviewStatus.PENDING)
        )
    ).first()
    if open_item is not None:
        if supply_number and not open_item.supply_number:
            open_item.supply_number = supply_number  # found by the supply it is for, in the search box
        return
    user = await session.get(User, document.user_id)
    session.add(
        ReviewItem(
            kind=ReviewKind.DNI if document.kind == DocumentKind.DNI else ReviewKind.PODER,
            user_id=document.user_id,
            document_id=document.id,
            supply_number=supply_number,
            doc_number=user.doc_number if user else "",
            submitted_at=now,
            deadline_at=add_business_hours(now),
        )
    )


async def withdraw_document(*, session, document_id: str) -> None:
    """A document replaced before anyone decided it leaves the queue (its replacement enters it)."""
    await session.exec(
        update(ReviewItem)
        .where(ReviewItem.document_id == document_id, ReviewItem.status == ReviewStatus.PENDING)
        .values(status=ReviewStatus.RESOLVED, decision="", reason="reemplazado")
    )


async def link_created(*, session, link: SupplyLink, now: datetime) -> None:
    """A new link: its documents enter the queue, and it is validated at once when they already were."""
    for document_id in (link.dni_document_id, link.poder_document_id):
        document = await session.get(Document, document_id) if document_id else None
        if document is not None:
            await enqueue_document(session=session, document=document, supply_number=link.supply_number, now=now)
    await _settle_link(session, link=link, now=now)


# --- the queue ------------------------------------------------------------------------------------


def _urgency(deadline: datetime, now: datetime) -> tuple[str, str]:
    left = business_hours_between(now, deadline)
    if left < 0:
        hours = math.ceil(-left)
        return "vencido", f"vencido hace {hours} h hábil{'es' if hours != 1 else ''}"
    hours = math.floor(left)
    text = f"faltan {hours} h hábil{'es' if hours != 1 else ''}" if hours else "vence en menos de 1 h"
    return ("proximo" if left < SOON_HOURS else "en_plazo"), text


async def _operator_names(session, ids: set[int]) -> dict[int, str]:
    from autogestion.models import Operator

    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = (
        await session.exec(select(Operator.id, Operator.username, Operator.full_name).where(Operator.id.in_(ids)))
    ).all()
    return {row[0]: row[2] or row[1] for row in rows}


def _search_filter(search: str):
    text = search.strip()
    if not text:
        return None
    digits = "".join(ch for ch in text if "0" <= ch <= "9")
    if not digits or len(digits) > 16:
        return ReviewItem.id == -1  # nothing matches something that is not a number
    return or_(ReviewItem.doc_number == digits, ReviewItem.supply_number == digits)


async def queue_page(
    *, session, now: datetime, kind: str = "", state: str = "pendiente", search: str = "", page: object = 1
):
    """The operator's queue: counters, then one page of items (oldest deadline first, disputed first).

    Args:
        session: An open session.
        now: Aware UTC time.
        kind: "" (all), "dni", "poder" or "link".
        state: "pendiente", "vencido" (pending past the deadline) or "resuelto".
        search: A document or supply number ("" for all).
        page: 1-based page number.

    Returns:
        QueuePagePublic.

    Raises:
        ValidationError: An unknown kind, state or page.
    """
    if kind not in ("", *ReviewKind):
        raise ValidationError("Tipo de ítem desconocido.")
    if state not in ("pendiente", "vencido", "resuelto"):
        raise ValidationError("Estado desconocido.")
    if type(page) is not int or page < 1:
        raise ValidationError("Página inválida.")
    conditions = []
    if kind:
        conditions.append(ReviewItem.kind == kind)
    if state == "resuelto":
        conditions.append(ReviewItem.status == ReviewStatus.RESOLVED)
        conditions.append(ReviewItem.decided_at.is_not(None))
        order = (ReviewItem.decided_at.desc(), ReviewItem.id.desc())
    else:
        conditions.append(ReviewItem.status == ReviewStatus.PENDING)
        if state == "vencido":
            conditions.append(ReviewItem.deadline_at < now)
        order = (ReviewItem.priority.desc(), ReviewItem.deadline_at, ReviewItem.id)
    searched = _search_filter(search)
    if searched is not None:
        conditions.append(searched)
    figures = await counters(session=session, now=now)
    if not kind and searched is None and state == "pendiente":
        total = figures.pending  # the same count: do not run it twice
    elif not kind and searched is None and state == "vencido":
        total = figures.overdue
    else:
        total = (await session.exec(select(func.count(ReviewItem.id)).where(*conditions))).one()
    total_pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(page, total_pages)
    rows = (
        await session.exec(
            select(ReviewItem, User.first_names, User.last_names, User.doc_type)
            .join(User, User.id == ReviewItem.user_id)
            .where(*conditions)
            .order_by(*order)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    ).all()
    names = await _operator_names(
        session, {item.reserved_by for item, *_ in rows} | {item.decided_by for item, *_ in rows}
    )
    public_rows = []
    for item, first, last, doc_type in rows:
        urgency, left = _urgency(item.deadline_at, now) if item.status == ReviewStatus.PENDING else ("", "")
        reserved = item.reserved_by if item.reserved_until and item.reserved_until > now else None
        public_rows.append(
            QueueRowPublic(
                id=item.id,
                kind=item.kind,
                kind_label=KIND_LABELS.get(item.kind, item.kind),
                customer_name=f"{first} {last}".strip(),
                customer_document=f"{doc_type} {item.doc_number}",
                supply_number=item.supply_number,
                submitted_at=format_local(item.submitted_at)[:16],
                deadline_at=format_local(item.deadline_at)[:16],
                time_left=left,
                urgency=urgency,
                disputed=item.priority > 0,
                reserved_by=names.get(reserved, "") if reserved else "",
                status=item.status,
                decision_label=DECISIONS.get(item.kind, {}).get(item.decision, item.decision).strip(),
                decided_by=names.get(item.decided_by, "") if item.decided_by else "",
            )
        )
    return QueuePagePublic(
        rows=public_rows,
        counters=figures,
        page=page,
        total_pages=total_pages,
        total_rows=total,
    )


async def counters(*, session, now: datetime) -> QueueCountersPublic:
    """pendientes, vencidos, resueltos hoy (Argentine day) and the median resolution time (last 30 days)."""
    midnight = datetime.combine(to_local(now).date(), time(0), tzinfo=LOCAL_TZ)
    pending, overdue = (
        await session.exec(
            select(func.count(ReviewItem.id), func.count(ReviewItem.id).filter(ReviewItem.deadline_at < now)).where(
                ReviewItem.status == ReviewStatus.PENDING
            )
        )
    ).one()
    resolved_today = (
        await session.exec(select(func.count(ReviewItem.id)).where(ReviewItem.decided_at >= midnight))
    ).one()
    durations = (
        await session.exec(
            select(ReviewItem.submitted_at, ReviewItem.decided_at)
            .where(ReviewItem.decided_at >= now - MEDIAN_WINDOW)
            .order_by(ReviewItem.decided_at.desc())
            .limit(MEDIAN_SAMPLE)
        )
    ).all()
    median = ""
    if durations:
        minutes = statistics.median((decided - submitted).total_seconds() / 60 for submitted, decided in durations)
        median = f"{int(minutes // 60)} h {int(minutes % 60)} min" if minutes >= 60 else f"{int(minutes)} min"
    return QueueCountersPublic(
        pending=pending, overdue=overdue, resolved_today=resolved_today, median_resolution=median
    )


# --- one item -------------------------------------------------------------------------------------


async def _item(session, item_id: object) -> ReviewItem:
    if type(item_id) is not int or item_id < 1:
        raise NotFound("No encontramos ese ítem.")
    item = await session.get(ReviewItem, item_id, populate_existing=True)
    if item is None:
        raise NotFound("No encontramos ese ítem.")
    return item


def _audit(session, *, operator_id: int, action: str, item: ReviewItem | None, now: datetime, **fields) -> None:
    subject = ""
    if item is not None:
        subject = (
            f"{item.kind} documento {item.document_id}"
            if item.document_id
            else f"{item.kind} asociación {item.link_id}"
        )
    session.add(
        AuditEntry(
            at=now,
            operator_id=operator_id,
            action=action,
            item_id=item.id if item else None,
            subject=subject[:80],
            **fields,
        )
    )


async def open_item(*, session, operator_id: int, item_id: object, now: datetime):
    """Open an item: reserve it for 15 minutes when it is free (or already ours) and log the view.

    Returns:
        ReviewItemPublic: the customer's data, the document (its id, for a signed operator link), every
        link it concerns with the supply holder's data beside the customer's, and whether this operator
        may decide it now.

    Raises:
        NotFound: No such item.
    """
    item = await _item(session, item_id)
    if item.status == ReviewStatus.PENDING:
        await session.exec(
            update(ReviewItem)
            .where(
                ReviewItem.id == item.id,
                ReviewItem.status == ReviewStatus.PENDING,
                or_(
                    ReviewItem.reserved_by.is_(None),
                    ReviewItem.reserved_by == operator_id,
                    ReviewItem.reserved_until <= now,
                ),
            )
            .values(reserved_by=operator_id, reserved_until=now + RESERVATION)
            .execution_options(synchronize_session=False)
        )
        item = await _item(session, item.id)
    _audit(session, operator_id=operator_id, action="ver", item=item, now=now)
    return await _item_public(session, item=item, operator_id=operator_id, now=now)


async def release_item(*, session, operator_id: int, item_id: object) -> None:
    """Give an item back to the queue before the reservation runs out ("Volver a la cola")."""
    item = await _item(session, item_id)
    await session.exec(
        update(ReviewItem)
        .where(ReviewItem.id == item.id, ReviewItem.reserved_by == operator_id)
        .values(reserved_by=None, reserved_until=None)
        .execution_options(synchronize_session=False)
    )


async def _links_of(session, item: ReviewItem) -> list[tuple[SupplyLink, Supply]]:
    if item.link_id:
        condition = SupplyLink.id == item.link_id
    elif item.kind == ReviewKind.DNI:
        condition = SupplyLink.dni_document_id == item.document_id
    else:
        condition = SupplyLink.poder_document_id == item.document_id
    return list(
        (
            await session.exec(
                select(SupplyLink, Supply).join(Supply, Supply.number == SupplyLink.supply_number).where(condition)
            )
        ).all()
    )


async def _item_public(session, *, item: ReviewItem, operator_id: int, now: datetime):
    user = await session.get(User, item.user_id)
    document = await session.get(Document, item.document_id) if item.document_id else None
    if item.link_id and document is None:
        link = await session.get(SupplyLink, item.link_id)
        document = await session.get(Document, link.poder_document_id or link.dni_document_id) if link else None
    reserved = item.reserved_by if item.reserved_until and item.reserved_until > now else None
    names = await _operator_names(session, {reserved or 0, item.decided_by or 0})
    urgency, left = _urgency(item.deadline_at, now) if item.status == ReviewStatus.PENDING else ("", "")
    links = [
        ReviewLinkPublic(
            supply_number=supply.number,
            holder_name=supply.holder_name,
            holder_document=f"{supply.holder_doc_type} {supply.holder_doc_number}".strip(),
            address=supply.address,
            is_holder=link.is_holder,
            link_status=link.status,
            disputed=link.disputed_at is not None,
        )
        for link, supply in await _links_of(session, item)
    ]
    options = DECISIONS.get(item.kind, {})
    return ReviewItemPublic(
        id=item.id,
        kind=item.kind,
        kind_label=KIND_LABELS.get(item.kind, item.kind),
        status=item.status,
        customer_name=f"{user.first_names} {user.last_names}".strip() if user else "",
        customer_document=f"{user.doc_type} {user.doc_number}" if user else "",
        customer_email=(user.email or "") if user else "",
        customer_phone=(user.phone_e164 or "") if user else "",
        document_id=document.id if document else "",
        document_is_image=bool(document and document.content_type.startswith("image/")),
        document_uploaded_at=format_local(document.created_at) if document else "",
        links=links,
        submitted_at=format_local(item.submitted_at)[:16],
        deadline_at=format_local(item.deadline_at)[:16],
        time_left=left,
        urgency=urgency,
        disputed=item.priority > 0,
        reserved_by=names.get(reserved, "") if reserved else "",
        reserved_by_me=reserved == operator_id,
        can_decide=item.status == ReviewStatus.PENDING and reserved == operator_id,
        decisions=[(value.value, label) for value, label in options.items()],
        reasons=[(reason.value, label) for reason, label in REASON_LABELS.items()],
        decision_label=options.get(item.decision, item.decision) if item.decision else "",
        reason_label=REASON_LABELS.get(item.reason, item.reason),
        decided_by=names.get(item.decided_by, "") if item.decided_by else "",
        decided_at=format_local(item.decided_at)[:16] if item.decided_at else "",
    )


# --- deciding -------------------------------------------------------------------------------------


async def decide(*, session, operator_id: int, item_id: object, decision: object, reason: object, now: datetime):
    """Decide an item this operator holds; exactly one decision stands even when two arrive at once.

    Args:
        session: An open session; the caller commits.
        operator_id: The operator (from the guard).
        item_id: The item.
        decision: One of the item kind's decisions (e.g. "legible", "no_legible").
        reason: A RejectReason value, required for a negative decision and ignored otherwise.
        now: Aware UTC time.

    Returns:
        ReviewItemPublic after the decision.

    Raises:
        NotFound: No such item.
        ValidationError: Not a decision for this kind, or a rejection without a reason.
        DomainError: Already decided, reserved by another operator, or our reservation ran out.
    """
    item = await _item(session, item_id)
    options = DECISIONS.get(item.kind, {})
    if decision not in options:
        raise ValidationError(PICK_DECISION, field="decision")
    decision = Decision(decision)
    if decision in NEGATIVE:
        if reason not in REASON_LABELS:
            raise ValidationError(PICK_REASON, field="reason")
        reason = RejectReason(reason)
    else:
        reason = ""
    if item.status != ReviewStatus.PENDING:
        raise DomainError(ALREADY_DECIDED)
    if item.reserved_by != operator_id or not item.reserved_until or item.reserved_until <= now:
        raise DomainError(
            RESERVED_BY_OTHER
            if item.reserved_by not in (None, operator_id) and item.reserved_until and item.reserved_until > now
            else NOT_RESERVED
        )
    taken = await session.exec(
        update(ReviewItem)
        .where(
            ReviewItem.id == item.id,
            ReviewItem.status == ReviewStatus.PENDING,
            ReviewItem.reserved_by == operator_id,
            ReviewItem.reserved_until > now,
        )
        .values(
            status=ReviewStatus.RESOLVED,
            decided_by=operator_id,
            decided_at=now,
            decision=decision.value,
            reason=reason,
            reserved_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise DomainError(ALREADY_DECIDED)
    before, after = await _apply(session, item=item, decision=decision, reason=reason, operator_id=operator_id, now=now)
    _audit(
        session,
        operator_id=operator_id,
        action="decidir",
        item=item,
        now=now,
        decision=decision.value,
        reason=reason,
        before=before,
        after=after,
    )
    security_event("review_decided", operator=operator_id, item=item.id, decision=decision.value, reason=reason)
    item = await _item(session, item.id)
    return await _item_public(session, item=item, operator_id=operator_id, now=now)


async def _apply(session, *, item: ReviewItem, decision: Decision, reason: str, operator_id: int, now: datetime):
    """What a decision changes; returns (state before, state after) for the audit log."""
    if item.kind == ReviewKind.LINK:
        link = await session.get(SupplyLink, item.link_id)
        if link is None:
            raise NotFound("La asociación ya no existe.")
        before = link.status
        if decision == Decision.REJECTED and link.status != LinkStatus.REJECTED:
            await _reject_link(session, link=link, reason=reason, now=now)
        return before, link.status
    document = await session.get(Document, item.document_id)
    if document is None:
        raise NotFound("El documento ya no existe.")
    before = document.status
    positive = decision in (Decision.LEGIBLE, Decision.VALID)
    document.status = DocumentStatus.ACCEPTED if positive else DocumentStatus.REJECTED
    document.reviewed_at, document.reviewed_by, document.reject_reason = now, operator_id, reason
    user = await session.get(User, document.user_id)
    if item.kind == ReviewKind.DNI and user is not None:
        if user.dni_document_id == document.id:
            user.dni_status = DniStatus.LEGIBLE if positive else DniStatus.NOT_LEGIBLE
        _notify_dni(session, user=user, legible=positive, reason=reason)
    for link, _supply in await _links_of(session, item):
        if link.status != LinkStatus.PENDING:
            continue
        if item.kind == ReviewKind.PODER and not positive:
            await _reject_link(session, link=link, reason=reason, now=now)
        else:
            await _settle_link(session, link=link, now=now)
    return before, document.status


async def _settle_link(session, *, link: SupplyLink, now: datetime) -> None:
    """Validate a pending link whose DNI photo is legible and whose poder (when it needs one) is valid."""
    if link.status != LinkStatus.PENDING:
        return
    dni = await session.get(Document, link.dni_document_id) if link.dni_document_id else None
    poder = await session.get(Document, link.poder_document_id) if link.poder_document_id else None
    if dni is None or dni.status != DocumentStatus.ACCEPTED:
        return
    if not link.is_holder and (poder is None or poder.status != DocumentStatus.ACCEPTED):
        return
    link.status, link.validated_at, link.reject_reason = LinkStatus.VALIDATED, now, ""
    user = await session.get(User, link.user_id)
    if user is not None:
        name = f"{user.first_names} {user.last_names}".strip()
        mail = notices.link_validated(name=name, when=now, number=link.supply_number)
        if user.email:
            enqueue_email(session, to=user.email, subject=mail.subject, body=mail.body, user_id=user.id)
        if user.phone_e164:
            enqueue_sms(
                session, to=user.phone_e164, text=notices.link_validated_sms(number=link.supply_number), user_id=user.id
            )


async def _reject_link(session, *, link: SupplyLink, reason: str, now: datetime) -> None:
    link.status, link.reject_reason = LinkStatus.REJECTED, reason
    user = await session.get(User, link.user_id)
    if user is None:
        return
    name = f"{user.first_names} {user.last_names}".strip()
    text = REASON_TEXTS.get(reason, "")
    mail = notices.link_rejected(name=name, when=now, number=link.supply_number, reason=text)
    if user.email:
        enqueue_email(session, to=user.email, subject=mail.subject, body=mail.body, user_id=user.id)
    if user.phone_e164:
        enqueue_sms(
            session, to=user.phone_e164, text=notices.link_rejected_sms(number=link.supply_number), user_id=user.id
        )


def _notify_dni(session, *, user: User, legible: bool, reason: str) -> None:
    name = f"{user.first_names} {user.last_names}".strip()
    if legible:
        mail, sms = notices.dni_legible(name=name), notices.dni_legible_sms()
    else:
        mail, sms = (
            notices.dni_not_legible(name=name, reason=REASON_TEXTS.get(reason, "")),
            notices.dni_not_legible_sms(),
        )
    if user.email:
        enqueue_email(session, to=user.email, subject=mail.subject, body=mail.body, user_id=user.id)
    if user.phone_e164:
        enqueue_sms(session, to=user.phone_e164, text=sms, user_id=user.id)


# --- disputes, supervisors, customers -------------------------------------------------------------


async def dispute_link(*, session, link_id: int, holder_user_id: int, now: datetime) -> bool:
    """The holder says "yo no autoricé esto": the link goes to the top of the queue, flagged. Single use.

    Returns:
        True when recorded now, False when it had been recorded before.
    """
    link = await session.get(SupplyLink, link_id)
    if link is None:
        raise NotFound("No encontramos esa asociación.")
    claimed = await session.exec(
        update(SupplyLink)
        .where(SupplyLink.id == link_id, SupplyLink.disputed_at.is_(None))
        .values(disputed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    user = await session.get(User, link.user_id)
    session.add(
        ReviewItem(
            kind=ReviewKind.LINK,
            user_id=link.user_id,
            link_id=link.id,
            supply_number=link.supply_number,
            doc_number=user.doc_number if user else "",
            submitted_at=now,
            deadline_at=add_business_hours(now),
            priority=1,
        )
    )
    security_event("link_disputed", link=link_id, holder=holder_user_id)
    return True


async def audit_page(*, session, page: object = 1, page_size: int = 50):
    """The audit log, newest first (supervisors)."""
    if type(page) is not int or page < 1:
        raise ValidationError("Página inválida.")
    total = (await session.exec(select(func.count(AuditEntry.id)))).one()
    total_pages = max(1, math.ceil(total / page_size))
    page = min(page, total_pages)
    rows = (
        await session.exec(
            select(AuditEntry)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    ).all()
    names = await _operator_names(session, {row.operator_id for row in rows})
    return AuditPagePublic(
        rows=[
            AuditRowPublic(
                at=format_local(row.at),
                operator=names.get(row.operator_id, str(row.operator_id)),
                action=row.action,
                item_id=row.item_id or 0,
                subject=row.subject,
                decision=row.decision,
                reason=row.reason,
                change=f"{row.before} → {row.after}" if row.before or row.after else "",
            )
            for row in rows
        ],
        page=page,
        total_pages=total_pages,
    )


async def team_figures(*, session, now: datetime):
    """Decisions per operator today and in the last 7 days, with each one's median time to decide."""
    midnight = datetime.combine(to_local(now).date(), time(0), tzinfo=LOCAL_TZ)
    rows = (
        await session.exec(
            select(ReviewItem.decided_by, ReviewItem.decided_at, ReviewItem.submitted_at).where(
                ReviewItem.decided_at >= now - timedelta(days=7), ReviewItem.decided_by.is_not(None)
            )
        )
    ).all()
    per: dict[int, list[tuple[datetime, datetime]]] = {}
    for operator_id, decided, submitted in rows:
        per.setdefault(operator_id, []).append((decided, submitted))
    names = await _operator_names(session, set(per))
    figures = []
    for operator_id, items in sorted(per.items(), key=lambda kv: -len(kv[1])):
        minutes = statistics.median((d - s).total_seconds() / 60 for d, s in items)
        figures.append(
            TeamFigurePublic(
                operator=names.get(operator_id, str(operator_id)),
                today=sum(1 for d, _ in items if d >= midnight),
                week=len(items),
                median=f"{int(minutes // 60)} h {int(minutes % 60)} min" if minutes >= 60 else f"{int(minutes)} min",
            )
        )
    return figures


async def lift_quiz_lock(*, session, operator_id: int, supply_number: object, reason: object, now: datetime) -> str:
    """An operator reopens linking a supply locked by wrong quiz answers; the reason goes to the audit log."""
    from autogestion.services import quiz, supplies

    number = supplies.normalize_supply_number(supply_number)
    if not isinstance(reason, str) or not 5 <= len(reason.strip()) <= 300:
        raise ValidationError("Escribí el motivo (entre 5 y 300 caracteres).", field="reason")
    await quiz.lift_quiz_lock(session=session, supply_number=number, operator_id=operator_id)
    session.add(
        AuditEntry(
            at=now,
            operator_id=operator_id,
            action="levantar_bloqueo",
            subject=f"suministro {number}",
            reason=reason.strip(),
        )
    )
    return number


async def review_deadline(*, session, user_id: int, document_id: str | None) -> str:
    """ "dd/mm/aaaa hh:mm" by which the document's pending review is due, or "" (for the customer's pages)."""
    if not document_id:
        return ""
    deadline = (
        await session.exec(
            select(ReviewItem.deadline_at).where(
                ReviewItem.document_id == document_id,
                ReviewItem.user_id == user_id,
                ReviewItem.status == ReviewStatus.PENDING,
            )
        )
    ).first()
    return format_local(deadline)[:16] if deadline else ""
