"""Management commands through ``run.main([...])`` on the test database: each one's
success, its refusals (exit 2, a message naming the option/file/row, nothing changed)."""
from __future__ import annotations

import csv
import io
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import Workbook, load_workbook

import run
from assessment.extensions import db
from assessment.models import (AuditLog, DeadlineExtension, Period, RubricEdition, Submission,
                               User, WorkUnit)
from assessment.models.types import utcnow
from rubrics import default_rubric_path
from reports.indonesian import WIB





def count(session, model, **where):
    return session.query(model).filter_by(**where).count()


# -- users create ----------------------------------------------------------------------------

def test_create_user_with_generated_password(cli, session):
    code, out, err = cli("users", "create", "Op-33.74", "--role", "operator", "--unit", "33.74",
                         "--name", "Operator Semarang", "--email", "humas@kota-semarang.test",
                         "--generate-password")
    assert code == 0, err
    password = out.split("login): ")[1].split()[0]
    user = session.query(User).filter_by(username="op-33.74").one()
    assert (user.role, user.unit_code, user.name, user.email) == \
        ("operator", "33.74", "Operator Semarang", "humas@kota-semarang.test")
    assert user.check_password(password) and len(password) >= 10
    entry = session.query(AuditLog).filter_by(action="user.create", object_id=str(user.id)).one()
    assert entry.detail["by"] == "command line"


def test_create_user_prompts_twice_for_the_password(cli, session, monkeypatch, auth):
    answers = iter(["rahasia-semarang-1", "rahasia-semarang-1"])
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or next(answers))
    code, out, err = cli("users", "create", "penilai9", "--role", "judge", "--unit", "33")
    assert code == 0, err
    assert len(prompts) == 2 and "rahasia" not in out
    assert auth.login("penilai9", "rahasia-semarang-1").status_code == 302


@pytest.mark.parametrize("typed, message", [
    (["pendek", "pendek"], "at least 10 characters"),
    (["rahasia-satu-1", "rahasia-dua-22"], "the two passwords differ"),
    (["operator-99", "operator-99"], None),  # accepted, for contrast
])
def test_interactive_password_rules(cli, session, monkeypatch, typed, message):
    answers = iter(typed)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _out, err = cli("users", "create", "op-35", "--role", "operator", "--unit", "35")
    if message is None:
        assert code == 0 and count(session, User, username="op-35") == 1
    else:
        assert code == 2 and message in err
        assert count(session, User, username="op-35") == 0


@pytest.mark.parametrize("args, fragment", [
    (["op-x", "--role", "operator"], "--unit: an operator needs the code of its unit"),
    (["op-x", "--role", "operator", "--unit", "99.99"], "--unit: unknown unit '99.99'"),
    (["mon-x", "--role", "monitor", "--unit", "33.74"], "--unit: a monitor watches a province"),
    (["mon-x", "--role", "monitor"], "--unit: a monitor needs the code of its province"),
    (["boss", "--role", "admin", "--unit", "33"], "--unit: an administrator is not bound"),
    (["admin", "--role", "admin"], "USERNAME: 'admin' is already taken"),
    (["bad name!", "--role", "judge"], "USERNAME: 'bad name!' is not a valid username"),
    (["judge-x", "--role", "judge", "--email", "nope"], "--email: 'nope' is not an e-mail"),
])
def test_create_user_refuses_bad_roles_and_units(cli, session, args, fragment):
    users = count(session, User)
    code, _out, err = cli("users", "create", *args, "--generate-password")
    assert code == 2
    assert fragment in err
    assert count(session, User) == users


def test_monitor_of_a_province_and_judge_without_unit_are_accepted(cli, session):
    assert cli("users", "create", "monitor-33", "--role", "monitor", "--unit", "33",
               "--generate-password")[0] == 0
    assert cli("users", "create", "penilai-luar", "--role", "judge", "--generate-password")[0] == 0
    assert session.query(User).filter_by(username="penilai-luar").one().unit_code is None


def test_unknown_role_is_refused_by_the_parser(cli):
    with pytest.raises(SystemExit) as exc:
        cli("users", "create", "x1", "--role", "superuser")
    assert exc.value.code == 2


