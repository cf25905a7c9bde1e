"""Customer side of supplies: Mis Suministros, Asociar Suministro (number check, invoice quiz, link) and invoices."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import random
import re
from datetime import date, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from autogestion.clock import format_local, local_today, to_local, utcnow
from autogestion.config import get_settings
from autogestion.models import (
    DniStatus,
    Document,
    DocumentKind,
    DocumentStatus,
    Invoice,
    InvoiceStatus,
    LinkStatus,
    QuizChallenge,
    RateEvent,
    Supply,
    SupplyLink,
    User,
    UserStatus,
)
from autogestion.services.errors import AuthError, DomainError, NotFound, RateLimited, ValidationError
from autogestion.services.formatting import format_date, format_money, format_period

SUPPLY_NUMBER = re.compile(r"[0-9]{1,12}")
_INVOICE_ID = re.compile(r"[0-9a-f]{32}")

ALREADY_LINKED = "Ese suministro ya está asociado a tu cuenta."
SUPPLY_NOT_FOUND = "Suministro no encontrado."
UNKNOWN_SUPPLY = "No encontramos ese N° de suministro. Revisalo en tu factura."
ONLY_DIGITS = "El N° de suministro solo lleva números."
QUIZ_LOCKED = "Superaste los intentos para este suministro. Probá de nuevo en 24 horas."
PICK_AN_OPTION = "Elegí una de las opciones."

# Enumeration guard for the "checked as typed" field: distinct unknown numbers per user per hour.
MAX_UNKNOWN_NUMBERS = 10
UNKNOWN_WINDOW = timedelta(hours=1)
QUIZ_OPTIONS = 4
QUIZ_TTL = timedelta(hours=24)
QUIZ_MAX_WRONG = 3
QUIZ_LOCK = timedelta(hours=24)
# The four options are exchangeable: the amounts are drawn from one band 50 % of the real amount wide,
# the due dates from one window of 12 days, with the real one at a uniformly random place in both and
# every option at least 5 % (in amount) from every other. So neither "the one in the middle" nor "the
# odd one out" singles out the real invoice.
AMOUNT_BAND = 0.50
AMOUNT_MIN_GAP = 0.05
DUE_WINDOW_DAYS = 12
CONSUMPTION_PERIODS = 24
MAX_PAGE_SIZE = 100

LINK_STATUS_LABELS = {
    LinkStatus.PENDING: "Pendiente de validación",
    LinkStatus.VALIDATED: "Validado",
    LinkStatus.REJECTED: "Rechazado",
}
INVOICE_STATUS_LABELS = {"pagada": "Pagada", "impaga": "Impaga", "vencida": "Vencida"}
_DOC_TYPE_LABELS = {"PAS": "Pasaporte", "CUIT": "CUIT/CUIL"}

LINK_EMAIL_SUBJECT = "Asociación del Suministro N° {number}"
# The manual's e-mail, word for word.
LINK_EMAIL_BODY = (
    "Estimado/a {name}:\n\n"
    "El día {when} Ud. ha asociado al Suministro {number} a su cuenta de usuario registrado en nuestro portal, "
    "y está habilitado para consultar, imprimir y pagar sus facturas.\n\n"
    "Validado el DNI del titular por nuestros operadores, será habilitado en las próximas 24 horas hábiles para "
    "suscribir Planes de Pago de manera on-line en nuestro Portal de Autogestión. Dicha habilitación le será "
    "comunicada via SMS a su teléfono celular y correo electrónico.\n\n"
    "Saludos Cordiales.\n{brand}\n\n"
    "Por favor, NO responda a este mensaje, es un envío automático."
)
HOLDER_EMAIL_SUBJECT = "Su Suministro N° {number} fue asociado a otra cuenta"
HOLDER_EMAIL_BODY = (
    "Estimado/a {name}:\n\n"
    "El día {when} el usuario registrado {linker} asoció el Suministro {number}, del que Ud. es titular, a su "
    "cuenta como apoderado, presentando un poder. Nuestros operadores revisarán el poder antes de habilitarlo "
    "para realizar trámites comerciales sobre el suministro.\n\n"
    "Si Ud. no otorgó ese poder, comuníquese con nuestra oficina comercial o responda desde el Portal de "
    "Autogestión.\n\n"
    "Saludos Cordiales.\n{brand}\n\n"
    "Por favor, NO responda a este mensaje, es un envío automático."
)


# --- DTOs -----------------------------------------------------------------------------------------

class LinkRow(BaseModel):
    """One row of Mis Suministros (the manual's columns plus the link's state)."""

    position: int  # the "N°" column, 1-based
    number: str
    status: str
    tariff_group: str
    holder_name: str
    holder_doc_type: str
    holder_doc_number: str  # masked for an apoderado until the link is validated
    holder_document: str  # "DNI 20123456"
    collection_status: str
    poder: str  # "Titular" or "Poder"
    is_holder: bool
    link_status: str  # pendiente | validado | rechazado
    link_status_label: str  # Pendiente de validación | Validado | Rechazado
    linked_at: str  # dd/mm/aaaa


class QuizOption(BaseModel):
    """One choice of the proof of knowledge; which one is right is never part of it."""

    id: int  # 0..3, what answer_quiz expects back
    label: str  # "$ 12.345,67 — vence 10/11/2026"
    amount: str
    due_on: str


class SupplyDetail(BaseModel):
    """Header of a supply's invoices page."""

    number: str
    status: str
    tariff_group: str
    holder_name: str
    holder_document: str
    collection_status: str
    address: str
    is_holder: bool
    poder: str
    link_status: str
    link_status_label: str
    linked_at: str
    procedures_enabled: bool  # Planes de Pago and other trámites: only once an operator validated the link


