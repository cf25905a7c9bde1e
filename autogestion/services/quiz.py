"""Asociar Suministro's proof of knowledge: four invoice options, one answer, and the locks that keep guessing out.

The rules (DESIGN.md, "Asociar Suministro"):

- the real invoice (the last or the penultimate) hides among three decoys drawn from one amount band and one
  date window, keyed by the secret and the real invoice, so every account and every day sees the same four
  options: comparing option sets never singles out the real one;
- one wrong answer locks that supply for that account for 24 h;
- three wrong answers on one supply from any accounts within 7 days lock linking it for everyone for 7
  days, and its holder (when registered) gets one e-mail per lock; `lift_quiz_lock` undoes it;
- one account starts the quiz on at most 5 different supplies a day.

Counts live in `RateEvent`: `quiz-wrong:<supply>`, `quiz-lock:<supply>` and `quiz-start:<user>:<supply>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import select

from autogestion.client import client_ip, security_event
from autogestion.clock import utcnow
from autogestion.config import get_settings
from autogestion.db import dialect_insert
from autogestion.models import (
    Invoice,
    QuizAnswerPublic,
    QuizChallenge,
    QuizOptionPublic,
    QuizPublic,
    RateEvent,
    Supply,
    User,
)
from autogestion.services import notices, supplies, throttle
from autogestion.services.errors import DomainError, RateLimited, ValidationError
from autogestion.services.formatting import format_date, format_money
from autogestion.services.outbox import enqueue_email

QUIZ_OPTIONS = 4
QUIZ_TTL = timedelta(hours=24)  # options stay the same, and a pass stays valid, this long
ACCOUNT_MAX_WRONG = 1
ACCOUNT_LOCK = timedelta(hours=24)
SUPPLY_MAX_WRONG = 3
SUPPLY_WINDOW = timedelta(days=7)
SUPPLY_LOCK = timedelta(days=7)
MAX_SUPPLIES_PER_DAY = 5
# Answers per client IP an hour: accounts are cheap to make, a connection less so (NAT keeps it generous).
ANSWERS_PER_IP = 30
ANSWERS_PER_IP_WINDOW = timedelta(hours=1)
TOO_MANY_FROM_IP = "Demasiados intentos desde tu conexión. Probá de nuevo en una hora."
SUPPLIES_WINDOW = timedelta(hours=24)
# The four options are exchangeable: the amounts are drawn from one band 50 % of the real amount wide,
# the due dates from one window of 12 days, with the real one at a uniformly random place in both and
# every option at least 5 % (in amount) from every other. So neither "the one in the middle" nor "the
# odd one out" singles out the real invoice.
AMOUNT_BAND = 0.50
AMOUNT_MIN_GAP = 0.05
DUE_WINDOW_DAYS = 12

PICK_AN_OPTION = "Elegí una de las opciones."
WRONG_ANSWER = (
    "Esa no es la opción correcta. Por seguridad, este suministro quedó bloqueado para tu cuenta durante 24 horas."
)
LOCKED_FOR_ACCOUNT = (
    "Este suministro está bloqueado para tu cuenta durante 24 horas por una respuesta incorrecta. "
    "Probá de nuevo más tarde."
)
LOCKED_FOR_EVERYONE = (
    "Por seguridad, la asociación de este suministro está bloqueada durante 7 días por varios intentos "
    "fallidos. Si sos el titular, comunicate con nuestra oficina comercial."
)
TOO_MANY_SUPPLIES = (
    "Ya empezaste a asociar 5 suministros distintos en las últimas 24 horas. Probá con este suministro mañana."
)
NO_INVOICES = "Este suministro todavía no tiene facturas para validar la asociación. Consultá en nuestras oficinas."
NO_OPTIONS = "Volvé a ingresar el N° de suministro para ver las opciones."
OPTIONS_EXPIRED = "Las opciones vencieron. Volvé a ingresar el N° de suministro."


def _wrong_key(number: str) -> str:
    return f"quiz-wrong:{number}"


def _lock_key(number: str) -> str:
    return f"quiz-lock:{number}"


def _start_prefix(user_id: int) -> str:
    return f"quiz-start:{int(user_id)}:"


# --- the options ----------------------------------------------------------------------------------


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
        day
        for day in (start + timedelta(days=i) for i in range(DUE_WINDOW_DAYS + 1))
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
    amounts, dues = _decoy_amounts(correct.amount_cents, rng, real_amounts), _decoy_dues(correct.due_on, rng, real_dues)
    decoys = list(zip(amounts, dues, strict=True))
    options = [*decoys, (correct.amount_cents, correct.due_on)]
    order = list(range(QUIZ_OPTIONS))
    random.SystemRandom().shuffle(order)
    shuffled = [options[i] for i in order]
    return shuffled, order.index(QUIZ_OPTIONS - 1)


def _options_public(options_json: str) -> list[QuizOptionPublic]:
    result = []
    for index, item in enumerate(json.loads(options_json)):
        amount, due = format_money(item["amount_cents"]), format_date(date.fromisoformat(item["due_on"]))
        result.append(QuizOptionPublic(id=index, label=f"{amount} — vence {due}", amount=amount, due_on=due))
    return result


async def _challenge(session, user_id: int, number: str) -> QuizChallenge | None:
    return (
        await session.exec(
            select(QuizChallenge)
            .where(QuizChallenge.user_id == user_id, QuizChallenge.supply_number == number)
            .execution_options(populate_existing=True)
        )
    ).first()


async def _new_challenge(session, user_id: int, number: str, old: QuizChallenge | None, now: datetime) -> str:
    """Store fresh options for (user, supply) and return the stored ones' JSON."""
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
        raise DomainError(NO_INVOICES, field="supply_number")
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
    if old is not None:
        await session.exec(
            update(QuizChallenge)
            .where(QuizChallenge.id == old.id)
            .values(**fresh)
            .execution_options(synchronize_session=False)
        )
        return options_json
    insert = dialect_insert(session)
    await session.exec(
        insert(QuizChallenge.__table__)
        .values(user_id=user_id, supply_number=number, **fresh)
        .on_conflict_do_nothing(index_elements=["user_id", "supply_number"])
    )
    # A concurrent request may have stored its own options first: everyone shows the stored ones.
    stored = await _challenge(session, user_id, number)
    return stored.options_json if stored else options_json