# -- users import ----------------------------------------------------------------------------

def roster(path, rows, header=("role", "username", "unit_code", "name", "email")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"   # typed as text in the roster, not a formula
    book.save(path)
    return path


def test_roster_import_creates_accounts_and_writes_passwords(cli, session, tmp_path):
    path = roster(tmp_path / "akun.xlsx", [
        ("operator", "op-33", 33, "Operator Jawa Tengah", "humas@jateng.test"),
        ("operator", "OP-33.74", 33.74, "Operator Kota Semarang", ""),    # a number in Excel
        ("monitor", "monitor-33", "33", "Pemantau Jawa Tengah", None),
        ("judge", "penilai7", None, "=HYPERLINK(\"x\")", None),          # text, not a formula
        ("admin", "biro-2", "", "Admin Kedua", ""),
    ])
    code, out, err = cli("users", "import", path)
    assert code == 0, err
    result = tmp_path / "akun-passwords.xlsx"
    assert "5 accounts created" in out and str(result) in out
    assert stat.S_IMODE(os.stat(result).st_mode) == 0o600
    sheet = load_workbook(result).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("username", "name", "role", "unit_code", "one-time password")
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"op-33", "op-33.74", "monitor-33", "penilai7", "biro-2"}
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None]
    assert cells and all(cell.data_type == "s" for cell in cells)
    assert by_name["penilai7"][1] == '=HYPERLINK("x")'
    semarang = session.query(User).filter_by(username="op-33.74").one()
    assert semarang.unit_code == "33.74" and semarang.check_password(by_name["op-33.74"][4])
    assert session.query(User).filter_by(username="penilai7").one().name == '=HYPERLINK("x")'
    assert count(session, AuditLog, action="user.create") >= 5


def test_roster_with_errors_reports_every_row_and_changes_nothing(cli, session, tmp_path, make_user):
    make_user(username="op-35", unit_code="35")
    path = roster(tmp_path / "akun.xlsx", [
        ("operator", "op-33", "33", "Baik", ""),
        ("penulis", "op-34", "34", "Peran salah", ""),
        ("operator", "op-36", "", "Tanpa satker", ""),
        ("operator", "op-35", "35", "Sudah ada", ""),
        ("operator", "op-33", "33", "Dua kali", "bukan-email"),
        ("monitor", "monitor-3374", "33.74", "Bukan provinsi", ""),
    ])
    users = count(session, User)
    code, out, err = cli("users", "import", path)
    assert code == 2
    for fragment in ("akun.xlsx: row 3, role: 'penulis'",
                     "akun.xlsx: row 4, unit_code: an operator needs",
                     "akun.xlsx: row 5, username: 'op-35' is already taken",
                     "akun.xlsx: row 6, username: 'op-33' is already taken",
                     "akun.xlsx: row 6, email: 'bukan-email'",
                     "akun.xlsx: row 7, unit_code: a monitor watches a province"):
        assert fragment in err
    assert "row 2" not in err
    assert count(session, User) == users
    assert not (tmp_path / "akun-passwords.xlsx").exists()


@pytest.mark.parametrize("content, fragment", [
    (b"username,role\nop-33,operator\n", "not an .xlsx workbook"),
    ("missing-column", "row 1: missing column(s) unit_code"),
])
def test_roster_that_is_not_a_roster_is_refused(cli, session, tmp_path, content, fragment):
    path = tmp_path / "akun.xlsx"
    if content == "missing-column":
        roster(path, [("operator", "op-33", "Nama", "")], header=("role", "username", "name", "email"))
    else:
        path.write_bytes(content)
    code, _out, err = cli("users", "import", path)
    assert code == 2 and fragment in err and "akun.xlsx" in err


def test_roster_import_never_overwrites_a_password_file(cli, session, tmp_path):
    path = roster(tmp_path / "akun.xlsx", [("operator", "op-33", "33", "", "")])
    (tmp_path / "lama.xlsx").write_bytes(b"passwords handed out last week")
    code, _out, err = cli("users", "import", path, "--out", tmp_path / "lama.xlsx")
    assert code == 2 and "already exists" in err
    assert (tmp_path / "lama.xlsx").read_bytes() == b"passwords handed out last week"
    assert count(session, User, username="op-33") == 0


