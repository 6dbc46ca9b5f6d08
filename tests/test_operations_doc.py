"""docs/operations.md read as a new IT officer would, with every command in it run or named.

Every fenced shell command and every inline `bakohumas ...` command of the document is listed
here: the safe ones (run.py's subcommands) run, in the document's order, against a temporary
environment (an env file named by BAKOHUMAS_ENV, a SQLite DATABASE_URL, temporary UPLOAD_DIR
and CACHE_DIR and the backup folder); the ones that need root, systemd, apt, PostgreSQL's
administration or nginx are each named with the test or script that covers them. A command
added to the document and not to these tables fails the first test.

deploy/check-install.sh (the wheel into a fresh venv, config check, migrate, the systemd
units) runs in the slow test at the end."""
from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import run

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "operations.md"
BIN = "/opt/bakohumas/venv/bin/bakohumas"

# ---- the document's commands ----------------------------------------------------------------


def fenced_commands(text: str) -> list[str]:
    """The commands of the ```sh blocks: continuation lines joined, comments and blanks gone."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(re.sub(r"\s+", " ", line))
    return commands


def inline_commands(text: str) -> list[str]:
    """`bakohumas SUBCOMMAND ...` spans in the prose and tables (outside the fenced blocks)."""
    prose = re.sub(r"```sh\n.*?```", "", text, flags=re.S)
    return list(dict.fromkeys(re.findall(r"`(bakohumas [a-z][^`]*)`", prose)))


# fenced commands not run here, each with where it is covered
ROOT_ONLY = "needs root on the server; the folders it makes are temporary folders here"
WHEEL = "deploy/check-install.sh (tests/test_operations_doc.py::test_check_install_script)"
POSTGRES = ("PostgreSQL administration; restores into PostgreSQL: tests/test_operations_backup.py "
            "with TEST_DATABASE_URL")
NGINX = "tests/test_deploy_nginx.py runs deploy/nginx/bakohumas.conf in Debian's nginx"
SYSTEMD = ("systemd on the server; the units are checked by systemd-analyze verify in "
           "deploy/check-install.sh")
ELSEWHERE = [
    (r"^apt-get install", ".ci/run installs the Debian packages the tests need"),
    (r"^adduser ", ROOT_ONLY),
    (r"^install -d -o bakohumas", ROOT_ONLY),
    (r"^python3 -m venv /opt/bakohumas/venv$", WHEEL),
    (r"^/opt/bakohumas/venv/bin/pip (wheel|install) ", WHEEL),
    (r"^install -d /opt/bakohumas/deploy && cp -r deploy/\* gunicorn.conf.py", ROOT_ONLY),
    (r"^cp -r deploy/\* gunicorn.conf.py /opt/bakohumas/deploy/$", ROOT_ONLY),
    (r"^sudo -u postgres (createuser|createdb|dropdb) ", POSTGRES),
    (r"^install -o root -g bakohumas -m 0640 deploy/bakohumas.env.example", ROOT_ONLY
     + " (the example's settings: tests/test_operations_config.py)"),
    (r"^editor ", "interactive: the test writes its env file itself"),
    (r"^(cp /opt/bakohumas/deploy/nginx/|ln -s /etc/nginx/|nginx -t)", NGINX),
    (r"^(cp /opt/bakohumas/deploy/systemd/|systemctl |install -d /etc/systemd/journald)", SYSTEMD),
    (r"^cp /opt/bakohumas/deploy/journald/", SYSTEMD),
    (r"^cp /opt/bakohumas/deploy/logrotate/", ROOT_ONLY),
    (r"^curl -fsS https://bakohumas.kpu.go.id/healthz$",
     "tests/test_operations_availability.py and tests/test_deploy_nginx.py (/healthz)"),
    (r"^rm -r /var/lib/bakohumas/drill-berkas$", "the test's temporary folder goes with it"),
]


def where_covered(command: str) -> str | None:
    for pattern, reason in ELSEWHERE:
        if re.search(pattern, command):
            return reason
    return None


def runnable(command: str) -> bool:
    return BIN in command or command.startswith(("python3 -c ", "latest=$(ls -t "))


# inline commands: the placeholders filled in as the officer would fill them in
INLINE = {
    "bakohumas config check": ["config", "check"],
    "bakohumas migrate": ["migrate"],
    "bakohumas rubric load EDITION.yaml": ["rubric", "load", "{edition}"],
    "bakohumas period open SLUG --title ... --rubric ... --opens ... --closes ...":
        ["period", "open", "uji-2026", "--title", "Uji coba 2026", "--rubric", "bakohumas-2026",
         "--opens", "{yesterday}", "--closes", "{next_week}"],
    "bakohumas period extend SLUG --closes ... --reason ...":
        ["period", "extend", "uji-2026", "--closes", "{next_month}", "--reason",
         "Libur nasional"],
    "bakohumas period archive SLUG --reason ...":
        ["period", "archive", "uji-2026", "--reason", "Periode uji coba selesai"],
    "bakohumas users import ROSTER.xlsx": ["users", "import", "{roster}"],
    "bakohumas status": ["status"],
    "bakohumas reminders": ["reminders"],
    "bakohumas mail send": ["mail", "send"],
    "bakohumas files sweep --dry-run": ["files", "sweep", "--dry-run"],
    "bakohumas backup --dir /var/backups/bakohumas --keep 14":
        ["backup", "--dir", "/var/backups/bakohumas", "--keep", "14"],
}


def test_every_command_of_the_document_is_run_or_covered_elsewhere():
    text = DOC.read_text(encoding="utf-8")
    fenced = fenced_commands(text)
    assert len(fenced) >= 30, fenced
    unplaced = [c for c in fenced if not runnable(c) and where_covered(c) is None]
    assert not unplaced, f"commands of {DOC.name} neither run here nor covered elsewhere: {unplaced}"
    assert set(inline_commands(text)) == set(INLINE), (
        "inline commands of the document and INLINE differ: "
        f"{set(inline_commands(text)) ^ set(INLINE)}")


# ---- a temporary server: the env file, folders and the commands run as the document says ----

@dataclass
class Result:
    code: int
    out: str

    def __str__(self) -> str:
        return f"exit {self.code}:\n{self.out}"


@dataclass
class Server:
    """The temporary stand-ins for the server's paths."""

    root: Path

    @property
    def env_file(self) -> Path:
        return self.root / "etc" / "bakohumas.env"

    @property
    def lib(self) -> Path:
        return self.root / "var-lib-bakohumas"

    @property
    def backups(self) -> Path:
        return self.root / "var-backups-bakohumas"

    def translate(self, text: str) -> str:
        drill = f"sqlite:///{self.root}/drill.db"
        for old, new in [("postgresql+psycopg://bakohumas:PASSWORD@127.0.0.1/bakohumas_drill", drill),
                         ("/etc/bakohumas.env", str(self.env_file)),
                         ("/var/backups/bakohumas", str(self.backups)),
                         ("/var/lib/bakohumas", str(self.lib))]:
            text = text.replace(old, new)
        return text

    def bakohumas(self, argv: list[str], env: dict[str, str] | None = None) -> Result:
        """run.py's main() with the command's environment, as the console script runs it
        (stdin is no terminal, like systemd's); os.environ is put back afterwards."""
        saved = dict(os.environ)
        for name in ("DATABASE_URL", "SECRET_KEY", "UPLOAD_DIR", "CACHE_DIR", "REDIS_URL",
                     "SMTP_HOST", "ADMIN_PASSWORD_FILE", "FLASK_DEBUG"):
            os.environ.pop(name, None)
        os.environ.update({"BAKOHUMAS_ENV": str(self.env_file), **(env or {})})
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                try:
                    code = run.main([self.translate(a) for a in argv])
                except SystemExit as exc:          # argparse refusing the command line
                    code = exc.code if isinstance(exc.code, int) else 2
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return Result(code, out.getvalue())

    def doc_command(self, command: str, **values: str) -> Result:
        """A fenced command of the document: `sudo -u bakohumas` and `env` dropped, VAR=value
        words become the command's environment, the program is run.py's main()."""
        words = shlex.split(self.translate(command.format(**values) if values else command))
        if words[:3] == ["sudo", "-u", "bakohumas"]:
            words = words[3:]
        if words[:1] == ["env"]:
            words = words[1:]
        env = {}
        while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        assert words[0] == BIN, command
        return self.bakohumas(words[1:], env)


