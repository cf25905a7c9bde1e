"""«Yo no autoricé esto»: the signed link in the holder's e-mail, and the dispute it records once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from autogestion.config import get_settings
from autogestion.models import OutboxMessage, ReviewItem, ReviewKind, ReviewStatus, SupplyLink, UserStatus
from autogestion.services import disputes, documents
from autogestion.services.business_hours import add_business_hours
from autogestion.services.disputes import InvalidDispute
from tests.unit.services.supply_helpers import JUAN_SUPPLY, MARIA_SUPPLY, NOW, OTHER_SUPPLY, link, outbox

LATER = NOW + timedelta(days=3)


def _token_in(body: str) -> str:
    base = re.escape(get_settings().base_url + "/suministros/desconocer/")
    match = re.search(base + r"([A-Za-z0-9_.-]+)", body)
    assert match, body
    return match.group(1)


async def _holder_mail(session, maria) -> OutboxMessage:
    [mail] = [m for m in await outbox(session) if m.user_id == maria.id]
    return mail


async def _dispute_items(session) -> list[ReviewItem]:
    query = select(ReviewItem).where(ReviewItem.kind == ReviewKind.LINK).execution_options(populate_existing=True)
    return list((await session.exec(query)).all())


@pytest.fixture
async def juans_link(session, juan, maria, tmp_path) -> SupplyLink:
    """Juan linked María's supply as apoderado: María (the holder, registered) got the e-mail."""
    return await link(session, juan, MARIA_SUPPLY, tmp_path, poder=True)


# --- the token --------------------------------------------------------------------------------------


def test_a_token_names_the_link_and_the_holder_for_30_days():
    token = disputes.sign(link_id=7, holder_user_id=42, now=NOW)
    assert disputes.verify(token, now=NOW) == (7, 42)
    assert disputes.verify(token, now=NOW + timedelta(days=30) - timedelta(seconds=1)) == (7, 42)
    with pytest.raises(InvalidDispute) as error:
        disputes.verify(token, now=NOW + timedelta(days=30))
    assert "no es válido o venció" in error.value.message


def test_a_tampered_token_is_refused():
    token = disputes.sign(link_id=7, holder_user_id=42, now=NOW)
    payload, mac = token.split(".")
    forged = documents._b64(b"disp:8:42:" + documents._unb64(payload).split(b":")[-1])
    for bad in (
        f"{forged}.{mac}",  # another link under the same signature
        f"{payload}.{mac[:-2]}{'A' if mac[-2] != 'A' else 'B'}{mac[-1]}",
        f"{payload}.",
        payload,
        token + ".x",
        "",
        None,
        7,
        ["a.b"],
        "a" * 500,
        f"{payload}.{mac}/../x",
    ):
        with pytest.raises(InvalidDispute):
            disputes.verify(bad, now=NOW)


def test_a_token_signed_with_another_secret_or_for_downloads_is_refused(monkeypatch):
    download = documents.sign_link("doc", "7", 42, now=NOW.timestamp())
    with pytest.raises(InvalidDispute):
        disputes.verify(download, now=NOW)
    token = disputes.sign(link_id=7, holder_user_id=42, now=NOW)
    monkeypatch.setenv("AUTOGESTION_SECRET_KEY", "another-secret-key-for-this-test-only-0123456789")
    get_settings.cache_clear()
    with pytest.raises(InvalidDispute):
        disputes.verify(token, now=NOW)


def test_the_url_is_the_configured_base_url(monkeypatch):
    monkeypatch.setenv("AUTOGESTION_BASE_URL", "https://autogestion.example.com.ar/")
    get_settings.cache_clear()
    assert disputes.url("abc.def") == "https://autogestion.example.com.ar/suministros/desconocer/abc.def"


# --- the holder's e-mail ----------------------------------------------------------------------------


async def test_the_holders_email_carries_a_link_for_that_link_and_holder(session, juan, maria, juans_link):
    mail = await _holder_mail(session, maria)
    assert "Si Ud. no otorgó ese poder, avísenos desde este enlace" in mail.body
    assert disputes.verify(_token_in(mail.body), now=NOW) == (juans_link.id, maria.id)
    # Juan's own e-mail has no such link.
    [own] = [m for m in await outbox(session) if m.user_id == juan.id]
    assert "/suministros/desconocer/" not in own.body


# --- disputing --------------------------------------------------------------------------------------