def test_roster_row_limit(cli, tmp_path, monkeypatch):
    # the command builds its own app from Config
    monkeypatch.setattr("assessment.config.Config.XLSX_MAX_ROWS", 3)
    path = roster(tmp_path / "akun.xlsx", [("judge", f"penilai-{n}", "", "", "") for n in range(5)])
    code, _out, err = cli("users", "import", path)
    assert code == 2 and "more than 3 rows" in err


# -- rubric load -----------------------------------------------------------------------------

def test_rubric_load_new_identical_and_changed(cli, session, tmp_path):
    # the default (2026) edition is stored at first start, as is 2025 for its periods
    assert session.get(RubricEdition, "bakohumas-2025") is not None
    source = default_rubric_path().read_text(encoding="utf-8")
    code, out, _ = cli("rubric", "load", default_rubric_path())
    assert code == 0 and "identical content" in out
    new = tmp_path / "edisi-2027.yaml"
    new.write_text(source.replace("id: bakohumas-2026", "id: bakohumas-2027", 1), encoding="utf-8")
    code, out, _ = cli("rubric", "load", new)
    assert code == 0 and "'bakohumas-2027' loaded" in out
    assert session.get(RubricEdition, "bakohumas-2027").source == new.read_text(encoding="utf-8")
    assert count(session, AuditLog, action="rubric.load") == 1
    changed = tmp_path / "ubah.yaml"
    changed.write_text(source.replace("id: bakohumas-2026", "id: bakohumas-2027", 1)
                       .replace("weight: 5", "weight: 9", 1), encoding="utf-8")
    code, _out, err = cli("rubric", "load", changed)
    assert code == 2
    assert "ubah.yaml: rubric 'bakohumas-2027' is already loaded with other content" in err


def test_rubric_load_refuses_an_invalid_or_missing_file(cli, session, tmp_path):
    bad = tmp_path / "rusak.yaml"
    bad.write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    code, _out, err = cli("rubric", "load", bad)
    assert code == 2 and "rusak.yaml" in err
    code, _out, err = cli("rubric", "load", tmp_path / "tidak-ada.yaml")
    assert code == 2 and "tidak-ada.yaml: cannot be read" in err
    assert count(session, RubricEdition) == 2   # 2025 and 2026, stored at first start


# -- periods ---------------------------------------------------------------------------------

def open_args(slug="bakohumas-2025", **over):
    values = {"--title": "Penilaian Tata Kelola Bakohumas 2025", "--rubric": "bakohumas-2025",
              "--opens": "2025-08-01 08:00", "--closes": "2025-08-21 23:59"}
    values.update(over)
    return ["period", "open", slug] + [x for pair in values.items() for x in pair]


def test_period_open_stores_utc_from_wib(cli, session):
    code, out, err = cli(*open_args(**{"--levels": "provinsi"}))
    assert code == 0, err
    period = session.query(Period).filter_by(slug="bakohumas-2025").one()
    assert period.opens_at == datetime(2025, 8, 1, 1, 0, tzinfo=timezone.utc)
    assert period.closes_at == datetime(2025, 8, 21, 16, 59, tzinfo=timezone.utc)
    assert period.levels == ["provinsi"]
    assert "2025-08-21 23:59 WIB" in out
    assert count(session, AuditLog, action="period.open") == 1


@pytest.mark.parametrize("over, fragment", [
    ({"--opens": "1 Agustus 2025"}, "--opens: '1 Agustus 2025' is not a date and time"),
    ({"--closes": "2025-02-30 10:00"}, "--closes: '2025-02-30 10:00'"),
    ({"--closes": "2025-07-01 23:59"}, "closing time must be after the opening time"),
    ({"--rubric": "tidak-ada"}, "--rubric: unknown rubric 'tidak-ada'"),
    ({"--levels": "provinsi,desa"}, "--levels: desa is not a level"),
    ({"slug": "Bakohumas 2025"}, "SLUG: 'Bakohumas 2025' must be"),
])
def test_period_open_refusals(cli, session, over, fragment):
    over = dict(over)   # the parameter is shared by the database runs
    slug = over.pop("slug", "bakohumas-2025")
    code, _out, err = cli(*open_args(slug, **over))
    assert code == 2 and fragment in err
    assert count(session, Period) == 0


