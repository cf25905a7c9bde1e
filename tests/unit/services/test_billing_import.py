"""Billing import: valid files, every bad line reported with nothing imported, idempotent re-import, updates."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from autogestion.models import Invoice, Supply
from autogestion.services.billing_import import ImportFailed, import_billing

SUPPLY_HEADER = "suministro,estado,grupo_tarifario,titular,tipo_documento,documento,estado_cobranza,domicilio"
INVOICE_HEADER = "suministro,numero,periodo,emision,vencimiento,importe,estado,consumo_kwh"
SUPPLY_OK = '2000380655,0,DT1 (TRA-RSD),Juan Perez,DNI,20.123.456,SUSP-TRAM,"Av. Libertador 1234 (O), Capital"'
SUPPLY_OK_2 = "2000412873,0,DT1 (TRA-RSD),María Gómez,DNI,27345678,NORMAL,Calle Mendoza 850 (S)"
INVOICE_OK = "2000380655,0012-00345678,2026-10,2026-11-05,2026-11-20,12345.67,impaga,345"
INVOICE_OK_2 = "2000380655,0012-00345679,2026-09,2026-10-05,2026-10-20,9876.5,pagada,300"


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def counts(session) -> tuple[int, int]:
    supplies = (await session.exec(select(func.count()).select_from(Supply))).one()
    invoices = (await session.exec(select(func.count()).select_from(Invoice))).one()
    return supplies, invoices


async def test_good_files_are_imported(session, tmp_path):
    supplies = write(tmp_path, "suministros.csv", SUPPLY_HEADER, SUPPLY_OK, SUPPLY_OK_2)
    invoices = write(tmp_path, "facturas.csv", INVOICE_HEADER, INVOICE_OK, INVOICE_OK_2)

    report = await import_billing(session=session, supplies_csv=supplies, invoices_csv=invoices)
    await session.commit()

    assert (report.supplies_created, report.invoices_created) == (2, 2)
    supply = await session.get(Supply, "2000380655")
    assert supply.holder_doc_number == "20123456"  # dots stripped, as registration stores documents
    assert supply.address == "Av. Libertador 1234 (O), Capital"
    invoice = (await session.exec(select(Invoice).where(Invoice.number == "0012-00345678"))).one()
    assert (invoice.amount_cents, invoice.due_on, invoice.status, invoice.consumption_kwh) == (
        1234567,
        date(2026, 11, 20),
        "impaga",
        345,
    )
    other = (await session.exec(select(Invoice).where(Invoice.number == "0012-00345679"))).one()
    assert other.amount_cents == 987650


async def test_invoices_alone_for_supplies_already_in_the_database(session, tmp_path):
    await import_billing(
        session=session, supplies_csv=write(tmp_path, "s.csv", SUPPLY_HEADER, SUPPLY_OK), invoices_csv=None
    )
    await session.commit()
    report = await import_billing(
        session=session, supplies_csv=None, invoices_csv=write(tmp_path, "f.csv", INVOICE_HEADER, INVOICE_OK)
    )
    await session.commit()
    assert report.invoices_created == 1


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("20003806A5,0012-1,2026-10,2026-11-05,2026-11-20,10.00,impaga,1", "N° de suministro inválido"),
        ("1234567890123,0012-1,2026-10,2026-11-05,2026-11-20,10.00,impaga,1", "N° de suministro inválido"),
        ("２０００３８０６５５,0012-1,2026-10,2026-11-05,2026-11-20,10.00,impaga,1", "N° de suministro inválido"),
        ("2000380655,0012-1,2026-13,2026-11-05,2026-11-20,10.00,impaga,1", "periodo inválido"),
        ("2000380655,0012-1,10/2026,2026-11-05,2026-11-20,10.00,impaga,1", "periodo inválido"),
        ("2000380655,0012-1,2026-10,05/11/2026,2026-11-20,10.00,impaga,1", "emisión inválida"),
        ("2000380655,0012-1,2026-10,2026-02-30,2026-11-20,10.00,impaga,1", "no existe esa fecha"),
        ("2000380655,0012-1,2026-10,2026-11-05,20261120,10.00,impaga,1", "vencimiento inválida"),
        ("2000380655,0012-1,2026-10,2026-11-05,2026-11-01,10.00,impaga,1", "anterior a la emisión"),
        ('2000380655,0012-1,2026-10,2026-11-05,2026-11-20,"12.345,67",impaga,1', "importe inválido"),
        ("2000380655,0012-1,2026-10,2026-11-05,2026-11-20,-5.00,impaga,1", "importe inválido"),
        ("2000380655,0012-1,2026-10,2026-11-05,2026-11-20,10.001,impaga,1", "importe inválido"),
        ("2000380655,0012-1,2026-10,2026-11-05,2026-11-20,1e3,impaga,1", "importe inválido"),
        ("2000380655,0012-1,2026-10,2026-11-05,2026-11-20,99999999.99,impaga,1", "fuera de rango"),
        ("2000380655,0012-1,2026-10,2026-11-05,2026-11-20,10.00,vencida,1", "estado inválido"),
        ("2000380655,0012-1,2026-10,2026-11-05,2026-11-20,10.00,Pagada,1", "estado inválido"),
        ("2000380655,0012-1,2026-10,2026-11-05,2026-11-20,10.00,impaga,-3", "consumo_kwh inválido"),
        ("2000380655,0012-1,2026-10,2026-11-05,2026-11-20,10.00,impaga,3.5", "consumo_kwh inválido"),
        ("2000380655,0012 1,2026-10,2026-11-05,2026-11-20,10.00,impaga,1", "N° de factura inválido"),
        ("2000380655,0012-1,2026-10,2026-11-05,2026-11-20,10.00,impaga", "se esperaban 8 columnas"),
        ("2000380655,0012-00345678,2026-10,2026-11-05,2026-11-20,10.00,impaga,1", "repetida (línea 2)"),
        ("2999999999,0012-1,2026-10,2026-11-05,2026-11-20,10.00,impaga,1", "el suministro 2999999999 no existe"),
    ],
)
async def test_a_bad_invoice_line_imports_nothing(session, tmp_path, row, reason):
    supplies = write(tmp_path, "suministros.csv", SUPPLY_HEADER, SUPPLY_OK)
    invoices = write(tmp_path, "facturas.csv", INVOICE_HEADER, INVOICE_OK, row)

    with pytest.raises(ImportFailed) as failure:
        await import_billing(session=session, supplies_csv=supplies, invoices_csv=invoices)
    await session.commit()

    assert len(failure.value.errors) == 1
    assert failure.value.errors[0].startswith("facturas.csv, línea 3: ")
    assert reason in failure.value.errors[0]
    assert await counts(session) == (0, 0)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("ABC,0,DT1,Juan Perez,DNI,20123456,NORMAL,Calle 1", "N° de suministro inválido"),
        ("2000380656,0,DT1,,DNI,20123456,NORMAL,Calle 1", "falta titular"),
        ("2000380656,0,DT1,Juan Perez,DNX,20123456,NORMAL,Calle 1", "tipo_documento desconocido"),
        ("2000380656,0,DT1,Juan Perez,DNI,2012345A,NORMAL,Calle 1", "documento '2012345A' inválido"),
        ("2000380656,0,DT1,Juan Perez,CUIT,20123456780,NORMAL,Calle 1", "inválido"),
        ('2000380656,0,DT1,"Juan\x1b[31m Perez",DNI,20123456,NORMAL,Calle 1', "caracteres de control"),
        ("2000380656,0,DT1,Juan Perez,DNI,20123456,NORMAL," + "x" * 201, "más de 200 caracteres"),
        ("2000380655,0,DT1,Juan Perez,DNI,20123456,NORMAL,Calle 1", "repetido (línea 2)"),
        ("2000380656,0,DT1,Juan Perez,DNI,20123456", "se esperaban 8 columnas"),
    ],
)
async def test_a_bad_supply_line_imports_nothing(session, tmp_path, row, reason):
    supplies = write(tmp_path, "suministros.csv", SUPPLY_HEADER, SUPPLY_OK, row)
    invoices = write(tmp_path, "facturas.csv", INVOICE_HEADER, INVOICE_OK)

    with pytest.raises(ImportFailed) as failure:
        await import_billing(session=session, supplies_csv=supplies, invoices_csv=invoices)
    await session.commit()

    assert [e for e in failure.value.errors if "línea 3" in e and reason in e], failure.value.errors
    assert await counts(session) == (0, 0)


async def test_every_bad_line_is_reported_with_its_number(session, tmp_path):
    supplies = write(tmp_path, "suministros.csv", SUPPLY_HEADER, SUPPLY_OK, "X,0,DT1,A,DNI,20123456,N,C")
    invoices = write(
        tmp_path,
        "facturas.csv",
        INVOICE_HEADER,
        INVOICE_OK,
        "2000380655,0012-2,2026-10,2026-11-05,2026-11-20,abc,impaga,1",
        "",
        "2000380655,0012-3,2026-10,2026-11-05,2026-11-20,1.00,impaga,1",
        "2000380655,0012-4,2026-10,2026-11-05,2026-11-20,1.00,nose,1",
        "2777777777,0012-5,2026-10,2026-11-05,2026-11-20,1.00,impaga,1",
    )

    with pytest.raises(ImportFailed) as failure:
        await import_billing(session=session, supplies_csv=supplies, invoices_csv=invoices)

    lines = [e.split(":")[0] for e in failure.value.errors]
    assert lines == [
        "suministros.csv, línea 3",
        "facturas.csv, línea 3",
        "facturas.csv, línea 6",
        "facturas.csv, línea 7",
    ]
    assert "4 líneas con errores" in failure.value.message
    assert await counts(session) == (0, 0)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"suministro;numero;periodo;emision;vencimiento;importe;estado;consumo_kwh\n",
        b"suministro,numero,periodo,emision,vencimiento,importe,estado\n",
        b"numero,suministro,periodo,emision,vencimiento,importe,estado,consumo_kwh\n",
        INVOICE_HEADER.encode() + b"\n2000380655,0012-1,2026-10,2026-11-05,2026-11-20,1.00,impaga,\xff\n",
        INVOICE_HEADER.encode() + b'\n2000380655,"0012-1,2026-10\n',
    ],
    ids=["empty", "semicolons", "missing-column", "reordered", "not-utf8", "open-quote"],
)
async def test_malformed_files_are_refused(session, tmp_path, content):
    await import_billing(
        session=session, supplies_csv=write(tmp_path, "s.csv", SUPPLY_HEADER, SUPPLY_OK), invoices_csv=None
    )
    await session.commit()
    path = tmp_path / "facturas.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFailed) as failure:
        await import_billing(session=session, supplies_csv=None, invoices_csv=path)

    assert failure.value.errors and all(e.startswith("facturas.csv") for e in failure.value.errors)
    assert await counts(session) == (1, 0)


async def test_a_bom_and_crlf_line_ends_are_accepted(session, tmp_path):
    path = tmp_path / "suministros.csv"
    path.write_bytes(("\ufeff" + SUPPLY_HEADER + "\r\n" + SUPPLY_OK + "\r\n").encode("utf-8"))
    report = await import_billing(session=session, supplies_csv=path, invoices_csv=None)
    assert report.supplies_created == 1


async def test_reimport_is_idempotent(session, tmp_path):
    supplies = write(tmp_path, "suministros.csv", SUPPLY_HEADER, SUPPLY_OK, SUPPLY_OK_2)
    invoices = write(tmp_path, "facturas.csv", INVOICE_HEADER, INVOICE_OK, INVOICE_OK_2)
    await import_billing(session=session, supplies_csv=supplies, invoices_csv=invoices)
    await session.commit()
    ids_before = set((await session.exec(select(Invoice.id))).all())

    report = await import_billing(session=session, supplies_csv=supplies, invoices_csv=invoices)
    await session.commit()

    assert (report.supplies_created, report.invoices_created) == (0, 0)
    assert (report.supplies_updated, report.invoices_updated) == (2, 2)
    assert await counts(session) == (2, 2)
    assert set((await session.exec(select(Invoice.id))).all()) == ids_before


async def test_reimport_updates_changed_rows_and_keeps_invoice_ids(session, tmp_path):
    supplies = write(tmp_path, "suministros.csv", SUPPLY_HEADER, SUPPLY_OK)
    invoices = write(tmp_path, "facturas.csv", INVOICE_HEADER, INVOICE_OK)
    await import_billing(session=session, supplies_csv=supplies, invoices_csv=invoices)
    await session.commit()
    invoice_id = (await session.exec(select(Invoice.id))).one()

    changed_supply = SUPPLY_OK.replace("SUSP-TRAM", "NORMAL")
    changed_invoice = INVOICE_OK.replace("impaga", "pagada").replace("12345.67", "12000")
    new_invoice = "2000380655,0012-00345680,2026-11,2026-12-05,2026-12-22,15000.00,impaga,400"
    report = await import_billing(
        session=session,
        supplies_csv=write(tmp_path, "s2.csv", SUPPLY_HEADER, changed_supply),
        invoices_csv=write(tmp_path, "f2.csv", INVOICE_HEADER, changed_invoice, new_invoice),
    )
    await session.commit()
    session.expunge_all()

    assert report.invoices_created == 1
    assert (await session.get(Supply, "2000380655")).collection_status == "NORMAL"
    invoice = await session.get(Invoice, invoice_id)
    assert (invoice.status, invoice.amount_cents) == ("pagada", 1200000)
    assert await counts(session) == (1, 2)


async def test_100000_invoices_import_well_under_a_minute(session, tmp_path):
    supply_lines = [
        f"{3000000000 + i},0,DT1 (TRA-RSD),Titular {i},DNI,{20000000 + i},NORMAL,Calle {i}" for i in range(2000)
    ]
    invoice_lines = [
        f"{3000000000 + i % 2000},0012-{i:08d},{2020 + i // 24000}-{i // 2000 % 12 + 1:02d},2024-01-05,2024-01-20,"
        f"{1000 + i % 50000}.{i % 100:02d},pagada,{i % 900}"
        for i in range(100_000)
    ]
    supplies = write(tmp_path, "suministros.csv", SUPPLY_HEADER, *supply_lines)
    invoices = write(tmp_path, "facturas.csv", INVOICE_HEADER, *invoice_lines)

    started = time.perf_counter()
    report = await import_billing(session=session, supplies_csv=supplies, invoices_csv=invoices)
    await session.commit()
    elapsed = time.perf_counter() - started

    assert report.invoices_created == 100_000
    assert elapsed < 30, f"import took {elapsed:.1f} s"