# --- the locks ------------------------------------------------------------------------------------


def _account_locked(challenge: QuizChallenge, now: datetime) -> bool:
    return challenge.locked_until is not None and challenge.locked_until > now


def _passed(challenge: QuizChallenge | None, now: datetime) -> bool:
    return challenge is not None and challenge.passed_at is not None and challenge.passed_at > now - QUIZ_TTL


async def _supply_locked(session, number: str, now: datetime) -> bool:
    return await throttle.count(session=session, key=_lock_key(number), window=SUPPLY_LOCK, now=now) > 0


async def _may_start(session, user_id: int, number: str, now: datetime) -> bool:
    """Count this supply among the user's quizzes of the last 24 h, unless it would be one too many."""
    prefix = _start_prefix(user_id)
    query = select(func.distinct(RateEvent.key)).where(
        RateEvent.key.like(prefix + "%"), RateEvent.at > now - SUPPLIES_WINDOW
    )
    started = set((await session.exec(query)).all())
    if prefix + number in started:
        return True
    # One start at a time per user (PostgreSQL; SQLite has one writer anyway), so parallel starts cannot
    # slip a sixth supply in.
    await session.exec(select(User.id).where(User.id == user_id).with_for_update())
    started = set((await session.exec(query)).all())
    if prefix + number not in started and len(started) >= MAX_SUPPLIES_PER_DAY:
        return False
    session.add(RateEvent(key=prefix + number, at=now))
    return True


async def _count_wrong_for_supply(session, *, user_id: int, number: str, now: datetime) -> None:
    """One more wrong answer on the supply; the third within 7 days locks it for everyone and tells the holder."""
    # Wrong answers on one supply are counted one at a time, so exactly one of them starts the lock (and
    # sends the one e-mail), even when several accounts answer at once.
    supply = (await session.exec(select(Supply).where(Supply.number == number).with_for_update())).one()
    session.add(RateEvent(key=_wrong_key(number), at=now))
    await session.flush()
    wrong = await throttle.count(session=session, key=_wrong_key(number), window=SUPPLY_WINDOW, now=now)
    if wrong < SUPPLY_MAX_WRONG or await _supply_locked(session, number, now):
        return
    session.add(RateEvent(key=_lock_key(number), at=now))
    security_event("quiz_locked", scope="supply", user_id=user_id, supply=number, wrong=wrong)
    holder = await supplies.registered_holder(session=session, supply=supply)
    if holder is not None and holder.email:
        mail = notices.supply_link_attempts(
            name=f"{holder.first_names} {holder.last_names}".strip(),
            when=now,
            number=number,
            days=SUPPLY_LOCK.days,
        )
        enqueue_email(session, to=holder.email, subject=mail.subject, body=mail.body, user_id=holder.id)