@pytest.fixture
def server(tmp_path) -> Server:
    srv = Server(tmp_path)
    srv.env_file.parent.mkdir()
    srv.lib.mkdir(mode=0o750)
    srv.backups.mkdir(mode=0o750)
    secret = subprocess.run(shlex.split(the_command("python3 -c ")), capture_output=True,
                            text=True, check=True).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", secret), secret        # "paste as SECRET_KEY"
    srv.env_file.write_text(
        "# /etc/bakohumas.env of the test\n"
        f"SECRET_KEY={secret}\n"
        f"DATABASE_URL=sqlite:///{srv.lib}/bakohumas.db\n"
        f"UPLOAD_DIR={srv.lib}/berkas\nCACHE_DIR={srv.lib}/cache\n"
        f"ADMIN_PASSWORD_FILE={srv.lib}/admin-password.txt\n"
        "MAX_UPLOAD_MB=10\nMAX_REQUEST_MB=25\nLOG_FORMAT=text\n", encoding="utf-8")
    srv.env_file.chmod(0o640)
    return srv


def the_command(start: str) -> str:
    """The document's one fenced command starting with ``start`` (the first of equal ones)."""
    found = [c for c in fenced_commands(DOC.read_text(encoding="utf-8")) if c.startswith(start)]
    assert found, f"no command starting with {start!r} in {DOC.name}"
    return found[0]


