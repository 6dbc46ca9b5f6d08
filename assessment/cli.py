"""Management commands behind ``python run.py ...``.

Each command takes the session and the parsed arguments, changes things through the
operations, and prints what it did; ``run(app, command, args)`` migrates the database
first and runs the command in one transaction (assessment/transaction.py), so a refused
command changes nothing (exit status 2); e-mail and files follow the commit.
"""
from __future__ import annotations

import getpass
import os
import re
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import current_app, g
from flask_babel import force_locale
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import generate_password_hash

from rubrics import RubricError

from . import audit, outbox
from .extensions import db
from .first_start import announce_password, prepare
from .models import Period, RubricEdition, User, WorkUnit
from .models.types import utcnow
from .models.units import LEVELS, WIB
from .operations import OperationError
from .operations.notices import send_deadline_reminders
from .operations.periods import archive_period, delete_period, extend_deadline, open_period
from .operations.season import period_state
from .operations.tokens import create_token
from .progress import STATUSES, count_statuses, unit_rows
from .registry import RegistryError, import_units
from .roster import (RosterError, account_problems, add_account, credentials_workbook,
                     generate_password, import_roster, password_problem, unit_levels)
from .rubric_store import store_rubric
from .spreadsheets import SpreadsheetError
from .transaction import after_commit, after_rollback, transaction
from .uploads import sweep

EXIT_FAILED, EXIT_BAD_INPUT = 1, 2
BY = "command line"


class CommandError(Exception):
    """Bad input for a command; the message names the file, row or option."""


