"""Customer side of supplies: Mis Suministros, the supply number check and linking (Asociar Suministro's "SI")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from autogestion.client import security_event
from autogestion.clock import format_local, to_local, utcnow
from autogestion.db import dialect_insert
from autogestion.models import (
    DOCUMENT_TYPES,
    DniStatus,
    Document,
    DocumentKind,
    DocumentStatus,
    LinkPublic,
    LinkStatus,
    RateEvent,
    ReviewItem,
    ReviewStatus,
    Supply,
    SupplyLink,
    User,
    UserStatus,
)
from autogestion.services import disputes, documents, notices, review
from autogestion.services.errors import AuthError, DomainError, NotFound, RateLimited, RefusedAttempt, ValidationError
from autogestion.services.formatting import format_date, mask_document
from autogestion.services.outbox import enqueue_email

SUPPLY_NUMBER = re.compile(r"[0-9]{1,12}")

ALREADY_LINKED = "Ese suministro ya está asociado a tu cuenta."
SUPPLY_NOT_FOUND = "Suministro no encontrado."
UNKNOWN_SUPPLY = "No encontramos ese N° de suministro. Revisalo en tu factura."
ONLY_DIGITS = "El N° de suministro solo lleva números."
TOO_MANY_UNKNOWN = "Probaste demasiados números de suministro. Esperá una hora y volvé a intentar."
NEED_NUMBER = "Primero ingresá y verificá el N° de suministro."
NEED_QUIZ = "Primero elegí el importe y vencimiento de tu última o penúltima factura."
NEED_PODER = "Como no sos el titular del suministro, subí el poder que te otorgó el titular."
MISSING_PODER = "Subí el poder que te otorgó el titular."
HOLDER_NEEDS_NO_PODER = "Sos el titular de este suministro: su asociación no necesita un poder."
ALREADY_VALIDATED = "Esta asociación ya está validada: no hace falta un poder nuevo."
REJECTED_NO_REASON = "Un operador no pudo validar la asociación."

# Enumeration guard for the "checked as typed" field: distinct unknown numbers per user per hour.
MAX_UNKNOWN_NUMBERS = 10
UNKNOWN_WINDOW = timedelta(hours=1)

LINK_STATUS_LABELS = {
    LinkStatus.PENDING: "Pendiente de validación",
    LinkStatus.VALIDATED: "Validado",
    LinkStatus.REJECTED: "Rechazado",
}


class UnknownSupply(RefusedAttempt):
    """No supply has that number. The unknown number stays counted (the enumeration guard)."""

    def __init__(self) -> None:
        super().__init__(UNKNOWN_SUPPLY, field="supply_number")


# --- rules shared with the quiz and the invoices page -----------------------------------------------


def normalize_supply_number(raw: object) -> str:
    """Validate a supply number as typed.

    Args:
        raw: What the person typed (any type: websocket arguments are untrusted).

    Returns:
        The number (surrounding spaces removed).

    Raises:
        ValidationError: Empty, not only ASCII digits, or longer than 12 digits.
    """
    if not isinstance(raw, str):
        raise ValidationError("Ingresá el N° de suministro.", field="supply_number")
    text = raw.strip(" \t")
    if not text:
        raise ValidationError("Ingresá el N° de suministro.", field="supply_number")
    if len(text) > 40 or not re.fullmatch(r"[0-9]+", text):
        raise ValidationError(ONLY_DIGITS, field="supply_number")
    if len(text) > 12:
        raise ValidationError("El N° de suministro tiene hasta 12 dígitos.", field="supply_number")
    return text


def holder_doc_number(supply: Supply, link: SupplyLink) -> str:
    """The holder's document number as a linked user sees it: masked for an apoderado until validated."""
    # An apoderado sees the holder's full document only once an operator accepted the poder.
    reveal = link.is_holder or link.status == LinkStatus.VALIDATED
    return supply.holder_doc_number if reveal else mask_document(supply.holder_doc_number)


def holder_document(supply: Supply, link: SupplyLink) -> str:
    """The holder's document as a linked user sees it: "DNI 20123456" (number as holder_doc_number shows it)."""
    label = DOCUMENT_TYPES.get(supply.holder_doc_type, (supply.holder_doc_type, ""))[0]
    return f"{label} {holder_doc_number(supply, link)}".strip()


