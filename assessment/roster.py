"""User accounts from the command line or an .xlsx roster: the role and unit rules,
all-or-nothing import, and the workbook of one-time passwords."""
from __future__ import annotations

import io
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor

from openpyxl import Workbook
from werkzeug.security import generate_password_hash

from reports.cells import text_cell

from . import audit
from .models import User, WorkUnit
from .models.users import ROLES
from .spreadsheets import SpreadsheetError, read_xlsx_rows

COLUMNS = ("username", "name", "email", "role", "unit_code")
MIN_PASSWORD = 10
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RosterError(ValueError):
    """Problems in a roster: one 'file: row N, column: message' line each."""


def generate_password() -> str:
    """A random one-time password (16 characters, about 96 bits)."""
    return secrets.token_urlsafe(12)


def password_problem(password: str, username: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"the password must have at least {MIN_PASSWORD} characters"
    if password.strip().lower() == username.lower():
        return "the password must not be the username"
    return None


def unit_levels(session) -> dict[str, str]:
    return {code: level for code, level in session.query(WorkUnit.code, WorkUnit.level)}


def account_problems(row: dict, units: dict[str, str], taken: set[str]) -> list[tuple[str, str]]:
    """(column, message) for each rule the account in ``row`` breaks: a free, well-formed
    username; a known role; operator bound to a unit, monitor to a province, judge
    optionally seconded from a unit, admin to none; a plausible e-mail address."""
    problems = []
    username, role, unit = row["username"], row["role"], row["unit_code"]
    if not USERNAME.match(username):
        problems.append(("username", f"{username!r} is not a valid username (2-80 characters: "
                                     "lower-case letters, digits, '.', '_', '-')"))
    elif username in taken:
        problems.append(("username", f"{username!r} is already taken"))
    if role not in ROLES:
        problems.append(("role", f"{role!r} is not one of {', '.join(ROLES)}"))
    problems += [("unit_code", message) for message in _unit_problems(role, unit, units)]
    if row["email"] and not EMAIL.match(row["email"]):
        problems.append(("email", f"{row['email']!r} is not an e-mail address"))
    if len(row["name"]) > 200:
        problems.append(("name", "is longer than 200 characters"))
    return problems


def _unit_problems(role: str, unit: str, units: dict[str, str]) -> list[str]:
    if role == "admin":
        return ["an administrator is not bound to a unit; leave it empty"] if unit else []
    if not unit:
        return {"operator": ["an operator needs the code of its unit"],
                "monitor": ["a monitor needs the code of its province"]}.get(role, [])
    if unit not in units:
        return [f"unknown unit {unit!r}"]
    if role == "monitor" and units[unit] != "provinsi":
        return [f"a monitor watches a province; {unit!r} is a {units[unit]} unit"]
    return []


def add_account(session, row: dict, password_hash: str, by: str, user=None,
                one_time: bool = False) -> User:
    """Create one account (the password already hashed) and record it in the audit log;
    ``one_time``: the password was generated and must be changed at the first login."""
    account = User(username=row["username"], name=row["name"] or row["username"],
                   email=row["email"], role=row["role"], unit_code=row["unit_code"] or None,
                   password_hash=password_hash, must_change_password=one_time)
    session.add(account)
    session.flush()
    audit.record("user.create", account, user=user, role=account.role,
                 unit_code=account.unit_code, by=by)
    return account


def read_roster(filename: str, data: bytes, max_rows: int) -> list[dict]:
    """The roster's rows as dicts of text, keyed by COLUMNS (header row, any column order)."""
    try:
        table = read_xlsx_rows(data, max_rows=max_rows)
    except SpreadsheetError as exc:
        raise RosterError(f"{filename}: {exc}") from None
    if not table:
        raise RosterError(f"{filename}: the first sheet is empty")
    header = [str(h or "").strip().lower() for h in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RosterError(f"{filename}: row 1: missing column(s) {', '.join(missing)} "
                          f"(the header row needs {', '.join(COLUMNS)})")
    where = {c: header.index(c) for c in COLUMNS}
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if any(str(v if v is not None else "").strip() for v in cells):
            row = {c: _text(cells[i] if i < len(cells) else None, c) for c, i in where.items()}
            rows.append(dict(row, row=number))
    if not rows:
        raise RosterError(f"{filename}: no accounts below the header row")
    return rows


def _text(value, column: str) -> str:
    # Excel turns unit codes typed without a text format into numbers: 33 or 33.74 (and
    # 33.10 into 33.1); Kemendagri codes have two digits per part, so they can be restored.
    if column == "unit_code" and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:02d}"
    if column == "unit_code" and isinstance(value, float):
        return f"{value:05.2f}"
    text = "" if value is None else str(value).strip()
    return text.lower() if column in ("username", "role") else text


def validate_roster(session, filename: str, rows: list[dict]) -> None:
    """Every problem of every row, or nothing."""
    units = unit_levels(session)
    taken = {name for (name,) in session.query(User.username)}
    problems = []
    for row in rows:
        for column, message in account_problems(row, units, taken):
            problems.append(f"{filename}: row {row['row']}, {column}: {message}")
        taken.add(row["username"])  # a second row with the same username is refused
    if problems:
        raise RosterError("\n".join(problems))


def import_roster(session, filename: str, data: bytes, max_rows: int,
                  user=None) -> list[tuple[dict, str]]:
    """Create every account of a roster with a generated one-time password; returns (row,
    password) pairs. Nothing is added when any row is wrong (RosterError lists them all)."""
    rows = read_roster(filename, data, max_rows)
    validate_roster(session, filename, rows)
    passwords = [generate_password() for _ in rows]
    # scrypt is slow on purpose and releases the GIL: hash in parallel
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        hashes = list(pool.map(generate_password_hash, passwords))
    for row, password_hash in zip(rows, hashes):
        add_account(session, row, password_hash, by=f"roster {filename} row {row['row']}",
                    user=user, one_time=True)
    return list(zip(rows, passwords))


def credentials_workbook(credentials: list[tuple[dict, str]]) -> bytes:
    """An .xlsx listing each new account and its one-time password, every cell as text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Akun")
    sheet.append([text_cell(sheet, h) for h in ("username", "name", "role", "unit_code",
                                                "one-time password")])
    for row, password in credentials:
        sheet.append([text_cell(sheet, v) for v in (row["username"], row["name"], row["role"],
                                                    row["unit_code"], password)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