def run(app, command, args) -> int:
    """Migrate, run ``command(session, args)`` in one transaction, commit; 2 on bad input,
    1 when e-mail queued by the command could not be sent, else what the command returns."""
    try:
        password = prepare(app)
    except SQLAlchemyError as exc:
        print(f"error: the database cannot be used: {type(exc).__name__}: {exc}"[:500],
              file=sys.stderr)
        return EXIT_FAILED
    if password:
        announce_password(app, password)
    with app.app_context():
        try:
            # no request: messages of operations in the msgid language
            with force_locale("en"), transaction(db.session):
                code = command(db.session, args)
            return _mail_failures() or code or 0
        except (CommandError, OperationError, RegistryError, RosterError, RubricError,
                SpreadsheetError) as exc:
            print(f"error: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        finally:
            db.session.remove()
            db.engine.dispose()


def _mail_failures() -> int:
    """Report the e-mails the outbox could not send after the command's commit."""
    failures = g.pop("mail_failures", [])
    for failure in failures:
        print(f"error: e-mail not sent (retried later): {failure}", file=sys.stderr)
    return EXIT_FAILED if failures else 0


# -- helpers ---------------------------------------------------------------------------

def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def parse_wib(text: str, option: str) -> datetime:
    """'2025-08-21 23:59' (or 23.59) in WIB -> an aware UTC datetime."""
    match = re.fullmatch(r"\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2})[:.](\d{2})\s*", text or "")
    try:
        if not match:
            raise ValueError
        day = datetime.strptime(match[1], "%Y-%m-%d")
        local = day.replace(hour=int(match[2]), minute=int(match[3]), tzinfo=WIB)
    except ValueError:
        raise CommandError(f"{option}: {text!r} is not a date and time like "
                           "'2025-08-21 23:59' (WIB)") from None
    return local.astimezone(timezone.utc)


def show_wib(value: datetime) -> str:
    return value.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")


def get_period(session, slug: str) -> Period:
    period = session.query(Period).filter_by(slug=slug).first()
    if period is None:
        known = ", ".join(s for (s,) in session.query(Period.slug).order_by(Period.slug)) or "none"
        raise CommandError(f"unknown period {slug!r} (periods: {known})")
    return period


def get_user(session, username: str) -> User:
    user = session.query(User).filter_by(username=username).first()
    if user is None:
        raise CommandError(f"unknown user {username!r}")
    return user


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, atomically (it holds passwords)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- users -----------------------------------------------------------------------------

def users_create(session, args) -> None:
    row = {"username": args.username.strip().lower(), "role": args.role,
           "unit_code": (args.unit or "").strip(), "name": (args.name or "").strip(),
           "email": (args.email or "").strip()}
    options = {"username": "USERNAME", "role": "--role", "unit_code": "--unit",
               "email": "--email", "name": "--name"}
    taken = {u for (u,) in session.query(User.username).filter_by(username=row["username"])}
    problems = account_problems(row, unit_levels(session), taken)
    if problems:
        raise CommandError("\n".join(f"{options[col]}: {msg}" for col, msg in problems))
    password = generate_password() if args.generate_password else ask_password(row["username"])
    user = add_account(session, row, generate_password_hash(password), by=BY,
                       one_time=args.generate_password)
    unit = f" for unit {user.unit_code}" if user.unit_code else ""
    print(f"User {user.username!r} ({user.role}){unit} created.")
    if args.generate_password:
        print(f"One-time password (shown once, change it after the first login): {password}")


def ask_password(username: str) -> str:
    first = getpass.getpass(f"Password for {username}: ")
    problem = password_problem(first, username)
    if problem:
        raise CommandError(problem)
    if getpass.getpass("Repeat the password: ") != first:
        raise CommandError("the two passwords differ")
    return first


def users_import(session, args) -> None:
    roster = Path(args.file)
    out = Path(args.out) if args.out else roster.with_name(f"{roster.stem}-passwords.xlsx")
    if out.suffix.lower() != ".xlsx":
        raise CommandError(f"--out {out}: the password list is written as .xlsx")
    if out.exists():
        raise CommandError(f"{out} already exists; move it away or choose another --out "
                           "(it may hold passwords not yet handed out)")
    if not out.parent.is_dir():
        raise CommandError(f"{out}: the folder {out.parent} does not exist")
    limit = current_app.config["XLSX_MAX_ROWS"]
    credentials = import_roster(session, roster.name, read_file(roster), limit)
    write_private(out, credentials_workbook(credentials))
    # the accounts exist only if the command commits, and so may their passwords
    after_rollback(lambda: out.unlink(missing_ok=True), session)
    print(f"{len(credentials)} accounts created; their one-time passwords are in {out} "
          "(readable by you only: hand them out and delete the file)")


# -- rubrics, periods, units -------------------------------------------------------------

def rubric_load(session, args) -> None:
    path = Path(args.file)
    data = read_file(path)
    existing = {e for (e,) in session.query(RubricEdition.id)}
    try:
        edition = store_rubric(session, data, path.name)
    except RubricError:
        raise
    except ValueError as exc:  # the id is taken by other content
        raise CommandError(str(exc)) from None
    if edition.id in existing:
        print(f"Rubric {edition.id!r} is already loaded with identical content; nothing changed.")
        return
    audit.record("rubric.load", edition, rubric=edition.id, sha256=edition.sha256,
                 file=path.name, by=BY)
    print(f"Rubric {edition.id!r} loaded: {edition.title} (sha256 {edition.sha256[:12]}...)")


def period_open(session, args) -> None:
    levels = [lvl.strip() for lvl in args.levels.split(",") if lvl.strip()]
    unknown = [lvl for lvl in levels if lvl not in LEVELS]
    if unknown or not levels:
        raise CommandError(f"--levels: {', '.join(unknown) or '(empty)'} is not a level; "
                           f"use a comma-separated list of {', '.join(LEVELS)}")
    if session.get(RubricEdition, args.rubric) is None:
        known = ", ".join(i for (i,) in session.query(RubricEdition.id)) or "none"
        raise CommandError(f"--rubric: unknown rubric {args.rubric!r} (loaded: {known}; "
                           "load one with 'run.py rubric load FILE.yaml')")
    if not args.title.strip():
        raise CommandError("--title: is empty")
    period = open_period(session, slug=_slug(args.slug), title=args.title.strip(),
                         rubric_id=args.rubric, opens_at=parse_wib(args.opens, "--opens"),
                         closes_at=parse_wib(args.closes, "--closes"), levels=levels)
    print(f"Period {period.slug!r} opened: {period.title}; {show_wib(period.opens_at)} to "
          f"{show_wib(period.closes_at)}; levels {', '.join(levels)}")


def _slug(slug: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,79}", slug):
        raise CommandError(f"SLUG: {slug!r} must be lower-case letters, digits and '-' "
                           "(it is used in addresses), e.g. bakohumas-2025")
    return slug


def period_extend(session, args) -> None:
    period = get_period(session, args.slug)
    unit = args.unit.strip() if args.unit else None
    if unit and session.get(WorkUnit, unit) is None:
        raise CommandError(f"--unit: unknown unit {unit!r}")
    ext = extend_deadline(session, period, parse_wib(args.closes, "--closes"), args.reason,
                          user=None, unit_code=unit, confirm=args.confirm)
    who = f"unit {unit}" if unit else "every unit"
    print(f"Deadline of {period.slug!r} for {who} changed to {show_wib(ext.closes_at)}.")


def period_archive(session, args) -> None:
    period = archive_period(session, get_period(session, args.slug), args.reason, user=None)
    print(f"Period {period.slug!r} archived: no reminders, nothing in it can be changed.")


def period_delete(session, args) -> None:
    period = get_period(session, args.slug)
    slug = period.slug
    delete_period(session, period, args.reason, user=None)
    print(f"Period {slug!r} deleted (its audit log entries stay).")


def units_import(session, args) -> None:
    path = Path(args.file)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise CommandError(f"{path}: give a .csv or .xlsx file")
    added, updated = import_units(session, path.name, read_file(path))
    audit.record("units.import", None, file=path.name, added=added, updated=updated, by=BY)
    print(f"{path.name}: {added} units added, {updated} updated.")


# -- status ------------------------------------------------------------------------------

def status(session, args) -> None:
    periods = [get_period(session, args.slug)] if args.slug else \
        session.query(Period).order_by(Period.opens_at).all()
    if not periods:
        print("No periods yet; open one with 'run.py period open'.")
    for period in periods:
        print("\n".join(period_status(session, period)))


def period_status(session, period: Period, now: datetime | None = None) -> list[str]:
    """A small table: per level, how many units have not started, are in draft, were
    returned by the judges, have submitted (counted as the dashboards count them)."""
    season = period_state(period, now)
    closes = season.closes_for(None)
    state = ("not yet open" if not season.opened else "open" if season.open else "closed")
    own = sum(1 for e in period.extensions if e.unit_code)
    lines = [f"{period.slug}: {period.title} (rubric {period.rubric_id}) - {state}; "
             f"stage {season.stage}",
             f"  opens {show_wib(period.opens_at)}, closes {show_wib(closes)}"
             + (" (extended)" if closes != period.closes_at else "")
             + (f"; {own} extension(s) for single units" if own else ""),
             f"  {'level':<10}{'units':>7}" + "".join(f"{s.replace('_', ' '):>13}" for s in STATUSES)]
    rows = unit_rows(session, period)
    levels = [lvl for lvl in LEVELS if lvl in period.levels] + ["total"]
    for level in levels:
        counts = count_statuses([r for r in rows if level in ("total", r["level"])])
        lines.append(f"  {level:<10}{counts['total']:>7}" + "".join(f"{counts[s]:>13}" for s in STATUSES))
    return lines


# -- tokens and reminders ------------------------------------------------------------------

def token_create(session, args) -> None:
    user = get_user(session, args.username)
    if not user.active:
        raise CommandError(f"user {user.username!r} is deactivated")
    if args.days is not None and args.days < 1:
        raise CommandError("--days: must be at least 1")
    expires = utcnow() + timedelta(days=args.days) if args.days else None
    name = (args.name or "").strip() or "command line"
    token, secret = create_token(session, user, name, expires_at=expires)
    until = f", valid until {show_wib(token.expires_at)}" if token.expires_at else ", no expiry"
    # the token alone on stdout (for scripts); the explanation on stderr
    print(f"API token {name!r} for {user.username}{until}. It is shown once:", file=sys.stderr)
    print(secret)


def reminders(session, args) -> None:
    """Add the due deadline reminders; after the commit they are e-mailed, and so is any
    notice whose earlier e-mail failed and is due again."""
    sent = send_deadline_reminders(session, utcnow())
    count = sent if isinstance(sent, int) else len(sent)
    print(f"{count} deadline reminder(s) sent.")
    mail_send(session, args)


def mail_send(session, args) -> None:
    """E-mail the notices in the outbox that are due, after the command's commit."""
    app = current_app._get_current_object()

    def send():
        report = outbox.deliver(app)
        print(f"{report.sent} e-mail(s) sent.")
        g.setdefault("mail_failures", []).extend(report.failures)
    after_commit(send, session)


def files_sweep(session, args) -> None:
    """Remove stored files that no row refers to, and stale temporary files."""
    removed = sweep(session, current_app.config["UPLOAD_DIR"], dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for path, why in removed:
        print(f"{verb} {path} ({why})")
    print(f"{len(removed)} file(s) {verb}.")