def mask_name(name: str) -> str:
    """Partially hide a person's name: "Juan Perez" → "Ju** Pe***"."""
    words = []
    for word in name.split():
        keep = 1 if len(word) <= 3 else 2
        words.append(word[:keep] + "*" * (len(word) - keep))
    return " ".join(words)


def is_holder(user: User, supply: Supply) -> bool:
    """Whether the user's document is the supply holder's (linking it then needs no poder)."""
    return (
        bool(supply.holder_doc_number)
        and user.doc_type.upper() == supply.holder_doc_type.upper()
        and user.doc_number == supply.holder_doc_number
    )


async def registered_holder(*, session, supply: Supply) -> User | None:
    """The supply holder's active account, when they registered one (whom notices about the supply go to)."""
    if not supply.holder_doc_number:
        return None
    return (
        await session.exec(
            select(User).where(
                User.doc_type == supply.holder_doc_type,
                User.doc_number == supply.holder_doc_number,
                User.status == UserStatus.ACTIVE,
            )
        )
    ).first()


async def get_active_user(*, session, user_id: int) -> User:
    """The account behind user_id, which must be active.

    Raises:
        AuthError: No such account, or it is not active.
    """
    user = await session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.status != UserStatus.ACTIVE:
        raise AuthError("Iniciá sesión para continuar.")
    return user


async def _own_link(session, user_id: int, number: str) -> SupplyLink | None:
    return (
        await session.exec(select(SupplyLink).where(SupplyLink.user_id == user_id, SupplyLink.supply_number == number))
    ).first()


# --- Mis Suministros ------------------------------------------------------------------------------


async def review_deadlines(*, session, user_id: int, links: list[SupplyLink]) -> dict[int, str]:
    """For each pending link: "dd/mm/aaaa hh:mm" by which its DNI photo and poder are reviewed (the later
    deadline of their open review items), in one query; links with nothing in the queue are left out."""
    pending = [link for link in links if link.status == LinkStatus.PENDING]
    document_ids = {d for link in pending for d in (link.dni_document_id, link.poder_document_id) if d}
    if not document_ids:
        return {}
    due = dict(
        (
            await session.exec(
                select(ReviewItem.document_id, func.max(ReviewItem.deadline_at))
                .where(
                    ReviewItem.document_id.in_(document_ids),
                    ReviewItem.user_id == user_id,
                    ReviewItem.status == ReviewStatus.PENDING,
                )
                .group_by(ReviewItem.document_id)
            )
        ).all()
    )
    deadlines = {}
    for link in pending:
        moments = [due[d] for d in (link.dni_document_id, link.poder_document_id) if d in due]
        if moments:
            deadlines[link.id] = format_local(max(moments))[:16]
    return deadlines


async def _rows(session, user_id: int, number: str | None = None) -> list[LinkPublic]:
    query = (
        select(SupplyLink, Supply)
        .join(Supply, Supply.number == SupplyLink.supply_number)
        .where(SupplyLink.user_id == user_id)
        .order_by(SupplyLink.created_at, SupplyLink.id)
    )
    pairs = list((await session.exec(query)).all())
    links = [link for link, _ in pairs]
    deadlines = await review_deadlines(session=session, user_id=user_id, links=links)
    dni_ids = {link.dni_document_id for link in links if link.status == LinkStatus.PENDING and link.dni_document_id}
    unreadable = set()
    if dni_ids:
        unreadable = set(
            (
                await session.exec(
                    select(Document.id).where(
                        Document.id.in_(dni_ids),
                        Document.user_id == user_id,
                        Document.status == DocumentStatus.REJECTED,
                    )
                )
            ).all()
        )
    rows = []
    for position, (link, supply) in enumerate(pairs, start=1):
        if number is not None and supply.number != number:
            continue
        rejected = link.status == LinkStatus.REJECTED
        rows.append(
            LinkPublic(
                position=position,
                number=supply.number,
                status=supply.status,
                tariff_group=supply.tariff_group,
                holder_name=supply.holder_name,
                holder_doc_type=supply.holder_doc_type,
                holder_doc_number=holder_doc_number(supply, link),
                holder_document=holder_document(supply, link),
                collection_status=supply.collection_status,
                poder="Titular" if link.is_holder else "Poder",
                is_holder=link.is_holder,
                link_status=link.status,
                link_status_label=LINK_STATUS_LABELS.get(link.status, link.status),
                linked_at=format_date(to_local(link.created_at).date()),
                reject_reason=link.reject_reason if rejected else "",
                reject_reason_text=reject_reason_text(link) if rejected else "",
                review_deadline=deadlines.get(link.id, ""),
                dni_unreadable=link.status == LinkStatus.PENDING and link.dni_document_id in unreadable,
                can_replace_poder=can_replace_poder(link),
            )
        )
    return rows