class InvoiceRow(BaseModel):
    """One invoice as the invoices table shows it."""

    id: str
    period: str  # "11/2026"
    number: str
    issued_on: str  # dd/mm/aaaa
    due_on: str
    amount: str  # "$ 12.345,67"
    amount_cents: int
    consumption_kwh: int
    status: str  # pagada | impaga | vencida
    status_label: str  # Pagada | Impaga | Vencida
    payable: bool


class InvoicePage(BaseModel):
    """A page of a supply's invoices, newest first."""

    supply_number: str
    rows: list[InvoiceRow]
    page: int
    page_size: int
    total_pages: int
    total_rows: int


# --- helpers --------------------------------------------------------------------------------------

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




def _doc_label(doc_type: str, doc_number: str) -> str:
    return f"{_DOC_TYPE_LABELS.get(doc_type, doc_type)} {doc_number}".strip()


def _mask_doc(doc_number: str) -> str:
    return "*" * max(len(doc_number) - 3, 0) + doc_number[-3:]


def mask_name(name: str) -> str:
    """Partially hide a person's name: "Juan Perez" → "Ju** Pe***"."""
    words = []
    for word in name.split():
        keep = 1 if len(word) <= 3 else 2
        words.append(word[:keep] + "*" * (len(word) - keep))
    return " ".join(words)


def _is_holder(user: User, supply: Supply) -> bool:
    return (
        bool(supply.holder_doc_number)
        and user.doc_type.upper() == supply.holder_doc_type.upper()
        and user.doc_number == supply.holder_doc_number
    )