async def quiz_passed(*, session, user_id: int, supply_number: str, now: datetime) -> bool:
    """Whether the user passed the quiz for this supply in the last 24 h and linking it is not locked.

    Args:
        session: An open session.
        user_id: The linking user.
        supply_number: A normalised supply number.
        now: Aware UTC time.
    """
    challenge = await _challenge(session, user_id, supply_number)
    return _passed(challenge, now) and not await _supply_locked(session, supply_number, now)


# --- the handlers' services -----------------------------------------------------------------------


async def start_quiz(*, session, user_id: int, supply_number: object, now: datetime | None = None) -> QuizPublic:
    """Check the number (supplies.check_supply_number) and show the quiz: the same options for 24 h.

    Args:
        session: An open session; the caller commits (the options and the day's count are stored).
        user_id: The logged-in user.
        supply_number: The "N° de Suministro" field as typed.
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        The options, or `locked` with the reason in `message` (a wrong answer in the last 24 h, a supply
        locked for everyone, or 5 other supplies started today), or `passed` when passed in the last 24 h.

    Raises:
        ValidationError, UnknownSupply, RateLimited, DomainError: As check_supply_number (field "supply_number").
        DomainError: The supply has no invoices to ask about (field "supply_number").
        AuthError: The user is not an active account.
    """
    now = now or utcnow()
    supply = await supplies.check_supply_number(session=session, user_id=user_id, raw=supply_number, now=now)
    user = await supplies.get_active_user(session=session, user_id=user_id)
    number = supply.number
    challenge = await _challenge(session, user_id, number)
    if challenge is not None and _account_locked(challenge, now):
        return QuizPublic(supply_number=number, locked=True, message=LOCKED_FOR_ACCOUNT)
    if await _supply_locked(session, number, now):
        return QuizPublic(supply_number=number, locked=True, message=LOCKED_FOR_EVERYONE)
    if _passed(challenge, now):
        return QuizPublic(
            supply_number=number,
            options=_options_public(challenge.options_json),
            attempts_left=ACCOUNT_MAX_WRONG,
            passed=True,
            needs_poder=not supplies.is_holder(user, supply),
        )
    if not await _may_start(session, user_id, number, now):
        security_event("quiz_daily_limit", user_id=user_id, supply=number)
        return QuizPublic(supply_number=number, locked=True, message=TOO_MANY_SUPPLIES)
    if challenge is not None and challenge.created_at > now - QUIZ_TTL:
        options_json = challenge.options_json
    else:
        options_json = await _new_challenge(session, user_id, number, challenge, now)
    return QuizPublic(supply_number=number, options=_options_public(options_json), attempts_left=ACCOUNT_MAX_WRONG)