def reject_reason_text(link: SupplyLink) -> str:
    """What the customer reads about why their link was rejected."""
    return review.REASON_TEXTS.get(link.reject_reason, "") or REJECTED_NO_REASON


def can_replace_poder(link: SupplyLink) -> bool:
    """ "Subir un poder nuevo": an apoderado's link an operator has not validated (rejected, or still pending)."""
    return not link.is_holder and link.status in (LinkStatus.PENDING, LinkStatus.REJECTED)


async def list_links(*, session, user_id: int) -> list[LinkPublic]:
    """The user's linked supplies, in the order they were linked (only this user's links).

    A rejected link stays listed with the reason's text; a pending one says by when its documents are
    reviewed, and whether its DNI photo was judged NO LEGIBLE.

    Args:
        session: An open session.
        user_id: The logged-in user.

    Returns:
        Rows for the Mis Suministros table ("Detalle (N)" is len()).
    """
    return await _rows(session, user_id)


async def replace_link_poder(
    *,
    session,
    user_id: int,
    supply_number: object,
    data: bytes,
    filename: str,
    now: datetime,
    storage_dir: Path | None = None,
) -> LinkPublic:
    """ "Subir un poder nuevo": a new poder for the user's rejected (or still pending) link as apoderado.

    The poder is checked and stored like any upload, the link points at it and goes back to "pendiente"
    with no reason, and the poder enters the operators' queue (a poder it replaces before anyone decided it
    leaves the queue). A link whose DNI photo was replaced on the profile meanwhile carries the profile's.

    Args:
        session: An open session; the caller commits.
        user_id: The logged-in user.
        supply_number: The linked supply (from the page; checked against the user's own links).
        data: The uploaded bytes.
        filename: The client's file name (display only).
        now: Aware UTC time.
        storage_dir: The private documents folder; defaults to settings.documents_dir (tests).

    Returns:
        The link's Mis Suministros row, pending again.

    Raises:
        ValidationError: A malformed number, or the file was refused.
        NotFound: The user has no link to that supply ("Suministro no encontrado.").
        DomainError: The link needs no poder (the user is the holder) or is already validated.
        RateLimited: Too many uploads today.
    """
    number = normalize_supply_number(supply_number)
    user = await get_active_user(session=session, user_id=user_id)
    link = await _own_link(session, user_id, number)
    if link is None:
        raise NotFound(SUPPLY_NOT_FOUND, field="supply_number")
    if link.is_holder:
        raise DomainError(HOLDER_NEEDS_NO_PODER, field=DocumentKind.PODER)
    if not can_replace_poder(link):
        raise DomainError(ALREADY_VALIDATED, field=DocumentKind.PODER)
    stored = await documents.store_upload(
        session=session,
        user_id=user_id,
        kind=DocumentKind.PODER,
        data=data,
        filename=filename,
        storage_dir=storage_dir,
        now=now,
    )
    if link.poder_document_id and link.poder_document_id != stored.id:
        await review.withdraw_document(session=session, document_id=link.poder_document_id)
    if user.dni_document_id and user.dni_status != DniStatus.NONE:
        link.dni_document_id = user.dni_document_id
    link.poder_document_id = stored.id
    link.status, link.reject_reason, link.validated_at = LinkStatus.PENDING, "", None
    session.add(link)
    for document_id in (stored.id, link.dni_document_id):
        document = await session.get(Document, document_id) if document_id else None
        if document is not None:
            await review.enqueue_document(session=session, document=document, supply_number=number, now=now)
    await session.flush()
    security_event("link_poder_replaced", user_id=user_id, supply=number)
    [row] = await _rows(session, user_id, number)
    return row