def commands_with(part: str) -> list[str]:
    return [c for c in fenced_commands(DOC.read_text(encoding="utf-8")) if part in c]


def inline(command: str, **values) -> list[str]:
    return [a.format(**values) for a in INLINE[command]]


def wib(delta: timedelta) -> str:
    return (datetime.utcnow() + timedelta(hours=7) + delta).strftime("%Y-%m-%d %H:%M")


def write_roster(path: Path) -> None:
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["username", "name", "email", "role", "unit_code"])
    sheet.append(["op-uji-33", "Operator Jawa Tengah", "op33@example.org", "operator", "33"])
    sheet.append(["op-uji-35", "Operator Jawa Timur", "op35@example.org", "operator", "35"])
    book.save(path)


def test_the_document_start_to_finish(server, tmp_path):
    """Sections 1 to 6 in order: config check, the first migrate and its password file,
    the first-season checklist's commands, the everyday commands, the nightly backup, the
    restore drill into a fresh database, an upgrade's migrate and a rollback's migrate --to."""
    config_check = commands_with("bakohumas config check")[0]
    first = server.doc_command(config_check)
    assert first.code == 1, first                  # section 1: before the first migrate
    assert re.search(r"^FAIL database: schema revision \(none\).*run `python run.py migrate`",
                     first.out, re.M), first
    assert re.findall(r"^(ok |FAIL)", first.out, re.M).count("FAIL") == 1, first
    assert "SECRET_KEY               (set, hidden)" in first.out
    assert server.env_file.read_text().split("SECRET_KEY=")[1][:64] not in first.out

    migrate = commands_with("bakohumas migrate")[0]
    assert migrate.endswith("bakohumas migrate")
    created = server.doc_command(migrate)          # section 2: no terminal here
    password_file = server.lib / "admin-password.txt"
    assert created.code == 0, created
    assert f"one-time password is in {password_file}" in created.out, created
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert password_file.read_text().strip() not in created.out
    assert "The database schema is up to date: revision" in created.out
    again = server.doc_command(config_check)
    assert again.code == 0 and not re.search(r"^FAIL", again.out, re.M), again
    assert re.search(r"^ok  database: .* at schema revision \d{4}$", again.out, re.M), again

    checklist(server, tmp_path)
    everyday(server)
    backup_and_restore_drill(server)
    upgrade_and_rollback(server, migrate)

    archived = server.bakohumas(inline("bakohumas period archive SLUG --reason ..."))
    assert archived.code == 0, archived
    assert server.bakohumas(inline("bakohumas reminders")).code == 0


def checklist(server: Server, tmp_path: Path) -> None:
    """Section 3's commands: a rubric edition, a period, a corrected date, the operators."""
    loaded = server.bakohumas(inline("bakohumas rubric load EDITION.yaml",
                                     edition=str(ROOT / "rubrics/editions/bakohumas-2026.yaml")))
    assert loaded.code == 0 and "bakohumas-2026" in loaded.out, loaded
    opened = server.bakohumas(inline(
        "bakohumas period open SLUG --title ... --rubric ... --opens ... --closes ...",
        yesterday=wib(timedelta(days=-1)), next_week=wib(timedelta(days=7))))
    assert opened.code == 0, opened
    extended = server.bakohumas(inline("bakohumas period extend SLUG --closes ... --reason ...",
                                       next_month=wib(timedelta(days=30))))
    assert extended.code == 0, extended
    roster = tmp_path / "ROSTER.xlsx"
    write_roster(roster)
    imported = server.bakohumas(inline("bakohumas users import ROSTER.xlsx", roster=str(roster)))
    assert imported.code == 0, imported
    assert (tmp_path / "ROSTER-passwords.xlsx").exists(), imported  # as section 3 says


def everyday(server: Server) -> None:
    """Section 6's table."""
    status = server.bakohumas(inline("bakohumas status"))
    assert status.code == 0 and "uji-2026: Uji coba 2026" in status.out, status
    assert "open" in status.out and "(extended)" in status.out, status
    reminders = server.bakohumas(inline("bakohumas reminders"))
    assert reminders.code == 0, reminders
    assert re.search(r"^\d+ deadline reminder\(s\) sent\.$", reminders.out, re.M), reminders
    mail = server.bakohumas(inline("bakohumas mail send"))
    assert mail.code == 0 and re.search(r"^\d+ e-mail\(s\) sent\.$", mail.out, re.M), mail
    orphan = server.lib / "berkas" / ("ab" * 16)      # a stored file no row refers to
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"left by an interrupted upload")
    an_hour_ago = time.time() - 2 * 3600
    os.utime(orphan, (an_hour_ago, an_hour_ago))
    sweep = server.bakohumas(inline("bakohumas files sweep --dry-run"))
    assert sweep.code == 0, sweep
    assert f"would remove {orphan} (no row refers to it)" in sweep.out, sweep
    assert orphan.exists()                            # a dry run removes nothing