async def test_the_page_shows_the_supply_and_who_linked_it(session, maria, juans_link):
    token = _token_in((await _holder_mail(session, maria)).body)
    shown = await disputes.preview(session=session, token=token, now=LATER)
    assert (shown.supply_number, shown.linker_masked, shown.linked_at) == (MARIA_SUPPLY, "Ju** Pe***", "28/11/2026")
    assert (shown.received, shown.already_received) == (False, False)
    assert await _dispute_items(session) == []  # looking changes nothing


async def test_disputing_puts_the_link_first_in_the_queue_and_tells_the_holder(session, juan, maria, juans_link):
    token = _token_in((await _holder_mail(session, maria)).body)
    mails_before = len(await outbox(session))

    shown = await disputes.dispute(session=session, token=token, now=LATER)
    await session.commit()

    assert (shown.received, shown.already_received, shown.supply_number) == (True, False, MARIA_SUPPLY)
    assert shown.received_at == "01/12/2026 12:00"
    [item] = await _dispute_items(session)
    assert (item.link_id, item.priority, item.status, item.user_id, item.supply_number) == (
        juans_link.id,
        1,
        ReviewStatus.PENDING,
        juan.id,
        MARIA_SUPPLY,
    )
    assert item.deadline_at == add_business_hours(LATER)
    await session.refresh(juans_link)
    assert juans_link.disputed_at is not None
    new = (await outbox(session))[mails_before:]
    assert [(m.recipient, m.user_id) for m in new] == [(maria.email, maria.id)]
    assert MARIA_SUPPLY in new[0].subject and "no autorizó la asociación" in new[0].body


async def test_a_second_visit_says_it_was_already_received(session, maria, juans_link):
    token = _token_in((await _holder_mail(session, maria)).body)
    await disputes.dispute(session=session, token=token, now=LATER)
    await session.commit()
    mails = len(await outbox(session))

    again = await disputes.dispute(session=session, token=token, now=LATER + timedelta(hours=1))
    await session.commit()
    assert (again.received, again.already_received) == (True, True)
    assert len(await _dispute_items(session)) == 1
    assert len(await outbox(session)) == mails
    shown = await disputes.preview(session=session, token=token, now=LATER + timedelta(hours=2))
    assert (shown.received, shown.already_received, shown.received_at) == (True, True, "01/12/2026 12:00")


async def test_an_expired_or_tampered_token_changes_nothing(session, maria, juans_link):
    token = _token_in((await _holder_mail(session, maria)).body)
    mails = len(await outbox(session))
    for bad, when in ((token, NOW + timedelta(days=30)), (token[:-3] + "AAA", LATER), ("x.y", LATER)):
        with pytest.raises(InvalidDispute):
            await disputes.dispute(session=session, token=bad, now=when)
        with pytest.raises(InvalidDispute):
            await disputes.preview(session=session, token=bad, now=when)
    await session.commit()
    assert await _dispute_items(session) == []
    await session.refresh(juans_link)
    assert juans_link.disputed_at is None
    assert len(await outbox(session)) == mails


async def test_a_token_for_another_link_or_holder_is_refused(session, juan, maria, pedro, juans_link, tmp_path):
    pedros = await link(session, pedro, OTHER_SUPPLY, tmp_path, poder=True)  # Quiroga, the holder, has no account
    marias_own = await link(session, maria, MARIA_SUPPLY, tmp_path)
    juans_own = await link(session, juan, JUAN_SUPPLY, tmp_path)
    for link_id, holder_id in (
        (pedros.id, maria.id),  # María does not hold that supply
        (juans_link.id, pedro.id),  # nor does Pedro hold María's
        (marias_own.id, maria.id),  # the holder's own link is nobody else's
        (juans_own.id, juan.id),
        (10_000, maria.id),  # no such link
        (juans_link.id, 10_000),  # no such account
    ):
        token = disputes.sign(link_id=link_id, holder_user_id=holder_id, now=NOW)
        with pytest.raises(InvalidDispute):
            await disputes.dispute(session=session, token=token, now=LATER)
    assert await _dispute_items(session) == []


async def test_a_disabled_holder_account_cannot_dispute(session, maria, juans_link):
    token = _token_in((await _holder_mail(session, maria)).body)
    maria.status = UserStatus.DISABLED
    session.add(maria)
    await session.commit()
    with pytest.raises(InvalidDispute):
        await disputes.dispute(session=session, token=token, now=LATER)