def test_period_open_refuses_a_slug_twice(cli, session, make_period):
    make_period()
    code, _out, err = cli(*open_args())
    assert code == 2 and "already exists" in err
    assert count(session, Period) == 1


def test_period_extend_for_everyone_and_one_unit(cli, session, make_period):
    period = make_period(closes=3)
    later = (period.closes_at + timedelta(days=7)).astimezone(WIB).replace(second=0, microsecond=0)
    code, out, err = cli("period", "extend", "bakohumas-2025", "--closes", f"{later:%Y-%m-%d %H:%M}",
                         "--reason", "Banjir di beberapa daerah", "--unit", "33.74")
    assert code == 0, err
    assert "for unit 33.74" in out
    ext = session.query(DeadlineExtension).one()
    assert (ext.unit_code, ext.closes_at, ext.reason) == ("33.74", later, "Banjir di beberapa daerah")
    code, out, err = cli("period", "extend", "bakohumas-2025", "--closes",
                         f"{later + timedelta(days=1):%Y-%m-%d %H:%M}", "--reason", "Gangguan server")
    assert code == 0 and "for every unit" in out
    assert count(session, AuditLog, action="period.extend") == 2


@pytest.mark.parametrize("args, fragment", [
    (["--closes", "2099-01-01 23:59", "--reason", "  "], "A reason is required"),
    (["--closes", "2000-01-01 23:59", "--reason", "Mundur"], "must be after the opening time"),
    (["--closes", "2000-01-01 23:59", "--reason", "Mundur", "--unit", "33.74"],
     "A unit's closing time cannot be earlier than everyone's"),
    (["--closes", "2099-01-01 23:59", "--reason", "x", "--unit", "77.77"], "--unit: unknown unit"),
])
def test_period_extend_refusals(cli, session, make_period, args, fragment):
    make_period()
    code, _out, err = cli("period", "extend", "bakohumas-2025", *args)
    assert code == 2 and fragment in err
    assert count(session, DeadlineExtension) == 0


def test_period_extend_unknown_period_names_the_known_ones(cli, make_period):
    make_period()
    code, _out, err = cli("period", "extend", "bakohumas-2024", "--closes", "2099-01-01 10:00",
                          "--reason", "x")
    assert code == 2 and "unknown period 'bakohumas-2024' (periods: bakohumas-2025)" in err


# -- status ----------------------------------------------------------------------------------

def test_status_counts_units_per_level(cli, session, make_period):
    period = make_period()
    for code, status in (("33", "submitted"), ("35", "draft"), ("33.74", "submitted"),
                         ("33.01", "draft"), ("33.02", "returned"), ("00", "draft")):
        session.add(Submission(period_id=period.id, unit_code=code, status=status, answers={}))
    session.commit()
    code, out, err = cli("status", "bakohumas-2025")
    assert code == 0, err
    table = {line.split()[0]: [int(n) for n in line.split()[1:]]
             for line in out.splitlines() if line.strip().split()[0] in ("provinsi", "kabkota", "total")}
    # units, not started, draft, returned, submitted (KPU RI does not take part)
    assert table["provinsi"] == [38, 36, 1, 0, 1]
    assert table["kabkota"] == [514, 511, 1, 1, 1]
    assert table["total"] == [552, 547, 2, 1, 2]
    assert "- open" in out


def test_status_without_periods_and_unknown_period(cli):
    code, out, _ = cli("status")
    assert code == 0 and "No periods yet" in out
    code, _out, err = cli("status", "tidak-ada")
    assert code == 2 and "unknown period 'tidak-ada'" in err


# -- units import ----------------------------------------------------------------------------

