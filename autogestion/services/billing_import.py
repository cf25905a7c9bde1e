"""Import of supplies and invoices from the distributor's commercial system (CSV), all-or-nothing, by bulk upsert."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, func, or_
from sqlmodel import select

from autogestion.db import dialect_insert
from autogestion.models import Invoice, InvoiceStatus, Supply, new_id
from autogestion.services.errors import DomainError, ValidationError
from autogestion.services.validation import normalize_document

SUPPLY_COLUMNS = (
    "suministro",
    "estado",
    "grupo_tarifario",
    "titular",
    "tipo_documento",
    "documento",
    "estado_cobranza",
    "domicilio",
)
INVOICE_COLUMNS = ("suministro", "numero", "periodo", "emision", "vencimiento", "importe", "estado", "consumo_kwh")

# The commercial system's document types mapped onto the codes accounts store (validation.DOC_TYPES), so a
# holder's document compares equal to the registered user's.
DOC_TYPE_ALIASES = {
    "DNI": "DNI",
    "LE": "LE",
    "LC": "LC",
    "CI": "CI",
    "PAS": "PAS",
    "PASAPORTE": "PAS",
    "CUIT": "CUIT",
    "CUIL": "CUIT",
}

# [0-9], never \d: \d also matches Arabic-Indic and full-width digits (SECURITY.md bad input 2).
SUPPLY_NUMBER = re.compile(r"[0-9]{1,12}")
_INVOICE_NUMBER = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,19}")
_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AMOUNT = re.compile(r"([0-9]{1,9})(?:\.([0-9]{1,2}))?")
_KWH = re.compile(r"[0-9]{1,10}")
# amount_cents and consumption_kwh are INTEGER columns (32-bit on PostgreSQL).
_INT32_MAX = 2**31 - 1
_TEXT_LIMITS = {"estado": 20, "grupo_tarifario": 40, "titular": 120, "estado_cobranza": 20, "domicilio": 200}
# Rows per statement: large enough to amortise round trips, small enough to bound memory per call.
CHUNK_ROWS = 5000
# Numbers per IN (...) lookup, well under SQLite's and asyncpg's parameter limits.
_LOOKUP_CHUNK = 500


class ImportReport(BaseModel):
    """What an import did."""

    supplies_in_file: int = 0
    supplies_created: int = 0
    invoices_in_file: int = 0
    invoices_created: int = 0

    @property
    def supplies_updated(self) -> int:
        """Rows of the file that were already in the database (updated when they changed)."""
        return self.supplies_in_file - self.supplies_created

    @property
    def invoices_updated(self) -> int:
        """Rows of the file that were already in the database (updated when they changed)."""
        return self.invoices_in_file - self.invoices_created


class ImportFailed(DomainError):
    """At least one line is wrong; nothing was imported. `errors` lists every bad line."""

    def __init__(self, errors: list[str]) -> None:
        noun = "línea con errores" if len(errors) == 1 else "líneas con errores"
        super().__init__(f"No se importó nada: {len(errors)} {noun}.")
        self.errors = errors


class _LineError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _read_rows(path: Path, columns: Sequence[str], errors: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, stripped fields) of each data row; append file-level problems to errors."""
    label = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(f"{label}: no se pudo leer el archivo ({exc.strerror or exc}).")
        return
    try:
        # utf-8-sig: spreadsheets often prepend a BOM, which would otherwise break the header.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.append(f"{label}, línea {line}: el archivo no está en UTF-8.")
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=",", quotechar='"', strict=True)
    previous_end = 0
    header_seen = False
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader cannot resynchronise after a malformed quote or a NUL: stop at this line.
            errors.append(f"{label}, línea {reader.line_num}: CSV mal formado ({exc}).")
            return
        start, previous_end = previous_end + 1, reader.line_num
        if not header_seen:
            header_seen = True
            if [cell.strip() for cell in row] != list(columns):
                errors.append(
                    f"{label}, línea {start}: los encabezados tienen que ser exactamente "
                    f"{','.join(columns)} (se leyó {','.join(row)[:200]!r})."
                )
                return
            continue
        if not row or all(not cell.strip() for cell in row):
            continue  # blank lines (a trailing newline, an empty spreadsheet row) carry no data
        if len(row) != len(columns):
            errors.append(f"{label}, línea {start}: se esperaban {len(columns)} columnas y hay {len(row)}.")
            continue
        yield start, [cell.strip() for cell in row]
    if not header_seen:
        errors.append(f"{label}, línea 1: el archivo está vacío (falta la fila de encabezados).")