def _dialect_insert(session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


async def _active_user(session, user_id: int) -> User:
    user = await session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.status != UserStatus.ACTIVE:
        raise AuthError("Iniciá sesión para continuar.")
    return user


async def _own_link(session, user_id: int, number: str) -> SupplyLink | None:
    return (
        await session.exec(select(SupplyLink).where(SupplyLink.user_id == user_id, SupplyLink.supply_number == number))
    ).first()


async def _find_supply_throttled(session, *, user_id: int, number: str, now: datetime) -> Supply:
    """The supply, counting unknown numbers per user so the field cannot enumerate supplies."""
    prefix = f"supply-unknown:{int(user_id)}:"
    since = now - UNKNOWN_WINDOW
    distinct_unknown = (
        await session.exec(
            select(func.count(func.distinct(RateEvent.key))).where(
                RateEvent.key.like(prefix + "%"), RateEvent.at > since
            )
        )
    ).one()
    if distinct_unknown >= MAX_UNKNOWN_NUMBERS:
        # Known numbers are refused too: answering them would keep the oracle open.
        raise RateLimited("Probaste demasiados números de suministro. Esperá una hora y volvé a intentar.")
    supply = await session.get(Supply, number)
    if supply is None:
        session.add(RateEvent(key=prefix + number, at=now))
        # The count must survive the error the caller is about to get (its session_scope rolls back).
        await session.commit()
        raise NotFound(UNKNOWN_SUPPLY, field="supply_number")
    return supply


# --- Mis Suministros ------------------------------------------------------------------------------

async def list_links(*, session, user_id: int) -> list[LinkRow]:
    """The user's linked supplies, in the order they were linked (one query, only this user's links).

    Args:
        session: An open session.
        user_id: The logged-in user.

    Returns:
        Rows for the Mis Suministros table ("Detalle (N)" is len()).
    """
    result = await session.exec(
        select(SupplyLink, Supply)
        .join(Supply, Supply.number == SupplyLink.supply_number)
        .where(SupplyLink.user_id == user_id)
        .order_by(SupplyLink.created_at, SupplyLink.id)
    )
    rows = []
    for position, (link, supply) in enumerate(result.all(), start=1):
        # An apoderado sees the holder's full document only once an operator accepted the poder.
        reveal = link.is_holder or link.status == LinkStatus.VALIDATED
        doc_number = supply.holder_doc_number if reveal else _mask_doc(supply.holder_doc_number)
        rows.append(
            LinkRow(
                position=position,
                number=supply.number,
                status=supply.status,
                tariff_group=supply.tariff_group,
                holder_name=supply.holder_name,
                holder_doc_type=supply.holder_doc_type,
                holder_doc_number=doc_number,
                holder_document=_doc_label(supply.holder_doc_type, doc_number),
                collection_status=supply.collection_status,
                poder="Titular" if link.is_holder else "Poder",
                is_holder=link.is_holder,
                link_status=link.status,
                link_status_label=LINK_STATUS_LABELS.get(link.status, link.status),
                linked_at=format_date(to_local(link.created_at).date()),
            )
        )
    return rows


# --- Asociar Suministro: step 1 -------------------------------------------------------------------

async def check_supply_number(*, session, user_id: int, raw: object, now: datetime | None = None) -> str:
    """Check the "N° de Suministro" field as typed (green check or red cross).

    Unknown numbers are counted per user: after 10 distinct ones in an hour every check is refused for the
    rest of the hour. An unknown number commits the session (so the count survives the error).

    Args:
        session: An open session.
        user_id: The logged-in user.
        raw: The field's value.
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        The normalised number.

    Raises:
        ValidationError: Not a supply number ("El N° de suministro solo lleva números.").
        NotFound: No such supply.
        DomainError: Already linked to this user ("Ese suministro ya está asociado a tu cuenta.").
        RateLimited: Too many unknown numbers in the last hour.
    """
    number = normalize_supply_number(raw)
    now = now or utcnow()
    await _find_supply_throttled(session, user_id=user_id, number=number, now=now)
    if await _own_link(session, user_id, number) is not None:
        raise DomainError(ALREADY_LINKED, field="supply_number")
    return number


# --- Asociar Suministro: step 2, the proof of knowledge -------------------------------------------

class _KeyedRandom:
    """Numbers derived from HMAC(secret, label): unpredictable without the key, the same for the same label.

    The decoys of a supply's quiz come from here, keyed by the invoice they hide, so every regeneration and
    every account sees the same four amounts: comparing two option sets never reveals the real one.
    """

    def __init__(self, label: str) -> None:
        self._key = hmac.new(get_settings().secret_key.encode(), b"autogestion/quiz/v1", hashlib.sha256).digest()
        self._label = label.encode()
        self._counter = 0

    def below(self, n: int) -> int:
        self._counter += 1
        digest = hmac.new(self._key, self._label + b"|" + str(self._counter).encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") % n

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.below(1_000_000) / 1_000_000


def _round_like(value: float, correct: int, rng: _KeyedRandom) -> int:
    if correct % 100 == 0:
        return int(round(value / 100)) * 100  # whole pesos, like the real one
    return int(value) // 100 * 100 + rng.below(100)  # with cents, like the real one


def _decoy_amounts(correct: int, rng: _KeyedRandom, avoid: set[int]) -> list[int]:
    base = max(correct, 5_000)  # small bills would give decoys a few cents apart
    width = base * AMOUNT_BAND
    low = max(correct - width * rng.uniform(0, 1), 100)
    gap = base * AMOUNT_MIN_GAP
    picks: list[int] = []
    for _ in range(2_000):
        value = _round_like(rng.uniform(low, low + width), correct, rng)
        if value <= 0 or value in avoid or any(abs(value - other) < gap for other in [correct, *picks]):
            continue
        picks.append(value)
        if len(picks) == QUIZ_OPTIONS - 1:
            return picks
    step = max(int(gap), 100)  # pragma: no cover - only for absurd inputs
    return [correct + step * (i + 1) for i in range(QUIZ_OPTIONS - 1)]  # pragma: no cover


def _decoy_dues(correct: date, rng: _KeyedRandom, avoid: set[date]) -> list[date]:
    start = correct - timedelta(days=rng.below(DUE_WINDOW_DAYS + 1))
    weekday_only = correct.weekday() < 5  # real due dates fall on working days; a Saturday would stand out
    window = [
        day for day in (start + timedelta(days=i) for i in range(DUE_WINDOW_DAYS + 1))
        if day != correct and day not in avoid and (not weekday_only or day.weekday() < 5)
    ]
    picks: list[date] = []
    while len(picks) < QUIZ_OPTIONS - 1 and window:
        picks.append(window.pop(rng.below(len(window))))
    while len(picks) < QUIZ_OPTIONS - 1:  # pragma: no cover - a window always has 8+ working days
        picks.append(correct + timedelta(days=DUE_WINDOW_DAYS + len(picks) + 1))
    return picks


def build_quiz_options(recent: list[Invoice]) -> tuple[list[tuple[int, date]], int]:
    """The four (amount, due date) options for a supply, and which one is real, in display order.

    Args:
        recent: The supply's latest invoices, newest first (up to 3; at least 1).

    Returns:
        (options, correct index). The order comes from SystemRandom; the values from _KeyedRandom.
    """
    candidates = recent[:2]
    pick = _KeyedRandom(f"pick|{recent[0].supply_number}|{recent[0].number}")
    correct = candidates[pick.below(len(candidates))]
    rng = _KeyedRandom(f"decoys|{correct.supply_number}|{correct.number}")
    real_amounts = {inv.amount_cents for inv in recent}
    real_dues = {inv.due_on for inv in recent}
    decoys = list(zip(_decoy_amounts(correct.amount_cents, rng, real_amounts), _decoy_dues(correct.due_on, rng, real_dues)))
    options = [*decoys, (correct.amount_cents, correct.due_on)]
    order = list(range(QUIZ_OPTIONS))
    random.SystemRandom().shuffle(order)
    shuffled = [options[i] for i in order]
    return shuffled, order.index(QUIZ_OPTIONS - 1)


def _options_public(options_json: str) -> list[QuizOption]:
    result = []
    for index, item in enumerate(json.loads(options_json)):
        amount, due = format_money(item["amount_cents"]), format_date(date.fromisoformat(item["due_on"]))
        result.append(QuizOption(id=index, label=f"{amount} — vence {due}", amount=amount, due_on=due))
    return result


def _locked(challenge: QuizChallenge, now: datetime) -> bool:
    return challenge.locked_until is not None and challenge.locked_until > now


async def _challenge(session, user_id: int, number: str) -> QuizChallenge | None:
    return (
        await session.exec(
            select(QuizChallenge)
            .where(QuizChallenge.user_id == user_id, QuizChallenge.supply_number == number)
            .execution_options(populate_existing=True)
        )
    ).first()


async def get_quiz(*, session, user_id: int, supply_number: object, now: datetime | None = None) -> list[QuizOption]:
    """The four options of the proof of knowledge, the same ones for 24 h for this user and supply.

    Args:
        session: An open session; the caller commits (the challenge is stored).
        user_id: The logged-in user.
        supply_number: The supply being linked.
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        Four options (id 0..3, label "$ 12.345,67 — vence 10/11/2026").

    Raises:
        ValidationError, NotFound, RateLimited: As check_supply_number (unknown numbers count the same).
        DomainError: Already linked, or the supply has no invoices to ask about.
        RateLimited: Three wrong answers in the last 24 h (QUIZ_LOCKED).
    """
    number = normalize_supply_number(supply_number)
    now = now or utcnow()
    await _find_supply_throttled(session, user_id=user_id, number=number, now=now)
    if await _own_link(session, user_id, number) is not None:
        raise DomainError(ALREADY_LINKED, field="supply_number")
    challenge = await _challenge(session, user_id, number)
    if challenge is not None:
        if _locked(challenge, now):
            raise RateLimited(QUIZ_LOCKED, field="quiz")
        if challenge.created_at > now - QUIZ_TTL:
            return _options_public(challenge.options_json)
    recent = list(
        (
            await session.exec(
                select(Invoice)
                .where(Invoice.supply_number == number)
                .order_by(Invoice.issued_on.desc(), Invoice.period.desc(), Invoice.number.desc())
                .limit(3)
            )
        ).all()
    )
    if not recent:
        raise DomainError(
            "Este suministro todavía no tiene facturas para validar la asociación. Consultá en nuestras oficinas.",
            field="supply_number",
        )
    options, correct_index = build_quiz_options(recent)
    options_json = json.dumps([{"amount_cents": amount, "due_on": due.isoformat()} for amount, due in options])
    fresh = {
        "options_json": options_json,
        "correct_index": correct_index,
        "created_at": now,
        "wrong_attempts": 0,
        "locked_until": None,
        "passed_at": None,
    }
    if challenge is not None:
        await session.exec(
            update(QuizChallenge)
            .where(QuizChallenge.id == challenge.id)
            .values(**fresh)
            .execution_options(synchronize_session=False)
        )
        return _options_public(options_json)
    insert = _dialect_insert(session)
    await session.exec(
        insert(QuizChallenge.__table__)
        .values(user_id=user_id, supply_number=number, **fresh)
        .on_conflict_do_nothing(index_elements=["user_id", "supply_number"])
    )
    # A concurrent request may have stored its own options first: everyone shows the stored ones.
    stored = await _challenge(session, user_id, number)
    return _options_public(stored.options_json if stored else options_json)


async def answer_quiz(
    *, session, user_id: int, supply_number: object, option_index: object, now: datetime | None = None
) -> bool:
    """Check the chosen option; three wrong answers lock the supply for this user for 24 h.

    Every answer first takes one of the three attempts atomically (given back when it is right), so answers
    sent in parallel cannot test more options than answers sent one by one.

    Args:
        session: An open session; the caller commits (also when the answer is wrong).
        user_id: The logged-in user.
        supply_number: The supply being linked.
        option_index: The chosen QuizOption.id (an int 0..3).
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        True when it is the supply's invoice (the quiz is passed for 24 h), False otherwise.

    Raises:
        ValidationError: Not an int 0..3 ("Elegí una de las opciones."), or a malformed number.
        DomainError: No current options for this supply (call get_quiz again).
        RateLimited: Locked (QUIZ_LOCKED).
    """
    if type(option_index) is not int or not 0 <= option_index < QUIZ_OPTIONS:
        raise ValidationError(PICK_AN_OPTION, field="quiz")
    number = normalize_supply_number(supply_number)
    now = now or utcnow()
    challenge = await _challenge(session, user_id, number)
    if challenge is None:
        raise DomainError("Volvé a ingresar el N° de suministro para ver las opciones.", field="quiz")
    if _locked(challenge, now):
        raise RateLimited(QUIZ_LOCKED, field="quiz")
    if challenge.created_at <= now - QUIZ_TTL:
        raise DomainError("Las opciones vencieron. Volvé a ingresar el N° de suministro.", field="quiz")
    if challenge.passed_at is not None:
        return option_index == challenge.correct_index
    taken = (
        await session.exec(
            update(QuizChallenge)
            .where(
                QuizChallenge.id == challenge.id,
                QuizChallenge.wrong_attempts < QUIZ_MAX_WRONG,
                QuizChallenge.passed_at.is_(None),
                or_(QuizChallenge.locked_until.is_(None), QuizChallenge.locked_until <= now),
            )
            .values(wrong_attempts=QuizChallenge.wrong_attempts + 1)
            .returning(QuizChallenge.wrong_attempts)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if taken is None:
        current = await _challenge(session, user_id, number)
        if current is not None and current.passed_at is not None:
            return option_index == current.correct_index
        raise RateLimited(QUIZ_LOCKED, field="quiz")
    if option_index == challenge.correct_index:
        await session.exec(
            update(QuizChallenge)
            .where(QuizChallenge.id == challenge.id)
            .values(wrong_attempts=QuizChallenge.wrong_attempts - 1, passed_at=now)
            .execution_options(synchronize_session=False)
        )
        return True
    if taken[0] >= QUIZ_MAX_WRONG:
        await session.exec(
            update(QuizChallenge)
            .where(QuizChallenge.id == challenge.id)
            .values(locked_until=now + QUIZ_LOCK)
            .execution_options(synchronize_session=False)
        )
    return False


async def quiz_attempts_left(*, session, user_id: int, supply_number: object, now: datetime | None = None) -> int:
    """How many wrong answers the user may still give for this supply (0 while locked).

    Args:
        session: An open session.
        user_id: The logged-in user.
        supply_number: The supply being linked.
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        0..3.
    """
    number = normalize_supply_number(supply_number)
    now = now or utcnow()
    challenge = await _challenge(session, user_id, number)
    if challenge is None or challenge.created_at <= now - QUIZ_TTL and not _locked(challenge, now):
        return QUIZ_MAX_WRONG
    if _locked(challenge, now):
        return 0
    return max(QUIZ_MAX_WRONG - challenge.wrong_attempts, 0)


# --- Asociar Suministro: steps 3–5 ----------------------------------------------------------------

async def is_holder_of(*, session, user_id: int, supply_number: object) -> bool:
    """Whether the user's document is the supply holder's, i.e. linking it needs no poder.

    The same rule link_supply applies (document type and number equal the holder's), so the page asks for
    a poder exactly when linking would require one.

    Args:
        session: An open session.
        user_id: The logged-in user.
        supply_number: The supply being linked.

    Returns:
        True for the holder, False for anyone else (an apoderado).

    Raises:
        ValidationError: A malformed number.
        AuthError: The user is not an active account.
        NotFound: No such supply.
    """
    number = normalize_supply_number(supply_number)
    user = await _active_user(session, user_id)
    supply = await session.get(Supply, number)
    if supply is None:
        raise NotFound(SUPPLY_NOT_FOUND, field="supply_number")
    return _is_holder(user, supply)


async def _usable_document(session, *, user_id: int, document_id: object, kind: str, missing: str) -> Document:
    if not isinstance(document_id, str) or not re.fullmatch(r"[0-9a-f]{32}", document_id):
        raise ValidationError(missing, field=kind)
    row = (
        await session.exec(
            select(Document).where(Document.id == document_id, Document.user_id == user_id, Document.kind == kind)
        )
    ).first()
    if row is None:
        raise ValidationError(missing, field=kind)
    if row.status == DocumentStatus.REJECTED:
        raise ValidationError("Ese archivo fue rechazado por un operador. Subí uno nuevo.", field=kind)
    return row


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

    Requires the quiz passed in the last 24 h, the DNI photo (the one on file is reused when it was not
    rejected) and, when the user is not the holder, a poder. Queues the manual's e-mail to the user and,
    when someone else links it, a notice to the holder if they have an account.

    Args:
        session: An open session; the caller commits (link, user update and e-mails in one transaction).
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
        DomainError: Quiz not passed, or already linked ("Ese suministro ya está asociado a tu cuenta.").
        NotFound: No such supply.
    """
    from autogestion.services.outbox import enqueue_email  # lazily: the outbox module is another issue's

    number = normalize_supply_number(supply_number)
    now = now or utcnow()
    user = await _active_user(session, user_id)
    supply = await session.get(Supply, number)
    if supply is None:
        raise NotFound(SUPPLY_NOT_FOUND, field="supply_number")
    if await _own_link(session, user_id, number) is not None:
        raise DomainError(ALREADY_LINKED, field="supply_number")
    challenge = await _challenge(session, user_id, number)
    if challenge is None or challenge.passed_at is None or challenge.passed_at <= now - QUIZ_TTL:
        raise DomainError("Primero elegí el importe y vencimiento de tu última o penúltima factura.", field="quiz")

    if dni_document_id is not None:
        dni = await _usable_document(
            session, user_id=user_id, document_id=dni_document_id, kind=DocumentKind.DNI,
            missing="Subí una foto del frente de tu DNI.",
        )
    elif user.dni_document_id and user.dni_status != DniStatus.NOT_LEGIBLE:
        dni = await _usable_document(
            session, user_id=user_id, document_id=user.dni_document_id, kind=DocumentKind.DNI,
            missing="Subí una foto del frente de tu DNI.",
        )
    else:
        raise ValidationError("Subí una foto del frente de tu DNI.", field=DocumentKind.DNI)

    is_holder = _is_holder(user, supply)
    poder: Document | None = None
    if not is_holder:
        if poder_document_id is None:
            raise ValidationError(
                "Como no sos el titular del suministro, subí el poder que te otorgó el titular.",
                field=DocumentKind.PODER,
            )
        poder = await _usable_document(
            session, user_id=user_id, document_id=poder_document_id, kind=DocumentKind.PODER,
            missing="Subí el poder que te otorgó el titular.",
        )

    insert = _dialect_insert(session)
    try:
        # The unique (user, supply) constraint decides between concurrent "SI"s, not the SELECT above.
        created = (
            await session.exec(
                insert(SupplyLink.__table__)
                .values(
                    user_id=user_id,
                    supply_number=number,
                    is_holder=is_holder,
                    status=LinkStatus.PENDING,
                    dni_document_id=dni.id,
                    poder_document_id=poder.id if poder else None,
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
    link = await session.get(SupplyLink, created[0])

    if user.dni_status in (DniStatus.NONE, DniStatus.NOT_LEGIBLE) or not user.dni_document_id:
        # The photo sent here becomes the profile's, waiting for an operator like any new DNI photo.
        user.dni_document_id = dni.id
        user.dni_status = DniStatus.IN_REVIEW
        session.add(user)

    settings = get_settings()
    when = format_local(now)
    full_name = f"{user.first_names} {user.last_names}".strip()
    if user.email:
        enqueue_email(
            session,
            to=user.email,
            subject=LINK_EMAIL_SUBJECT.format(number=number),
            body=LINK_EMAIL_BODY.format(name=full_name, when=when, number=number, brand=settings.brand),
            user_id=user.id,
        )
    if not is_holder and supply.holder_doc_number:
        holder = (
            await session.exec(
                select(User).where(
                    User.doc_type == supply.holder_doc_type,
                    User.doc_number == supply.holder_doc_number,
                    User.status == UserStatus.ACTIVE,
                    User.id != user_id,
                )
            )
        ).first()
        if holder is not None and holder.email:
            enqueue_email(
                session,
                to=holder.email,
                subject=HOLDER_EMAIL_SUBJECT.format(number=number),
                body=HOLDER_EMAIL_BODY.format(
                    name=f"{holder.first_names} {holder.last_names}".strip(),
                    when=when,
                    linker=mask_name(full_name),
                    number=number,
                    brand=settings.brand,
                ),
                user_id=holder.id,
            )
    await session.flush()
    return link


# --- Facturas -------------------------------------------------------------------------------------

def _link_filter(user_id: int):
    # A rejected link means an operator found the user not entitled: its invoices are closed to them.
    return (SupplyLink.user_id == user_id, SupplyLink.status != LinkStatus.REJECTED)


async def _linked_supply(session, user_id: int, supply_number: object) -> tuple[Supply, SupplyLink]:
    if not isinstance(supply_number, str) or not SUPPLY_NUMBER.fullmatch(supply_number):
        raise NotFound(SUPPLY_NOT_FOUND)
    row = (
        await session.exec(
            select(Supply, SupplyLink)
            .join(SupplyLink, SupplyLink.supply_number == Supply.number)
            .where(Supply.number == supply_number, *_link_filter(user_id))
        )
    ).first()
    if row is None:
        raise NotFound(SUPPLY_NOT_FOUND)
    return row[0], row[1]


async def get_supply_detail(*, session, user_id: int, supply_number: object) -> SupplyDetail:
    """The header of /suministros/<numero>, for a supply linked to the user.

    Args:
        session: An open session.
        user_id: The logged-in user.
        supply_number: From the URL.

    Returns:
        The supply and link data.

    Raises:
        NotFound: "Suministro no encontrado." for anything not linked to this user (or rejected).
    """
    supply, link = await _linked_supply(session, user_id, supply_number)
    reveal = link.is_holder or link.status == LinkStatus.VALIDATED
    doc_number = supply.holder_doc_number if reveal else _mask_doc(supply.holder_doc_number)
    return SupplyDetail(
        number=supply.number,
        status=supply.status,
        tariff_group=supply.tariff_group,
        holder_name=supply.holder_name,
        holder_document=_doc_label(supply.holder_doc_type, doc_number),
        collection_status=supply.collection_status,
        address=supply.address,
        is_holder=link.is_holder,
        poder="Titular" if link.is_holder else "Poder",
        link_status=link.status,
        link_status_label=LINK_STATUS_LABELS.get(link.status, link.status),
        linked_at=format_date(to_local(link.created_at).date()),
        procedures_enabled=link.status == LinkStatus.VALIDATED,
    )


def invoice_status(invoice: Invoice, today: date) -> str:
    """pagada, vencida (unpaid and past its due date) or impaga."""
    if invoice.status == InvoiceStatus.PAID:
        return "pagada"
    return "vencida" if invoice.due_on < today else "impaga"


def _invoice_row(invoice: Invoice, today: date) -> InvoiceRow:
    status = invoice_status(invoice, today)
    return InvoiceRow(
        id=invoice.id,
        period=format_period(invoice.period),
        number=invoice.number,
        issued_on=format_date(invoice.issued_on),
        due_on=format_date(invoice.due_on),
        amount=format_money(invoice.amount_cents),
        amount_cents=invoice.amount_cents,
        consumption_kwh=invoice.consumption_kwh,
        status=status,
        status_label=INVOICE_STATUS_LABELS[status],
        payable=status != "pagada",
    )


async def list_invoices(
    *, session, user_id: int, supply_number: object, page: object, page_size: int = 12, today: date | None = None
) -> InvoicePage:
    """A page of the supply's invoices, newest period first.

    Args:
        session: An open session.
        user_id: The logged-in user.
        supply_number: From the URL.
        page: 1-based page number (an int); past the end gives the last page.
        page_size: Rows per page (1..100).
        today: The date "vencida" is judged against; defaults to today in Argentina.

    Returns:
        The page.

    Raises:
        NotFound: The supply is not linked to this user.
        ValidationError: page or page_size is not a positive int.
    """
    if type(page) is not int or page < 1:
        raise ValidationError("Página inválida.")
    if type(page_size) is not int or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError("Tamaño de página inválido.")
    supply, _ = await _linked_supply(session, user_id, supply_number)
    today = today or local_today()
    owned = (
        select(Invoice)
        .join(SupplyLink, SupplyLink.supply_number == Invoice.supply_number)
        .where(Invoice.supply_number == supply.number, *_link_filter(user_id))
    )
    total = (
        await session.exec(
            select(func.count(Invoice.id))
            .join(SupplyLink, SupplyLink.supply_number == Invoice.supply_number)
            .where(Invoice.supply_number == supply.number, *_link_filter(user_id))
        )
    ).one()
    total_pages = max(1, math.ceil(total / page_size))
    page = min(page, total_pages)
    invoices = (
        await session.exec(
            owned.order_by(Invoice.period.desc(), Invoice.issued_on.desc(), Invoice.number.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    ).all()
    return InvoicePage(
        supply_number=supply.number,
        rows=[_invoice_row(invoice, today) for invoice in invoices],
        page=page,
        page_size=page_size,
        total_pages=total_pages,
        total_rows=total,
    )


async def consumption_series(
    *, session, user_id: int, supply_number: object, periods: int = CONSUMPTION_PERIODS
) -> list[dict[str, object]]:
    """kWh per billing period for the chart, oldest first, over the last `periods` periods.

    Args:
        session: An open session.
        user_id: The logged-in user.
        supply_number: From the URL.
        periods: How many periods (1..120).

    Returns:
        [{"period": "11/2026", "kwh": 345}, …].

    Raises:
        NotFound: The supply is not linked to this user.
    """
    if type(periods) is not int or not 1 <= periods <= 120:
        raise ValidationError("Cantidad de períodos inválida.")
    supply, _ = await _linked_supply(session, user_id, supply_number)
    rows = (
        await session.exec(
            select(Invoice.period, func.sum(Invoice.consumption_kwh))
            .join(SupplyLink, SupplyLink.supply_number == Invoice.supply_number)
            .where(Invoice.supply_number == supply.number, *_link_filter(user_id))
            .group_by(Invoice.period)
            .order_by(Invoice.period.desc())
            .limit(periods)
        )
    ).all()
    return [{"period": format_period(period), "kwh": int(kwh or 0)} for period, kwh in reversed(rows)]


async def get_invoice_for_user(*, session, user_id: int, invoice_id: object) -> tuple[Invoice, Supply]:
    """An invoice of a supply linked to the user (the user is part of the query).

    Args:
        session: An open session.
        user_id: The logged-in user.
        invoice_id: The invoice id as received.

    Returns:
        (invoice, supply).

    Raises:
        NotFound: "Factura no encontrada." for anything else.
    """
    if not isinstance(invoice_id, str) or not _INVOICE_ID.fullmatch(invoice_id):
        raise NotFound("Factura no encontrada.")
    row = (
        await session.exec(
            select(Invoice, Supply)
            .join(Supply, Supply.number == Invoice.supply_number)
            .join(SupplyLink, SupplyLink.supply_number == Invoice.supply_number)
            .where(Invoice.id == invoice_id, *_link_filter(user_id))
        )
    ).first()
    if row is None:
        raise NotFound("Factura no encontrada.")
    return row[0], row[1]


async def invoice_pdf_for_user(
    *, session, user_id: int, invoice_id: object, today: date | None = None
) -> tuple[bytes, str]:
    """The PDF duplicate ("Imprimir") of an invoice of the user's, rendered off the event loop.

    Args:
        session: An open session.
        user_id: The logged-in user.
        invoice_id: The invoice id as received.
        today: The date the status is judged against; defaults to today in Argentina.

    Returns:
        (PDF bytes, download name "factura-0012-00345678.pdf").

    Raises:
        NotFound: Not an invoice of a supply linked to this user.
    """
    from autogestion.adapters.invoice_pdf import render_invoice_pdf

    invoice, supply = await get_invoice_for_user(session=session, user_id=user_id, invoice_id=invoice_id)
    today = today or local_today()
    pdf = await asyncio.to_thread(
        render_invoice_pdf, invoice=invoice, supply=supply, brand=get_settings().brand, today=today
    )
    return pdf, f"factura-{re.sub(r'[^0-9A-Za-z-]', '', invoice.number)}.pdf"