def units_csv(path, rows):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["code", "name", "level", "province_code", "time_zone"])
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_units_import_adds_and_updates(cli, session, tmp_path):
    path = units_csv(tmp_path / "satker.csv", [("33", "KPU Provinsi Jawa Tengah (baru)", "provinsi", "", "WIB"),
                                              ("33.99", "KPU Kabupaten Contoh", "kabkota", "33", "WIB")])
    code, out, err = cli("units", "import", path)
    assert code == 0, err
    assert "1 units added, 1 updated" in out
    assert session.get(WorkUnit, "33").name == "KPU Provinsi Jawa Tengah (baru)"
    assert session.get(WorkUnit, "33.99").province_code == "33"


def test_units_import_with_an_error_changes_nothing(cli, session, tmp_path):
    path = units_csv(tmp_path / "satker.csv", [("33", "Diubah", "provinsi", "", "WIB"),
                                              ("33.99", "Contoh", "kecamatan", "33", "WIB")])
    code, _out, err = cli("units", "import", path)
    assert code == 2 and "satker.csv: row 3, level: 'kecamatan'" in err
    assert session.get(WorkUnit, "33").name == "KPU Provinsi Jawa Tengah"
    assert session.get(WorkUnit, "33.99") is None
    code, _out, err = cli("units", "import", tmp_path / "satker.txt")
    assert code == 2 and "give a .csv or .xlsx file" in err


# -- tokens and reminders ----------------------------------------------------------------------

def test_token_create_prints_a_token_that_authenticates(cli, session, make_user, client):
    from assessment.operations.tokens import authenticate
    make_user()
    code, out, err = cli("token", "create", "op-33", "--name", "skrip uji", "--days", "30")
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("bkh_") and "\n" not in secret
    assert "shown once" in err and secret not in err
    assert authenticate(session, secret).username == "op-33"
    assert authenticate(session, secret + "x") is None
    if "api" in client.application.blueprints:   # written in parallel by another helper
        response = client.get("/api/v1/periods", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 200
    from assessment.models import ApiToken
    token = session.query(ApiToken).one()
    assert token.name == "skrip uji"
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)


@pytest.mark.parametrize("args, fragment", [
    (["tidak-ada"], "unknown user 'tidak-ada'"),
    (["op-33", "--days", "0"], "--days: must be at least 1"),
])
def test_token_create_refusals(cli, session, make_user, args, fragment):
    from assessment.models import ApiToken
    make_user()
    code, out, err = cli("token", "create", *args)
    assert code == 2 and fragment in err and out == ""
    assert count(session, ApiToken) == 0


def test_reminders_are_sent_once(cli, session, make_user, make_period):
    from assessment.models import Notice
    make_user()
    make_period(closes=3)
    code, out, err = cli("reminders")
    assert code == 0, err
    assert "1 deadline reminder(s) sent" in out
    assert count(session, Notice, kind="reminder") == 1
    code, out, _ = cli("reminders")
    assert "0 deadline reminder(s) sent" in out


# -- first start through a command -----------------------------------------------------------

def test_a_command_on_an_empty_database_migrates_seeds_and_prints_the_admin_password(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'baru.db'}")
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("ADMIN_PASSWORD_FILE", str(tmp_path / "admin-password.txt"))
    assert run.main(["status"]) == 0
    out = capsys.readouterr().out
    # not a terminal (cron mail, a log): the password goes to an owner-only file, not stdout
    assert "its one-time password is in" in out and "No periods yet" in out
    secret = (tmp_path / "admin-password.txt").read_text()
    password = secret.split("one-time password: ")[1].split()[0]
    assert password not in out
    app = run.make_app(SECRET_KEY="x")
    with app.app_context():
        assert db.session.query(WorkUnit).count() == 553 + 26     # and the 26 ended in 2022
        assert db.session.query(User).filter_by(username="admin").one().check_password(password)
        db.engine.dispose()
    assert run.main(["status"]) == 0
    assert "one-time password" not in capsys.readouterr().out


def test_an_unreachable_database_is_reported_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path))
    assert run.main(["status"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the database cannot be used: OperationalError")