def _text(value: str, column: str, *, required: bool) -> str:
    if required and not value:
        raise _LineError(f"falta {column}")
    if len(value) > _TEXT_LIMITS.get(column, 200):
        raise _LineError(f"{column} tiene más de {_TEXT_LIMITS.get(column, 200)} caracteres")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise _LineError(f"{column} tiene caracteres de control")
    return unicodedata.normalize("NFC", value)


def _supply_number(value: str) -> str:
    if not SUPPLY_NUMBER.fullmatch(value):
        raise _LineError(f"N° de suministro inválido {value[:30]!r} (de 1 a 12 dígitos)")
    return value


def _document(doc_type: str, number: str) -> tuple[str, str]:
    kind = DOC_TYPE_ALIASES.get(doc_type.upper())
    if kind is None:
        raise _LineError(f"tipo_documento desconocido {doc_type[:20]!r} (DNI, LE, LC, CI, PASAPORTE, CUIT o CUIL)")
    try:
        # The same canonical form registration stores, so holder and user documents compare equal.
        return kind, normalize_document(kind, number)
    except ValidationError as exc:
        raise _LineError(f"documento {number[:20]!r} inválido: {exc.message}") from None


def _iso_date(value: str, column: str) -> date:
    if not _ISO_DATE.fullmatch(value):
        raise _LineError(f"{column} inválida {value[:20]!r} (formato aaaa-mm-dd)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _LineError(f"{column} inválida {value!r} (no existe esa fecha)") from None


def _amount_cents(value: str) -> int:
    match = _AMOUNT.fullmatch(value)
    if not match:
        raise _LineError(
            f"importe inválido {value[:20]!r} (número ≥ 0 con punto decimal y hasta 2 decimales, p. ej. 12345.67)"
        )
    cents = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents > _INT32_MAX:
        raise _LineError(f"importe fuera de rango {value!r}")
    return cents


def _parse_supply(fields: list[str]) -> dict[str, Any]:
    record = dict(zip(SUPPLY_COLUMNS, fields, strict=False))
    doc_type, doc_number = _document(record["tipo_documento"], record["documento"])
    return {
        "number": _supply_number(record["suministro"]),
        "status": _text(record["estado"], "estado", required=False),
        "tariff_group": _text(record["grupo_tarifario"], "grupo_tarifario", required=False),
        "holder_name": _text(record["titular"], "titular", required=True),
        "holder_doc_type": doc_type,
        "holder_doc_number": doc_number,
        "collection_status": _text(record["estado_cobranza"], "estado_cobranza", required=False),
        "address": _text(record["domicilio"], "domicilio", required=False),
    }


def _parse_invoice(fields: list[str]) -> dict[str, Any]:
    record = dict(zip(INVOICE_COLUMNS, fields, strict=False))
    number = record["numero"]
    if not _INVOICE_NUMBER.fullmatch(number):
        raise _LineError(f"N° de factura inválido {number[:30]!r} (hasta 20 letras, números o guiones)")
    if not _PERIOD.fullmatch(record["periodo"]):
        raise _LineError(f"periodo inválido {record['periodo'][:20]!r} (formato aaaa-mm)")
    issued = _iso_date(record["emision"], "emisión")
    due = _iso_date(record["vencimiento"], "vencimiento")
    if due < issued:
        raise _LineError("el vencimiento es anterior a la emisión")
    if record["estado"] not in (InvoiceStatus.PAID, InvoiceStatus.UNPAID):
        raise _LineError(f"estado inválido {record['estado'][:20]!r} (pagada o impaga)")
    if not _KWH.fullmatch(record["consumo_kwh"]) or int(record["consumo_kwh"]) > _INT32_MAX:
        raise _LineError(f"consumo_kwh inválido {record['consumo_kwh'][:20]!r} (número entero ≥ 0)")
    return {
        "supply_number": _supply_number(record["suministro"]),
        "number": number,
        "period": record["periodo"],
        "issued_on": issued,
        "due_on": due,
        "amount_cents": _amount_cents(record["importe"]),
        "status": record["estado"],
        "consumption_kwh": int(record["consumo_kwh"]),
    }


def parse_supplies(path: Path, errors: list[str]) -> tuple[list[dict[str, Any]], set[str]]:
    """Validate a suministros file.

    Args:
        path: The CSV file.
        errors: Bad lines are appended here ("archivo, línea N: motivo").

    Returns:
        The valid rows as column dicts, and every well-formed supply number of the file (even on bad lines,
        so invoices of a supply whose line has another error are not reported twice).
    """
    rows: list[dict[str, Any]] = []
    numbers: dict[str, int] = {}
    for line, fields in _read_rows(path, SUPPLY_COLUMNS, errors):
        number = fields[0]
        if SUPPLY_NUMBER.fullmatch(number):
            if number in numbers:
                first = numbers[number]
                errors.append(f"{path.name}, línea {line}: el suministro {number} está repetido (línea {first}).")
                continue
            numbers[number] = line
        try:
            rows.append(_parse_supply(fields))
        except _LineError as exc:
            errors.append(f"{path.name}, línea {line}: {exc.reason}.")
    return rows, set(numbers)


def parse_invoices(path: Path, errors: list[str]) -> list[dict[str, Any]]:
    """Validate a facturas file (the supply check against the database is done by import_billing).

    Args:
        path: The CSV file.
        errors: Bad lines are appended here ("archivo, línea N: motivo").

    Returns:
        The valid rows as column dicts, each with its "_line" for later checks.
    """
    rows: list[dict[str, Any]] = []
    numbers: dict[str, int] = {}
    for line, fields in _read_rows(path, INVOICE_COLUMNS, errors):
        number = fields[1]
        if number in numbers:
            first = numbers[number]
            errors.append(f"{path.name}, línea {line}: la factura {number[:20]} está repetida (línea {first}).")
            continue
        numbers[number] = line
        try:
            row = _parse_invoice(fields)
        except _LineError as exc:
            errors.append(f"{path.name}, línea {line}: {exc.reason}.")
            continue
        row["_line"] = line
        rows.append(row)
    return rows


async def _upsert(session, table: Table, rows: list[dict[str, Any]], *, update: bool) -> None:
    if not rows:
        return
    insert = dialect_insert(session)
    stmt = insert(table)
    # Both tables are keyed by their business number; an invoice's id (used in links) never changes.
    changeable = [c.name for c in table.columns if c.name not in ("id", "number")]
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=["number"],
            set_={name: stmt.excluded[name] for name in changeable},
            # Unchanged rows are not rewritten: a daily full re-import must not bloat PostgreSQL with dead tuples.
            where=or_(*(table.c[name].is_distinct_from(stmt.excluded[name]) for name in changeable)),
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["number"])
    for start in range(0, len(rows), CHUNK_ROWS):
        await session.exec(stmt, params=rows[start : start + CHUNK_ROWS])


