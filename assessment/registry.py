"""Import the work-unit registry from CSV or XLSX, all or nothing."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .models import WorkUnit
from .models.units import LEVELS, TIME_ZONES
from .spreadsheets import SpreadsheetError, read_xlsx_rows

COLUMNS = ("code", "name", "level", "province_code", "time_zone")
DEFAULT_FILE = Path(__file__).with_name("data") / "satker.csv"


class RegistryError(ValueError):
    """Problems in a registry file: a list of 'file: row N, column: message' lines."""


def read_rows(filename: str, data: bytes) -> list[dict]:
    """The rows of a CSV or XLSX registry file as dicts of text."""
    if filename.lower().endswith(".xlsx"):
        try:
            table = read_xlsx_rows(data, max_rows=5000)
        except SpreadsheetError as exc:
            raise RegistryError(f"{filename}: {exc}") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RegistryError(f"{filename}: not UTF-8 text") from None
        table = list(csv.reader(io.StringIO(text)))
    if not table:
        raise RegistryError(f"{filename}: the file is empty")
    header = [str(h or "").strip().lower() for h in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RegistryError(f"{filename}: row 1: missing columns {', '.join(missing)}")
    return [{c: str(row[header.index(c)] if header.index(c) < len(row) and
                    row[header.index(c)] is not None else "").strip() for c in COLUMNS}
            for row in table[1:] if any(str(v or "").strip() for v in row)]


def validate(filename: str, rows: list[dict], existing: set[str]) -> None:
    problems, codes = [], set()
    for n, row in enumerate(rows, start=2):
        where = f"{filename}: row {n}"
        if not row["code"]:
            problems.append(f"{where}, code: is empty")
        elif row["code"] in codes:
            problems.append(f"{where}, code: {row['code']!r} appears twice")
        codes.add(row["code"])
        if not row["name"]:
            problems.append(f"{where}, name: is empty")
        if row["level"] not in LEVELS:
            problems.append(f"{where}, level: {row['level']!r} is not one of {', '.join(LEVELS)}")
        if row["time_zone"] not in TIME_ZONES:
            problems.append(f"{where}, time_zone: {row['time_zone']!r} is not WIB, WITA or WIT")
    known = codes | existing
    for n, row in enumerate(rows, start=2):
        if row["province_code"] and row["province_code"] not in known:
            problems.append(f"{filename}: row {n}, province_code: unknown unit {row['province_code']!r}")
    if problems:
        raise RegistryError("\n".join(problems))


def import_units(session, filename: str, data: bytes) -> tuple[int, int]:
    """Add or update units from a file; returns (added, updated). Nothing changes on error."""
    rows = read_rows(filename, data)
    existing = {code for (code,) in session.query(WorkUnit.code)}
    validate(filename, rows, existing)
    added = updated = 0
    # provinces first, so a regency's parent exists when it is flushed
    for row in sorted(rows, key=lambda r: bool(r["province_code"])):
        unit = session.get(WorkUnit, row["code"])
        if unit is None:
            unit = WorkUnit(code=row["code"])
            session.add(unit)
            added += 1
        else:
            updated += 1
        unit.name, unit.level, unit.time_zone = row["name"], row["level"], row["time_zone"]
        unit.province_code = row["province_code"] or None
    session.flush()
    return added, updated


def load_default(session) -> int:
    """Load the shipped registry (553 units) into an empty table."""
    added, _ = import_units(session, DEFAULT_FILE.name, DEFAULT_FILE.read_bytes())
    return added