async def answer_quiz(
    *, session, user_id: int, supply_number: object, option_index: object, now: datetime | None = None
) -> QuizAnswerPublic:
    """Check the chosen option. A wrong one locks the supply for this account for 24 h and counts against it.

    The answer first takes the account's one attempt atomically (given back when it is right), so answers
    sent in parallel cannot test more options than answers sent one by one. A wrong answer is a normal
    result, not an exception: the caller's unit of work commits the lock and the counts.

    Args:
        session: An open session; the caller commits (also when the answer is wrong).
        user_id: The logged-in user.
        supply_number: The supply being linked.
        option_index: The chosen QuizOptionPublic.id (an int 0..3).
        now: Aware UTC time (tests); defaults to the clock.

    Returns:
        right (the quiz is passed for 24 h, with needs_poder), or wrong / locked with the message to show.

    Raises:
        ValidationError: Not an int 0..3 ("Elegí una de las opciones."), or a malformed number.
        DomainError: No current options for this supply (call start_quiz again).
        RateLimited: Too many answers from this client IP in the last hour.
        AuthError: The user is not an active account.
    """
    if type(option_index) is not int or not 0 <= option_index < QUIZ_OPTIONS:
        raise ValidationError(PICK_AN_OPTION, field="quiz")
    number = supplies.normalize_supply_number(supply_number)
    now = now or utcnow()
    try:
        await throttle.hit(
            session=session,
            key=f"quiz-ip:{client_ip()}",
            limit=ANSWERS_PER_IP,
            window=ANSWERS_PER_IP_WINDOW,
            now=now,
            message=TOO_MANY_FROM_IP,
        )
    except RateLimited as exc:
        security_event("ip_throttled", action="quiz", user_id=user_id)
        raise RateLimited(exc.message, field="quiz") from None
    challenge = await _challenge(session, user_id, number)
    if challenge is None:
        raise DomainError(NO_OPTIONS, field="quiz")
    if _account_locked(challenge, now):
        return QuizAnswerPublic(locked=True, message=LOCKED_FOR_ACCOUNT)
    if challenge.created_at <= now - QUIZ_TTL and not _passed(challenge, now):
        raise DomainError(OPTIONS_EXPIRED, field="quiz")
    if challenge.passed_at is not None:
        return await _after_pass(session, user_id, number, option_index == challenge.correct_index)
    if await _supply_locked(session, number, now):
        return QuizAnswerPublic(locked=True, message=LOCKED_FOR_EVERYONE)
    taken = (
        await session.exec(
            update(QuizChallenge)
            .where(
                QuizChallenge.id == challenge.id,
                QuizChallenge.wrong_attempts < ACCOUNT_MAX_WRONG,
                QuizChallenge.passed_at.is_(None),
                or_(QuizChallenge.locked_until.is_(None), QuizChallenge.locked_until <= now),
            )
            .values(wrong_attempts=QuizChallenge.wrong_attempts + 1)
            .returning(QuizChallenge.wrong_attempts)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if taken is None:  # a parallel answer took the attempt first
        current = await _challenge(session, user_id, number)
        if current is not None and current.passed_at is not None:
            return await _after_pass(session, user_id, number, option_index == current.correct_index)
        return QuizAnswerPublic(locked=True, message=LOCKED_FOR_ACCOUNT)
    if option_index == challenge.correct_index:
        await session.exec(
            update(QuizChallenge)
            .where(QuizChallenge.id == challenge.id)
            .values(wrong_attempts=QuizChallenge.wrong_attempts - 1, passed_at=now)
            .execution_options(synchronize_session=False)
        )
        return await _after_pass(session, user_id, number, True)
    await session.exec(
        update(QuizChallenge)
        .where(QuizChallenge.id == challenge.id)
        .values(locked_until=now + ACCOUNT_LOCK)
        .execution_options(synchronize_session=False)
    )
    security_event("quiz_wrong", user_id=user_id, supply=number)
    security_event("quiz_locked", scope="account", user_id=user_id, supply=number)
    await _count_wrong_for_supply(session, user_id=user_id, number=number, now=now)
    return QuizAnswerPublic(right=False, locked=True, message=WRONG_ANSWER)


async def _after_pass(session, user_id: int, number: str, right: bool) -> QuizAnswerPublic:
    if not right:  # already passed: a later wrong pick reveals nothing new and costs nothing
        return QuizAnswerPublic(right=False, attempts_left=ACCOUNT_MAX_WRONG)
    user = await supplies.get_active_user(session=session, user_id=user_id)
    supply = await session.get(Supply, number)
    return QuizAnswerPublic(
        right=True, attempts_left=ACCOUNT_MAX_WRONG, needs_poder=supply is None or not supplies.is_holder(user, supply)
    )


async def lift_quiz_lock(*, session, supply_number: object, operator_id: int | None = None) -> None:
    """Reopen linking a supply that wrong answers locked for everyone (an operator's decision).

    Forgets the supply's wrong answers and its lock. Accounts locked for 24 h by their own wrong answer stay
    locked until then.

    Args:
        session: An open session; the caller commits.
        supply_number: The supply.
        operator_id: Who lifted it, for the security log.

    Raises:
        ValidationError: A malformed number.
    """
    number = supplies.normalize_supply_number(supply_number)
    await throttle.forget(session=session, key=_wrong_key(number))
    await throttle.forget(session=session, key=_lock_key(number))
    security_event("quiz_lock_lifted", supply=number, operator_id=operator_id)
