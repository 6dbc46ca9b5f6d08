"""Import the work-unit registry from CSV or XLSX, all or nothing.

Required columns: code, name, level, province_code, time_zone. Optional: exists_from and
exists_until (YYYY-MM-DD: the unit exists from that day, and no longer from that day),
former_name with renamed_on (the name used before renamed_on), and successor_code (the unit
that took over an ended unit's region under a new code); empty cells mean none."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from .models import WorkUnit
from .models.units import LEVELS, TIME_ZONES
from .spreadsheets import SpreadsheetError, read_xlsx_rows
from .text import TextInvalid, clean_table

COLUMNS = ("code", "name", "level", "province_code", "time_zone")
DATE_COLUMNS = ("exists_from", "exists_until", "renamed_on")
OPTIONAL = DATE_COLUMNS[:2] + ("former_name", "renamed_on", "successor_code")
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
        try:
            table = clean_table(list(csv.reader(io.StringIO(text))),
                                lambda r, c: f"row {r}, column {c}")
        except TextInvalid as exc:
            raise RegistryError(f"{filename}: {exc}") from None
    if not table:
        raise RegistryError(f"{filename}: the file is empty")
    header = [str(h or "").strip().lower() for h in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RegistryError(f"{filename}: row 1: missing columns {', '.join(missing)}")
    present = COLUMNS + tuple(c for c in OPTIONAL if c in header)
    return [{c: _cell(row, header.index(c)) for c in present}
            for row in table[1:] if any(str(v or "").strip() for v in row)]


def _cell(row, index: int) -> str:
    value = row[index] if index < len(row) else None
    if isinstance(value, date):          # an XLSX date cell
        return value.strftime("%Y-%m-%d")
    return str(value if value is not None else "").strip()


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


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
        for column in DATE_COLUMNS:
            try:
                _date(row.get(column, "")[:10])
            except ValueError:
                problems.append(f"{where}, {column}: {row[column]!r} is not a date (YYYY-MM-DD)")
        if bool(row.get("former_name")) != bool(row.get("renamed_on")):
            problems.append(f"{where}, former_name: give former_name and renamed_on together")
    known = codes | existing
    for n, row in enumerate(rows, start=2):
        if row["province_code"] and row["province_code"] not in known:
            problems.append(f"{filename}: row {n}, province_code: unknown unit {row['province_code']!r}")
        successor = row.get("successor_code")
        if successor and successor not in known:
            problems.append(f"{filename}: row {n}, successor_code: unknown unit {successor!r}")
        elif successor and successor == row["code"]:
            problems.append(f"{filename}: row {n}, successor_code: a unit cannot succeed itself")
        elif successor and not row.get("exists_until"):
            problems.append(f"{filename}: row {n}, successor_code: give exists_until, the day "
                            "the unit ended")
    if problems:
        raise RegistryError("\n".join(problems))


def import_units(session, filename: str, data: bytes) -> tuple[int, int]:
    """Add or update units from a file; returns (added, updated). Nothing changes on error."""
    rows = read_rows(filename, data)
    # every unit at once (a few hundred): one query instead of a session.get per row
    units = {unit.code: unit for unit in session.query(WorkUnit)}
    validate(filename, rows, set(units))
    added = updated = 0
    # provinces first, so a regency's parent exists when it is flushed; ended units last,
    # after their successors
    for row in sorted(rows, key=lambda r: (bool(r["province_code"]),
                                           bool(r.get("successor_code")))):
        unit = units.get(row["code"])
        if unit is None:
            unit = units[row["code"]] = WorkUnit(code=row["code"])
            session.add(unit)
            added += 1
        else:
            updated += 1
        unit.name, unit.level, unit.time_zone = row["name"], row["level"], row["time_zone"]
        unit.province_code = row["province_code"] or None
        for column in ("exists_from", "exists_until"):   # a file without the column keeps them
            if column in row:
                setattr(unit, column, _date(row[column][:10]))
        if "successor_code" in row:
            unit.successor_code = row["successor_code"] or None
        if row.get("former_name"):
            unit.former_names = [{"name": row["former_name"], "until": row["renamed_on"][:10]}]
    session.flush()
    return added, updated


def load_default(session) -> int:
    """Load the shipped registry into an empty table: 553 units today, and the 26 that
    ended in 2022 (the Papua regencies' former codes, linked to their successors)."""
    added, _ = import_units(session, DEFAULT_FILE.name, DEFAULT_FILE.read_bytes())
    return added
