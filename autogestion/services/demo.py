"""Demo billing data for a fresh install: San Juan supplies with two years of monthly invoices (idempotent)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from pydantic import BaseModel
from sqlmodel import select

from autogestion.clock import local_today
from autogestion.models import Invoice, InvoiceStatus, Supply
from autogestion.services.billing_import import upsert_invoices, upsert_supplies
from autogestion.services.formatting import format_date, format_money, format_period

MONTHS = 24
INVOICE_POINT_OF_SALE = "0012"

# (number, estado, grupo tarifario, titular, doc type, doc number, estado cobranza, domicilio, base kWh, debtor)
_SUPPLIES = (
    (
        "2000380655",
        "0",
        "DT1 (TRA-RSD)",
        "Juan Perez",
        "DNI",
        "20123456",
        "SUSP-TRAM",
        "Av. Libertador Gral. San Martín 1234 (O), Capital, San Juan",
        310,
        True,
    ),
    (
        "2000412873",
        "0",
        "DT1 (TRA-RSD)",
        "María Fernanda Gómez",
        "DNI",
        "27345678",
        "NORMAL",
        "Calle Mendoza 850 (S), Capital, San Juan",
        260,
        False,
    ),
    (
        "2000157420",
        "0",
        "DT1 (TRA-RSD)",
        "Carlos Alberto Quiroga",
        "DNI",
        "17456789",
        "NORMAL",
        "Av. Ignacio de la Roza 2350 (O), Rivadavia, San Juan",
        380,
        False,
    ),
    (
        "2000298811",
        "0",
        "DT1 (TRA-RSD)",
        "Lucía Belén Sánchez",
        "DNI",
        "33567890",
        "NORMAL",
        "Calle Tucumán 456 (N), Rawson, San Juan",
        220,
        False,
    ),
    (
        "2000523067",
        "0",
        "DT1 (TRA-RSD)",
        "Jorge Luis Castro",
        "DNI",
        "22678901",
        "NORMAL",
        "Av. Benavídez 3200 (O), Chimbas, San Juan",
        290,
        True,
    ),
    (
        "2000634155",
        "0",
        "DT1 (TRA-RSD)",
        "Ana María Videla",
        "DNI",
        "25789012",
        "NORMAL",
        "Av. Hipólito Yrigoyen 1580 (E), Santa Lucía, San Juan",
        240,
        False,
    ),
    (
        "2000745210",
        "0",
        "DT1 (TRA-GRL)",
        "Almacén Don Pedro S.R.L.",
        "CUIT",
        "30712345671",
        "NORMAL",
        "Calle General Acha 975 (S), Capital, San Juan",
        520,
        False,
    ),
    (
        "2000856302",
        "0",
        "DT1 (TRA-RSD)",
        "Roberto Daniel Fernández",
        "DNI",
        "14890123",
        "NORMAL",
        "Calle Aberastain 2450 (S), Pocito, San Juan",
        330,
        False,
    ),
    (
        "2000967418",
        "0",
        "DT1 (TRA-RSD)",
        "Silvina Andrea Ortiz",
        "DNI",
        "29901234",
        "NORMAL",
        "Av. Rawson 1120 (S), Rawson, San Juan",
        200,
        False,
    ),
    (
        "2001078526",
        "0",
        "DT1 (TRA-RSD)",
        "Martín Ezequiel Díaz",
        "DNI",
        "36012345",
        "NORMAL",
        "Calle Santa María de Oro 760 (E), Rivadavia, San Juan",
        270,
        False,
    ),
    (
        "2001189634",
        "0",
        "DT1 (TRA-RSD)",
        "Graciela Noemí Moya",
        "DNI",
        "11123456",
        "NORMAL",
        "Calle Las Heras 1345 (N), Chimbas, San Juan",
        180,
        False,
    ),
    (
        "2001290742",
        "0",
        "DT1 (TRA-RSD)",
        "Pablo Sebastián Agüero",
        "DNI",
        "31234567",
        "NORMAL",
        "Calle Colón 2100 (O), Santa Lucía, San Juan",
        300,
        False,
    ),
)
# San Juan: air conditioning makes summer the peak, electric heating a smaller winter bump.
_SEASON = {1: 1.55, 2: 1.45, 3: 1.15, 4: 0.85, 5: 0.9, 6: 1.1, 7: 1.15, 8: 1.0, 9: 0.8, 10: 0.85, 11: 1.1, 12: 1.4}


class DemoInvoice(BaseModel):
    """One invoice a newcomer can use to pass the quiz."""

    number: str
    period: str  # "11/2026"
    amount: str  # "$ 12.345,67"
    due_on: str  # dd/mm/aaaa
    status: str


class DemoInfo(BaseModel):
    """What the README needs to tell a newcomer how to link a demo supply."""

    supply_number: str
    holder_name: str
    holder_doc_type: str
    holder_doc_number: str
    last_invoices: list[DemoInvoice]  # newest first: the last and the penultimate
    other_supply_number: str  # a supply whose holder is not Juan Perez (to link as apoderado)
    other_holder_name: str
    other_holder_doc_type: str
    other_holder_doc_number: str
    supplies_created: int
    invoices_created: int


def _working_day(day: date, *, forward: bool = True) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1 if forward else -1)
    return day


def _periods(today: date) -> list[tuple[str, date, date]]:
    """The last MONTHS periods already invoiced by today: (aaaa-mm, issued, due), oldest first."""
    result = []
    year, month = today.year, today.month
    while len(result) < MONTHS:
        # Period p is issued on the 5th (working day) of the next month and due 15 days later.
        issue_year, issue_month = (year, month + 1) if month < 12 else (year + 1, 1)
        issued = _working_day(date(issue_year, issue_month, 5))
        if issued <= today:
            due = _working_day(issued + timedelta(days=15))
            result.append((f"{year:04d}-{month:02d}", issued, due))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(result))


def _invoice_rows(index: int, supply: tuple, today: date) -> list[dict]:
    number, *_, base_kwh, debtor = supply
    # Seeded by the supply number: the same demo data on every run and every machine.
    rng = random.Random(int(number))
    periods = _periods(today)
    rows = []
    for position, (period, issued, due) in enumerate(periods):
        month = int(period[5:])
        kwh = max(40, int(base_kwh * _SEASON[month] * rng.uniform(0.88, 1.12)))
        # Prices rise over the two years (inflation and tariff updates), like real bills do.
        price_cents = 7_500 + 160 * position + rng.randint(-150, 150)
        fixed_cents = 520_000 + 9_000 * position
        amount = fixed_cents + kwh * price_cents + rng.randint(0, 99)
        months_ago = len(periods) - 1 - position
        if due >= today:
            status = InvoiceStatus.UNPAID  # the current bill is not due yet
        elif debtor and months_ago <= 3:
            status = InvoiceStatus.UNPAID  # a few months in arrears (hence SUSP-TRAM)
        else:
            status = InvoiceStatus.PAID if rng.random() > 0.03 else InvoiceStatus.UNPAID
        sequence = (index + 1) * 1_000_000 + int(period[:4]) * 12 + month
        rows.append(
            {
                "supply_number": number,
                "number": f"{INVOICE_POINT_OF_SALE}-{sequence:08d}",
                "period": period,
                "issued_on": issued,
                "due_on": due,
                "amount_cents": amount,
                "status": status,
                "consumption_kwh": kwh,
            }
        )
    return rows


async def seed_demo(*, session, today: date | None = None) -> DemoInfo:
    """Create the demo supplies and their invoices; rows that exist are left as they are.

    Args:
        session: An open session; the caller commits.
        today: The date the two years end at; defaults to today in Argentina.

    Returns:
        The demo supply (the manual's 2000380655, holder Juan Perez, DNI 20123456), its last two invoices,
        and a supply of another holder.
    """
    today = today or local_today()
    supplies = [
        {
            "number": s[0],
            "status": s[1],
            "tariff_group": s[2],
            "holder_name": s[3],
            "holder_doc_type": s[4],
            "holder_doc_number": s[5],
            "collection_status": s[6],
            "address": s[7],
        }
        for s in _SUPPLIES
    ]
    invoices = [row for index, supply in enumerate(_SUPPLIES) for row in _invoice_rows(index, supply, today)]
    # update=False: a re-run must not undo what happened since (payments, an import of real data).
    supplies_created = await upsert_supplies(session, supplies, update=False)
    invoices_created = await upsert_invoices(session, invoices, update=False)

    main, other = _SUPPLIES[0], _SUPPLIES[1]
    last_two = (
        await session.exec(
            select(Invoice)
            .where(Invoice.supply_number == main[0])
            .order_by(Invoice.issued_on.desc(), Invoice.period.desc(), Invoice.number.desc())
            .limit(2)
        )
    ).all()
    supply = await session.get(Supply, main[0])
    other_supply = await session.get(Supply, other[0])
    return DemoInfo(
        supply_number=supply.number,
        holder_name=supply.holder_name,
        holder_doc_type=supply.holder_doc_type,
        holder_doc_number=supply.holder_doc_number,
        last_invoices=[
            DemoInvoice(
                number=inv.number,
                period=format_period(inv.period),
                amount=format_money(inv.amount_cents),
                due_on=format_date(inv.due_on),
                status=inv.status,
            )
            for inv in last_two
        ],
        other_supply_number=other_supply.number,
        other_holder_name=other_supply.holder_name,
        other_holder_doc_type=other_supply.holder_doc_type,
        other_holder_doc_number=other_supply.holder_doc_number,
        supplies_created=supplies_created,
        invoices_created=invoices_created,
    )
