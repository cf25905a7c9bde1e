"""The invoice quiz of Asociar Suministro: options that reveal nothing, and locks that make guessing useless."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from autogestion import db
from autogestion.models import Invoice, QuizChallenge, QuizOptionPublic, RateEvent, UserStatus
from autogestion.services import quiz
from autogestion.services.errors import AuthError, DomainError, ValidationError
from autogestion.services.formatting import format_date, format_money
from autogestion.services.quiz import answer_quiz, build_quiz_options, lift_quiz_lock, start_quiz
from autogestion.services.supplies import link_supply
from tests.unit.services.supply_helpers import (
    ALL_SUPPLIES,
    JUAN_SUPPLY,
    MARIA_SUPPLY,
    NOW,
    OTHER_SUPPLY,
    answer_wrong,
    challenge_of,
    make_user,
    outbox,
    pass_quiz,
    recent_invoices,
    upload,
)

LABEL = re.compile(r"\$ [0-9]{1,3}(\.[0-9]{3})*,[0-9]{2} — vence [0-9]{2}/[0-9]{2}/[0-9]{4}")


async def options_of(session, user, number: str, now: datetime = NOW) -> list[QuizOptionPublic]:
    started = await start_quiz(session=session, user_id=user.id, supply_number=number, now=now)
    assert not started.locked, started.message
    return started.options


def _cents(amount: str) -> int:
    return int(amount.removeprefix("$ ").replace(".", "").replace(",", ""))


def _date(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


# --- the options -----------------------------------------------------------------------------------


async def test_quiz_has_four_options_and_exactly_one_real_invoice(session, juan, demo):
    for number in [JUAN_SUPPLY, MARIA_SUPPLY, OTHER_SUPPLY, "2000745210", "2001189634"]:
        options = await options_of(session, juan, number)
        recent = await recent_invoices(session, number)
        real_labels = {f"{format_money(i.amount_cents)} — vence {format_date(i.due_on)}" for i in recent[:2]}

        assert [o.id for o in options] == [0, 1, 2, 3]
        assert all(LABEL.fullmatch(o.label) for o in options)
        matching = [o for o in options if o.label in real_labels]
        assert len(matching) == 1
        assert matching[0].id == (await challenge_of(session, juan, number)).correct_index


async def test_decoys_are_distinct_plausible_and_never_a_real_invoice(session, juan, maria, pedro, demo):
    # Five supplies a day per account: spread the twelve over three accounts.
    for index, number in enumerate(ALL_SUPPLIES):
        user = (juan, maria, pedro)[index // 4]
        options = await options_of(session, user, number)
        correct = options[(await challenge_of(session, user, number)).correct_index]
        recent = await recent_invoices(session, number)
        decoys = [o for o in options if o is not correct]
        real_cents = _cents(correct.amount)

        assert len({o.amount for o in options}) == 4
        assert len({o.label for o in options}) == 4
        for decoy in decoys:
            shift = abs(_cents(decoy.amount) - real_cents) / real_cents
            assert 0.05 - 0.001 <= shift <= 0.50 + 0.001, (number, decoy, correct)
            assert 1 <= abs((_date(decoy.due_on) - _date(correct.due_on)).days) <= 12
            assert _date(decoy.due_on).weekday() < 5
            assert _cents(decoy.amount) not in {i.amount_cents for i in recent}
            assert _date(decoy.due_on) not in {i.due_on for i in recent}


@pytest.mark.parametrize("amount", [0, 1, 50, 4_999, 5_000, 100_000, 1_234_567, 2_000_000, 99_999_999])
def test_decoys_for_any_amount_are_positive_and_distinct(amount):
    invoice = Invoice(
        id="f" * 32,
        supply_number="1",
        number="0001-00000001",
        period="2026-10",
        issued_on=date(2026, 11, 5),
        due_on=date(2026, 11, 20),
        amount_cents=amount,
        status="impaga",
    )
    options, correct = build_quiz_options([invoice])

    assert options[correct] == (amount, date(2026, 11, 20))
    assert len({a for a, _ in options}) == 4
    assert all(a > 0 for a, _ in options if (a, _) != options[correct])
    if amount % 100 == 0 and amount:
        assert all(a % 100 == 0 for a, _ in options)  # whole-peso bills get whole-peso decoys


async def test_option_dtos_never_carry_the_answer(session, juan):
    assert set(QuizOptionPublic.model_fields) == {"id", "label", "amount", "due_on"}
    started = await start_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    assert "correct" not in repr(started)


async def test_options_are_identical_for_every_account(session, juan, maria, pedro):
    # Comparing the option sets of several accounts must never single out the real invoice.
    sets = [{o.label for o in await options_of(session, user, OTHER_SUPPLY)} for user in (juan, maria, pedro)]
    assert sets[0] == sets[1] == sets[2]
    assert len(sets[0]) == 4


async def test_quiz_is_stable_for_24_hours_then_regenerated(session, juan, maria):
    first = await options_of(session, juan, JUAN_SUPPLY)
    await session.commit()
    created = (await challenge_of(session, juan, JUAN_SUPPLY)).created_at

    again = await options_of(session, juan, JUAN_SUPPLY, NOW + timedelta(hours=23, minutes=59))
    assert again == first
    assert (await challenge_of(session, juan, JUAN_SUPPLY)).created_at == created

    later = NOW + timedelta(hours=24, seconds=1)
    regenerated = await options_of(session, juan, JUAN_SUPPLY, later)
    await session.commit()
    assert (await challenge_of(session, juan, JUAN_SUPPLY)).created_at == later
    # The four amounts stay the same set (only the order may change): comparing the option sets of two
    # days, or of two accounts, must never single out the real invoice.
    assert {o.label for o in regenerated} == {o.label for o in first}
    other_account = await options_of(session, maria, JUAN_SUPPLY)
    assert {o.label for o in other_account} == {o.label for o in first}


def test_real_option_does_not_stand_out():
    """Over many bills, the real option is the lowest/highest or the most isolated about 1 time in 4."""
    extremes_amount = extremes_date = isolated = 0
    runs = 400
    for i in range(runs):
        invoice = Invoice(
            id=f"{i:032x}",
            supply_number=str(2_000_000_000 + i),
            number=f"0012-{i:08d}",
            period="2026-10",
            issued_on=date(2026, 11, 5),
            due_on=date(2026, 11, 20),
            amount_cents=2_000_000 + 997 * i,
            status="impaga",
        )
        options, correct = build_quiz_options([invoice])
        amounts = sorted(a for a, _ in options)
        dues = sorted(d for _, d in options)
        extremes_amount += options[correct][0] in (amounts[0], amounts[-1])
        extremes_date += options[correct][1] in (dues[0], dues[-1])
        gaps = [min(abs(a - b) for j, (b, _) in enumerate(options) if j != k) for k, (a, _) in enumerate(options)]
        isolated += gaps.index(max(gaps)) == correct
    # uniform placement: an extreme 2 times in 4, the most isolated 1 time in 4 (generous margins)
    assert 0.35 < extremes_amount / runs < 0.65
    assert 0.35 < extremes_date / runs < 0.65
    assert isolated / runs < 0.35


async def test_a_supply_without_invoices_cannot_be_quizzed(session, juan):
    from autogestion.services.billing_import import upsert_supplies

    await upsert_supplies(
        session,
        [
            dict(
                number="7",
                status="0",
                tariff_group="",
                holder_name="X",
                holder_doc_type="DNI",
                holder_doc_number="1234567",
                collection_status="",
                address="",
            )
        ],
    )
    await session.commit()
    with pytest.raises(DomainError) as error:
        await start_quiz(session=session, user_id=juan.id, supply_number="7", now=NOW)
    assert "no tiene facturas" in error.value.message


async def test_inactive_users_cannot_start_the_quiz(session, demo):
    pending = await make_user(session, "31222333", "Rosa", "Díaz", status=UserStatus.PENDING_CODES)
    with pytest.raises(AuthError):
        await start_quiz(session=session, user_id=pending.id, supply_number=JUAN_SUPPLY, now=NOW)


# --- answers ---------------------------------------------------------------------------------------


async def test_the_right_answer_passes_and_says_whether_a_poder_is_needed(session, juan):
    for number, needs_poder in [(JUAN_SUPPLY, False), (MARIA_SUPPLY, True)]:
        await start_quiz(session=session, user_id=juan.id, supply_number=number, now=NOW)
        correct = (await challenge_of(session, juan, number)).correct_index

        result = await answer_quiz(
            session=session, user_id=juan.id, supply_number=number, option_index=correct, now=NOW
        )
        await session.commit()

        assert (result.right, result.locked, result.needs_poder) == (True, False, needs_poder)
        after = await challenge_of(session, juan, number)
        assert after.passed_at == NOW and after.wrong_attempts == 0
        assert await quiz.quiz_passed(session=session, user_id=juan.id, supply_number=number, now=NOW)
    # Coming back within 24 h resumes after the quiz.
    again = await start_quiz(session=session, user_id=juan.id, supply_number=MARIA_SUPPLY, now=NOW + timedelta(hours=2))
    assert (again.passed, again.needs_poder, again.locked) == (True, True, False)


async def test_one_wrong_answer_locks_the_supply_for_that_account_for_24_hours(session, juan, maria):
    result = await answer_wrong(session, juan, JUAN_SUPPLY)

    assert (result.right, result.locked, result.attempts_left, result.message) == (False, True, 0, quiz.WRONG_ANSWER)
    assert "bloqueado para tu cuenta durante 24 horas" in result.message
    challenge = await challenge_of(session, juan, JUAN_SUPPLY)
    assert (challenge.wrong_attempts, challenge.locked_until) == (1, NOW + timedelta(hours=24))
    # Even the right answer is refused while locked, and no options are handed out.
    refused = await answer_quiz(
        session=session,
        user_id=juan.id,
        supply_number=JUAN_SUPPLY,
        option_index=challenge.correct_index,
        now=NOW + timedelta(minutes=1),
    )
    assert (refused.right, refused.locked, refused.message) == (False, True, quiz.LOCKED_FOR_ACCOUNT)
    started = await start_quiz(
        session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW + timedelta(hours=23)
    )
    assert (started.locked, started.options, started.message) == (True, [], quiz.LOCKED_FOR_ACCOUNT)
    # The lock is per account and supply.
    assert len(await options_of(session, maria, JUAN_SUPPLY)) == 4
    assert len(await options_of(session, juan, MARIA_SUPPLY)) == 4

    after = NOW + timedelta(hours=24, seconds=1)
    assert len(await options_of(session, juan, JUAN_SUPPLY, after)) == 4
    await session.commit()
    correct = (await challenge_of(session, juan, JUAN_SUPPLY)).correct_index
    assert (
        await answer_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=correct, now=after)
    ).right


async def test_a_wrong_answer_stays_counted_through_the_unit_of_work(engine, session, juan):
    await start_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    await session.commit()
    correct = (await challenge_of(session, juan, JUAN_SUPPLY)).correct_index

    async with db.session_scope() as unit:
        result = await answer_quiz(
            session=unit, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=(correct + 1) % 4, now=NOW
        )
    assert result.locked

    assert (await challenge_of(session, juan, JUAN_SUPPLY)).locked_until == NOW + timedelta(hours=24)
    wrong = (await session.exec(select(RateEvent).where(RateEvent.key == f"quiz-wrong:{JUAN_SUPPLY}"))).all()
    assert len(wrong) == 1


@pytest.mark.parametrize("option", [-1, 4, 99, "1", "0", None, 1.0, True, [0], {"id": 0}])
async def test_answers_that_are_not_an_option_are_refused(session, juan, option):
    await start_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    with pytest.raises(ValidationError) as error:
        await answer_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=option, now=NOW)
    assert error.value.message == "Elegí una de las opciones."
    assert (await challenge_of(session, juan, JUAN_SUPPLY)).wrong_attempts == 0


async def test_answering_without_options_or_after_they_expired(session, juan):
    with pytest.raises(DomainError):
        await answer_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=0, now=NOW)
    await start_quiz(session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, now=NOW)
    with pytest.raises(DomainError):
        await answer_quiz(
            session=session, user_id=juan.id, supply_number=JUAN_SUPPLY, option_index=0, now=NOW + timedelta(hours=25)
        )


# --- the lock for everyone -------------------------------------------------------------------------


async def _three_accounts(session):
    return [
        await make_user(session, doc, first, "Prueba")
        for doc, first in [("31000001", "Ana"), ("31000002", "Beto"), ("31000003", "Caro"), ("31000004", "Dani")]
    ]


async def holder_alerts(session, holder) -> list:
    return [m for m in await outbox(session) if m.recipient == holder.email and "Intentos de asociar" in m.subject]


async def test_three_wrong_answers_from_any_accounts_lock_the_supply_for_everyone(session, maria, caplog):
    ana, beto, caro, dani = await _three_accounts(session)
    locked_at = NOW + timedelta(days=2)
    await options_of(session, dani, MARIA_SUPPLY, locked_at)  # dani saw the options just before the lock
    await session.commit()
    for days, user in enumerate([ana, beto, caro]):
        await answer_wrong(session, user, MARIA_SUPPLY, NOW + timedelta(days=days))

    # A fourth account is refused, whether it starts now or had started before.
    started = await start_quiz(
        session=session,
        user_id=(await make_user(session, "31000005", "Eli", "X")).id,
        supply_number=MARIA_SUPPLY,
        now=locked_at + timedelta(hours=1),
    )
    assert (started.locked, started.options, started.message) == (True, [], quiz.LOCKED_FOR_EVERYONE)
    correct = (await challenge_of(session, dani, MARIA_SUPPLY)).correct_index
    refused = await answer_quiz(
        session=session,
        user_id=dani.id,
        supply_number=MARIA_SUPPLY,
        option_index=correct,
        now=locked_at + timedelta(hours=1),
    )
    assert (refused.right, refused.locked, refused.message) == (False, True, quiz.LOCKED_FOR_EVERYONE)
    # The holder, registered, is told once for the lock, not once per wrong answer.
    [alert] = await holder_alerts(session, maria)
    assert alert.user_id == maria.id and MARIA_SUPPLY in alert.subject and "7 días" in alert.body
    assert "event=quiz_locked" in caplog.text and "scope=supply" in caplog.text
    assert f"supply={MARIA_SUPPLY}" in caplog.text

    # Seven days after the lock, linking the supply opens again.
    assert (
        await start_quiz(
            session=session, user_id=dani.id, supply_number=MARIA_SUPPLY, now=locked_at + timedelta(days=6, hours=23)
        )
    ).locked
    reopened = await start_quiz(
        session=session, user_id=dani.id, supply_number=MARIA_SUPPLY, now=locked_at + timedelta(days=7, seconds=1)
    )
    assert not reopened.locked and len(reopened.options) == 4
    assert len(await holder_alerts(session, maria)) == 1


async def test_wrong_answers_more_than_7_days_apart_do_not_lock_the_supply(session, maria):
    ana, beto, caro, dani = await _three_accounts(session)
    for days, user in [(0, ana), (4, beto), (8, caro)]:
        await answer_wrong(session, user, MARIA_SUPPLY, NOW + timedelta(days=days))
    started = await start_quiz(
        session=session, user_id=dani.id, supply_number=MARIA_SUPPLY, now=NOW + timedelta(days=8)
    )
    assert not started.locked
    assert await holder_alerts(session, maria) == []


async def test_a_user_who_passed_cannot_link_while_the_supply_is_locked(session, pedro, tmp_path):
    ana, beto, caro, _ = await _three_accounts(session)
    await pass_quiz(session, pedro, OTHER_SUPPLY)
    for user in (ana, beto, caro):
        await answer_wrong(session, user, OTHER_SUPPLY)
    dni = await upload(session, pedro, "dni", tmp_path)
    poder = await upload(session, pedro, "poder", tmp_path)
    with pytest.raises(DomainError) as error:
        await link_supply(
            session=session,
            user_id=pedro.id,
            supply_number=OTHER_SUPPLY,
            dni_document_id=dni,
            poder_document_id=poder,
            now=NOW + timedelta(minutes=5),
        )
    assert error.value.field == "quiz"
    # Nobody registered holds OTHER_SUPPLY: no alert goes anywhere.
    assert [m for m in await outbox(session) if "Intentos de asociar" in m.subject] == []


async def test_lift_quiz_lock_reopens_the_supply(session, maria):
    ana, beto, caro, dani = await _three_accounts(session)
    for user in (ana, beto, caro):
        await answer_wrong(session, user, MARIA_SUPPLY)
    assert (await start_quiz(session=session, user_id=dani.id, supply_number=MARIA_SUPPLY, now=NOW)).locked

    await lift_quiz_lock(session=session, supply_number=MARIA_SUPPLY, operator_id=7)
    await session.commit()

    assert not (await start_quiz(session=session, user_id=dani.id, supply_number=MARIA_SUPPLY, now=NOW)).locked
    keys = (
        await session.exec(
            select(RateEvent.key).where(RateEvent.key.in_([f"quiz-wrong:{MARIA_SUPPLY}", f"quiz-lock:{MARIA_SUPPLY}"]))
        )
    ).all()
    assert keys == []
    # The wrong answers were forgotten: one more does not lock the supply again.
    await answer_wrong(session, dani, MARIA_SUPPLY)
    assert not (await start_quiz(session=session, user_id=maria.id, supply_number=MARIA_SUPPLY, now=NOW)).locked
    # An account's own 24-hour lock is not lifted with it.
    assert (await start_quiz(session=session, user_id=ana.id, supply_number=MARIA_SUPPLY, now=NOW)).locked


async def test_wrong_answers_and_locks_are_in_the_security_log(session, juan, caplog):
    await answer_wrong(session, juan, OTHER_SUPPLY)
    lines = [r.getMessage() for r in caplog.records if r.name == "autogestion.security"]
    assert any(
        line.startswith("event=quiz_wrong") and f"user_id={juan.id} supply={OTHER_SUPPLY}" in line for line in lines
    )
    assert any(
        "event=quiz_locked" in line and "scope=account" in line and f"user_id={juan.id}" in line for line in lines
    )
    challenge = await challenge_of(session, juan, OTHER_SUPPLY)
    assert not any(f"option={challenge.correct_index}" in line or "correct" in line for line in lines)


# --- five supplies a day per account ---------------------------------------------------------------


async def test_an_account_starts_the_quiz_on_at_most_5_supplies_a_day(session, juan, caplog):
    first_five, sixth = ALL_SUPPLIES[1:6], ALL_SUPPLIES[6]
    for number in first_five:
        assert len(await options_of(session, juan, number)) == 4
    await session.commit()

    refused = await start_quiz(session=session, user_id=juan.id, supply_number=sixth, now=NOW + timedelta(hours=1))
    assert (refused.locked, refused.options, refused.message) == (True, [], quiz.TOO_MANY_SUPPLIES)
    assert "5 suministros distintos" in refused.message
    assert (await session.exec(select(QuizChallenge).where(QuizChallenge.supply_number == sixth))).all() == []
    assert "event=quiz_daily_limit" in caplog.text
    # The five already started can be shown again; the sixth opens when the day has passed.
    assert len(await options_of(session, juan, first_five[0], NOW + timedelta(hours=2))) == 4
    assert len(await options_of(session, juan, sixth, NOW + timedelta(hours=24, seconds=1))) == 4


async def test_answers_are_limited_per_client_ip(session, juan, maria, monkeypatch):
    """Fresh accounts from one connection cannot keep guessing: answers are counted per client IP too."""
    from autogestion.client import set_client_ip
    from autogestion.services.errors import RateLimited

    monkeypatch.setattr(quiz, "ANSWERS_PER_IP", 1)
    set_client_ip("203.0.113.50")
    try:
        await options_of(session, juan, JUAN_SUPPLY)
        await options_of(session, maria, JUAN_SUPPLY)
        await answer_wrong(session, juan, JUAN_SUPPLY)
        with pytest.raises(RateLimited):
            await answer_quiz(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY, option_index=0, now=NOW)
        set_client_ip("203.0.113.51")  # another connection is not affected
        await answer_quiz(session=session, user_id=maria.id, supply_number=JUAN_SUPPLY, option_index=0, now=NOW)
    finally:
        set_client_ip("")