async def upsert_supplies(session, rows: list[dict[str, Any]], *, update: bool = True) -> int:
    """Insert or update supplies in bulk (keyed by number).

    Args:
        session: The caller's session; nothing is committed here.
        rows: Dicts with Supply's columns.
        update: False leaves existing rows untouched (demo data must not undo changes made since).

    Returns:
        How many rows were new.
    """
    table: Table = Supply.__table__  # type: ignore[attr-defined]
    before = await _count(session, Supply)
    await _upsert(session, table, rows, update=update)
    return await _count(session, Supply) - before


async def upsert_invoices(session, rows: list[dict[str, Any]], *, update: bool = True) -> int:
    """Insert or update invoices in bulk (keyed by number; a new row gets a random id).

    Args:
        session: The caller's session; nothing is committed here.
        rows: Dicts with Invoice's columns except id (extra keys starting with "_" are ignored).
        update: False leaves existing rows untouched.

    Returns:
        How many rows were new.
    """
    table: Table = Invoice.__table__  # type: ignore[attr-defined]
    clean = [{"id": new_id(), **{k: v for k, v in row.items() if not k.startswith("_")}} for row in rows]
    before = await _count(session, Invoice)
    await _upsert(session, table, clean, update=update)
    return await _count(session, Invoice) - before