# --- Asociar Suministro: step 1 -------------------------------------------------------------------


async def check_supply_number(*, session, user_id: int, raw: object, now: datetime | None = None) -> Supply:
    """Check the "N° de Suministro" field as typed: a supply this user may go on to link.

    Unknown numbers are counted per user: after 10 distinct ones in an hour every check is refused for the
    rest of the hour. The quiz (quiz.start_quiz) starts here; states call that, not this.

    Args:
        session: An open session.
        user_id: The logged-in user.
        raw: The field's value.
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        The supply.

    Raises:
        ValidationError: Not a supply number ("El N° de suministro solo lleva números.").
        UnknownSupply: No such supply (a RefusedAttempt: the unit of work keeps the count).
        DomainError: Already linked to this user ("Ese suministro ya está asociado a tu cuenta.").
        RateLimited: Too many unknown numbers in the last hour.
    """
    number = normalize_supply_number(raw)
    now = now or utcnow()
    prefix = f"supply-unknown:{int(user_id)}:"
    distinct_unknown = (
        await session.exec(
            select(func.count(func.distinct(RateEvent.key))).where(
                RateEvent.key.like(prefix + "%"), RateEvent.at > now - UNKNOWN_WINDOW
            )
        )
    ).one()
    if distinct_unknown >= MAX_UNKNOWN_NUMBERS:
        # Known numbers are refused too: answering them would keep the oracle open.
        security_event("supply_unknown_throttled", user_id=user_id, supply=number)
        raise RateLimited(TOO_MANY_UNKNOWN, field="supply_number")
    supply = await session.get(Supply, number)
    if supply is None:
        session.add(RateEvent(key=prefix + number, at=now))
        raise UnknownSupply()
    if await _own_link(session, user_id, number) is not None:
        raise DomainError(ALREADY_LINKED, field="supply_number")
    return supply


# --- Asociar Suministro: steps 3–5 ----------------------------------------------------------------


@dataclass(frozen=True)
class _Ready:
    user: User
    supply: Supply
    holder: bool
    dni: Document
    poder: Document | None


async def _ready(
    session, *, user_id: int, supply_number: object, dni_document_id: object, poder_document_id: object, now: datetime
) -> _Ready:
    # Step by step, in the page's order, so the first thing missing is what the person is told.
    from autogestion.services import quiz  # quiz builds on this module's number check: import it late

    if supply_number in (None, ""):
        raise DomainError(NEED_NUMBER, field="supply_number")
    number = normalize_supply_number(supply_number)
    user = await get_active_user(session=session, user_id=user_id)
    supply = await session.get(Supply, number)
    if supply is None:
        raise NotFound(SUPPLY_NOT_FOUND, field="supply_number")
    if await _own_link(session, user_id, number) is not None:
        raise DomainError(ALREADY_LINKED, field="supply_number")
    if not await quiz.quiz_passed(session=session, user_id=user_id, supply_number=number, now=now):
        raise DomainError(NEED_QUIZ, field="quiz")
    dni = await documents.dni_for_link(session=session, user=user, document_id=dni_document_id)
    holder = is_holder(user, supply)
    poder = None
    if not holder:
        if poder_document_id is None:
            raise ValidationError(NEED_PODER, field=DocumentKind.PODER)
        poder = await documents.usable_document(
            session=session,
            user_id=user_id,
            document_id=poder_document_id,
            kind=DocumentKind.PODER,
            missing=MISSING_PODER,
        )
    return _Ready(user=user, supply=supply, holder=holder, dni=dni, poder=poder)


