"""Demo billing data: the manual's supply, two years of plausible invoices, idempotent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import select

from autogestion.models import Invoice, Supply
from autogestion.services.demo import seed_demo

TODAY = date(2026, 11, 28)


async def test_seed_demo_creates_the_manuals_supply_and_two_years_of_invoices(session):
    info = await seed_demo(session=session, today=TODAY)
    await session.commit()

    assert (info.supply_number, info.holder_name, info.holder_doc_type, info.holder_doc_number) == (
        "2000380655",
        "Juan Perez",
        "DNI",
        "20123456",
    )
    supply = await session.get(Supply, "2000380655")
    assert (supply.status, supply.tariff_group, supply.collection_status) == ("0", "DT1 (TRA-RSD)", "SUSP-TRAM")
    assert info.other_holder_doc_number != info.holder_doc_number
    assert info.supplies_created >= 12 and info.invoices_created == info.supplies_created * 24
    assert [i.period for i in info.last_invoices] == ["10/2026", "09/2026"]
    assert all(i.amount.startswith("$ ") for i in info.last_invoices)

    invoices = (await session.exec(select(Invoice))).all()
    assert all(100_000 <= i.amount_cents <= 15_000_000 for i in invoices)
    assert all(i.number[:5] == "0012-" and len(i.number) == 13 for i in invoices)
    assert any(i.status == "impaga" and i.due_on < TODAY for i in invoices)  # some overdue
    assert any(i.status == "pagada" for i in invoices)
    addresses = " ".join(s.address for s in (await session.exec(select(Supply))).all())
    for department in ("Capital", "Rivadavia", "Rawson", "Chimbas", "Santa Lucía"):
        assert department in addresses


async def test_seed_demo_is_idempotent(session):
    await seed_demo(session=session, today=TODAY)
    await session.commit()
    again = await seed_demo(session=session, today=TODAY)
    await session.commit()

    assert (again.supplies_created, again.invoices_created) == (0, 0)
    assert (await session.exec(select(func.count()).select_from(Invoice))).one() == again.invoices_created + 12 * 24


async def test_a_later_run_adds_only_the_new_months(session):
    await seed_demo(session=session, today=TODAY)
    await session.commit()
    later = await seed_demo(session=session, today=date(2026, 12, 20))
    assert later.invoices_created == 12
    assert later.last_invoices[0].period == "11/2026"