async def _count(session, model) -> int:
    return (await session.exec(select(func.count()).select_from(model))).one()


async def _missing_supplies(session, numbers: set[str]) -> set[str]:
    missing = set(numbers)
    ordered = sorted(numbers)
    for start in range(0, len(ordered), _LOOKUP_CHUNK):
        chunk = ordered[start : start + _LOOKUP_CHUNK]
        found = await session.exec(select(Supply.number).where(Supply.number.in_(chunk)))
        missing.difference_update(found.all())
    return missing


async def import_billing(*, session, supplies_csv: Path | None, invoices_csv: Path | None) -> ImportReport:
    """Validate both files completely, then upsert them; a single bad line imports nothing.

    Re-importing the same files changes nothing; a changed row updates the stored one. The caller commits
    (the CLI runs this inside ``db.session_scope()``).

    Args:
        session: An open session.
        supplies_csv: suministros file (suministro,estado,grupo_tarifario,titular,tipo_documento,documento,
            estado_cobranza,domicilio), or None.
        invoices_csv: facturas file (suministro,numero,periodo,emision,vencimiento,importe,estado,consumo_kwh),
            or None. Each invoice's supply must be in the database or in supplies_csv.

    Returns:
        Counts of rows read and created.

    Raises:
        ImportFailed: With one message per bad line ("facturas.csv, línea 12: importe inválido …").
    """
    supply_errors: list[str] = []
    invoice_errors: list[str] = []
    supplies: list[dict[str, Any]] = []
    supply_numbers: set[str] = set()
    invoices: list[dict[str, Any]] = []
    if supplies_csv is not None:
        # Parsing 100,000 lines is CPU work: keep it off the event loop.
        supplies, supply_numbers = await asyncio.to_thread(parse_supplies, Path(supplies_csv), supply_errors)
    if invoices_csv is not None:
        invoices = await asyncio.to_thread(parse_invoices, Path(invoices_csv), invoice_errors)
        referenced = {row["supply_number"] for row in invoices} - supply_numbers
        missing = await _missing_supplies(session, referenced) if referenced else set()
        if missing:
            label = Path(invoices_csv).name
            for row in invoices:
                if row["supply_number"] in missing:
                    invoice_errors.append(
                        f"{label}, línea {row['_line']}: el suministro {row['supply_number']} no existe "
                        "(ni en la base ni en el archivo de suministros)."
                    )
            # People read the report line by line: merge the late supply check into line order.
            invoice_errors.sort(key=_line_of)
    if supply_errors or invoice_errors:
        raise ImportFailed(supply_errors + invoice_errors)
    report = ImportReport(supplies_in_file=len(supplies), invoices_in_file=len(invoices))
    report.supplies_created = await upsert_supplies(session, supplies)
    report.invoices_created = await upsert_invoices(session, invoices)
    return report


def _line_of(message: str) -> int:
    match = re.search(r", línea ([0-9]+)", message)
    return int(match.group(1)) if match else 0