def backup_and_restore_drill(server: Server) -> None:
    """Section 5: the timer's backup, then the drill into a fresh database and folder."""
    unit = (ROOT / "deploy/systemd/bakohumas-backup.service").read_text()
    argv = shlex.split(re.search(r"^ExecStart=\S+ (.*)$", unit, re.M).group(1))
    assert argv == INLINE["bakohumas backup --dir /var/backups/bakohumas --keep 14"]
    made = server.bakohumas(argv)
    assert made.code == 0, made
    archives = sorted(server.backups.glob("bakohumas-*.tar.gz"))
    assert len(archives) == 1 and re.fullmatch(r"bakohumas-\d{8}-\d{6}\.tar\.gz", archives[0].name)
    assert stat.S_IMODE(archives[0].stat().st_mode) == 0o600
    assert f"{archives[0]}: " in made.out and "schema revision" in made.out, made

    latest = the_command("latest=$(ls -t ")
    assert latest == "latest=$(ls -t /var/backups/bakohumas/bakohumas-*.tar.gz | head -1)"
    newest = max(server.backups.glob("bakohumas-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    restore, drill_status = [c for c in commands_with("bakohumas_drill") if BIN in c]
    restored = server.doc_command(restore.replace('"$latest"', str(newest)))
    assert restored.code == 0, restored
    assert re.search(rf"^restored {re.escape(str(newest))} \(made .* on sqlite\): \d+ rows and "
                     r"\d+ files$", restored.out, re.M), restored
    assert (server.root / "drill.db").exists()
    live = server.bakohumas(["status"])
    drilled = server.doc_command(drill_status)
    assert drilled.code == 0 and drilled.out == live.out, (drilled, live)   # the drill passed
    again = server.doc_command(restore.replace('"$latest"', str(newest)))
    assert again.code == 2 and "--force" in again.out, again    # a database holding rows


def upgrade_and_rollback(server: Server, migrate: str) -> None:
    """Section 4: migrate after installing the new wheel (nothing to do here: the same code),
    the rollback's migrate --to the old release's revision, and forward again."""
    upgrade = [c for c in commands_with("bakohumas migrate") if c.endswith("bakohumas migrate")]
    assert len(upgrade) == 2 and set(upgrade) == {migrate}      # first start and upgrade
    current = server.doc_command(migrate)
    assert current.code == 0, current
    head = re.search(r"revision (\d{4}) \(it was (\d{4})\)", current.out)
    assert head and head.group(1) == head.group(2), current
    rollback = commands_with("bakohumas migrate --to ")
    assert len(rollback) == 1
    old = rollback[0].rsplit(" ", 1)[1]
    assert f"schema revision {old})" in (ROOT / "CHANGELOG.md").read_text(), \
        "the rollback's revision is the one the release notes name"
    down = server.doc_command(rollback[0])
    assert down.code == 0, down
    assert f"went from revision {head.group(1)} to {old}" in down.out, down
    up = server.doc_command(migrate)
    assert up.code == 0 and f"revision {head.group(1)} (it was {old})" in up.out, up


# ---- the install script ----------------------------------------------------------------------

@pytest.mark.slow
def test_check_install_script(tmp_path):
    """deploy/check-install.sh: the wheel, a fresh venv, config check, migrate, status and the
    systemd units (skipped inside the script, with the reason, without systemd-analyze)."""
    script = ROOT / "deploy" / "check-install.sh"
    assert os.access(script, os.X_OK)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SECRET_KEY", "BAKOHUMAS_ENV", "PYTHONPATH")}
    result = subprocess.run([str(script), str(tmp_path / "install")], capture_output=True,
                            text=True, timeout=1200, env={**env, "PYTHON": sys.executable})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    venv = tmp_path / "install" / "venv"
    assert f"imported from {venv}/lib/" in result.stdout
    assert str(ROOT / "assessment") not in result.stdout
    assert "The database schema is up to date: revision" in result.stdout
    assert re.search(r"^ok  database: .* at schema revision \d{4}$", result.stdout, re.M)
    if Path("/usr/bin/systemd-analyze").exists():
        assert "systemd-analyze verify: bakohumas-backup.service" in result.stdout
    else:
        assert "SKIPPED systemd units: systemd-analyze is not installed" in result.stdout
    assert "check-install: ok: bakohumas_assessment-" in result.stdout