async def check_link_ready(
    *,
    session,
    user_id: int,
    supply_number: object,
    dni_document_id: str | None,
    poder_document_id: str | None,
    now: datetime | None = None,
) -> None:
    """Whether "Asociar" may ask "¿Está seguro…?": the same checks link_supply makes, in the page's order.

    Args:
        session: An open session (read only).
        user_id: The logged-in user.
        supply_number: The verified number ("" when none was verified yet).
        dni_document_id: A DNI photo just uploaded, or None to reuse the one on file.
        poder_document_id: The poder uploaded (needed only when the user is not the holder).
        now: Aware UTC time (tests); defaults to the clock.

    Raises:
        DomainError: The first missing step, with the message and field (supply_number, quiz, dni, poder)
            of link_supply.
    """
    await _ready(
        session,
        user_id=user_id,
        supply_number=supply_number,
        dni_document_id=dni_document_id,
        poder_document_id=poder_document_id,
        now=now or utcnow(),
    )


async def link_supply(
    *,
    session,
    user_id: int,
    supply_number: object,
    dni_document_id: str | None,
    poder_document_id: str | None,
    now: datetime | None = None,
) -> SupplyLink:
    """Link a supply to the user ("SI" in the confirmation): pending until an operator validates it.

    Requires the quiz passed in the last 24 h (and linking the supply not locked), the DNI photo (the one
    on file is reused when it was not rejected) and, when the user is not the holder, a poder. A DNI photo
    uploaded here becomes the profile's (documents.set_profile_dni). Queues the manual's e-mail to the user
    and, when someone else links it, a notice to the holder if they have an account.

    Args:
        session: An open session; the caller commits (link, profile photo and e-mails in one transaction).
        user_id: The logged-in user.
        supply_number: The supply.
        dni_document_id: A DNI photo just uploaded by this user, or None to reuse the one on file.
        poder_document_id: The poder uploaded by this user (needed only when not the holder).
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        The new link (status "pendiente").

    Raises:
        AuthError: The user is not an active account.
        ValidationError: Missing or unusable DNI photo / poder (field "dni" / "poder").
        DomainError: No number, quiz not passed, or already linked ("Ese suministro ya está asociado a tu cuenta.").
        NotFound: No such supply.
    """
    now = now or utcnow()
    ready = await _ready(
        session,
        user_id=user_id,
        supply_number=supply_number,
        dni_document_id=dni_document_id,
        poder_document_id=poder_document_id,
        now=now,
    )
    user, supply = ready.user, ready.supply
    insert = dialect_insert(session)
    try:
        # The unique (user, supply) constraint decides between concurrent "SI"s, not the SELECT above. No
        # savepoint: a refusal here rolls the whole unit of work back, and there is nothing to keep.
        created = (
            await session.exec(
                insert(SupplyLink.__table__)
                .values(
                    user_id=user_id,
                    supply_number=supply.number,
                    is_holder=ready.holder,
                    status=LinkStatus.PENDING,
                    dni_document_id=ready.dni.id,
                    poder_document_id=ready.poder.id if ready.poder else None,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["user_id", "supply_number"])
                .returning(SupplyLink.__table__.c.id)
            )
        ).first()
    except IntegrityError:
        created = None
    if created is None:
        raise DomainError(ALREADY_LINKED, field="supply_number")
    if ready.dni.id != user.dni_document_id:
        await documents.set_profile_dni(session=session, user_id=user_id, document_id=ready.dni.id, now=now)
    link = await session.get(SupplyLink, created[0])
    await review.link_created(session=session, link=link, now=now)

    full_name = f"{user.first_names} {user.last_names}".strip()
    if user.email:
        mail = notices.supply_linked(name=full_name, when=now, number=supply.number)
        enqueue_email(session, to=user.email, subject=mail.subject, body=mail.body, user_id=user.id)
    holder = None if ready.holder else await registered_holder(session=session, supply=supply)
    if holder is not None and holder.id != user_id and holder.email:
        token = disputes.sign(link_id=link.id, holder_user_id=holder.id, now=now)
        mail = notices.supply_linked_by_other(
            name=f"{holder.first_names} {holder.last_names}".strip(),
            when=now,
            number=supply.number,
            linker_masked=mask_name(full_name),
            dispute_url=disputes.url(token),
        )
        enqueue_email(session, to=holder.email, subject=mail.subject, body=mail.body, user_id=holder.id)
    await session.flush()
    return link
