"""One configuration for the server and the commands: the environment or the env file named
by BAKOHUMAS_ENV; a command without configuration refuses (exit 2) and creates nothing;
`run.py config check` shows the settings with secrets hidden and checks what they name."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assessment.config import ConfigError, environment, from_environment, read_env_file

import run

ROOT = Path(__file__).resolve().parents[1]
SECRET = "k" * 64


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the code without an instance folder: a production checkout."""
    folder = tmp_path_factory.mktemp("checkout")
    for name in ("assessment", "rubrics", "scoring", "reports"):
        shutil.copytree(ROOT / name, folder / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "run.py", folder)
    return folder


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts}


def run_clean(checkout: Path, *argv, **env):
    """run.py in the copied checkout with nothing in the environment but ``env``."""
    # HOME is the service user's own folder, not the code: per-user caches (matplotlib's font
    # list) belong there and are not files the command created in the checkout
    home = checkout.parent / f"{checkout.name}-home"
    home.mkdir(exist_ok=True)
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(checkout),
               "PYTHONDONTWRITEBYTECODE": "1", **env}
    return subprocess.run([sys.executable, "run.py", *argv], cwd=checkout, env=environ,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv", [["reminders"], ["backup", "cadangan.tar.gz"],
                                  ["backup", "--dir", ".", "--keep", "3"], ["status"],
                                  ["migrate"]])
def test_a_command_without_configuration_refuses_and_creates_nothing(checkout, argv):
    before = files_in(checkout)
    result = run_clean(checkout, *argv)
    assert result.returncode == 2, result.stderr
    assert "no configuration: DATABASE_URL is not set (nor SECRET_KEY)" in result.stderr
    assert "BAKOHUMAS_ENV=/etc/bakohumas.env" in result.stderr
    assert "Traceback" not in result.stderr and "password" not in result.stdout + result.stderr
    assert files_in(checkout) == before          # no database, no instance folder, no archive


def test_commands_read_the_env_file_named_by_bakohumas_env(checkout, tmp_path):
    envfile = tmp_path / "bakohumas.env"
    envfile.write_text(f"# the service's settings\nDATABASE_URL=sqlite:///{tmp_path}/prod.db\n"
                       f"SECRET_KEY='{SECRET}'\nUPLOAD_DIR=\"{tmp_path}/berkas\"\n"
                       f"ADMIN_PASSWORD_FILE={tmp_path}/admin-password.txt\n")
    envfile.chmod(0o640)
    result = run_clean(checkout, "migrate", BAKOHUMAS_ENV=str(envfile))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "prod.db").exists() and (tmp_path / "berkas").is_dir()
    # no terminal: the one-time password goes to an owner-only file, never to the output
    secret_file = tmp_path / "admin-password.txt"
    assert oct(secret_file.stat().st_mode & 0o777) == "0o600"
    password = secret_file.read_text().split("one-time password: ")[1].split()[0]
    assert password not in result.stdout + result.stderr
    assert f"its one-time password is in {secret_file}" in result.stdout
    result = run_clean(checkout, "status", BAKOHUMAS_ENV=str(envfile))
    assert result.returncode == 0, result.stderr
    assert not (checkout / "instance" / "bakohumas.db").exists()


def test_config_check_hides_secrets_and_checks_what_the_settings_name(checkout, tmp_path):
    envfile = tmp_path / "bakohumas.env"
    envfile.write_text(f"DATABASE_URL=sqlite:///{tmp_path}/prod.db\nSECRET_KEY={SECRET}\n"
                       f"UPLOAD_DIR={tmp_path}/berkas\nSMTP_HOST=127.0.0.1\nSMTP_PORT=1\n"
                       "SMTP_PASSWORD=sandi-smtp-rahasia\nREDIS_URL=redis://:sandi-redis@127.0.0.1:1/0\n")
    envfile.chmod(0o644)
    result = run_clean(checkout, "config", "check", BAKOHUMAS_ENV=str(envfile))
    out = result.stdout
    assert SECRET not in out and "sandi-smtp-rahasia" not in out and "sandi-redis" not in out
    assert "SECRET_KEY               (set, hidden)" in out
    assert "redis://:***@127.0.0.1:1/0" in out
    assert "FAIL database: schema revision (none), this version needs" in out
    assert "FAIL redis:" in out and "FAIL smtp: 127.0.0.1:1" in out
    assert "ok  upload folder:" in out
    assert "FAIL env file:" in out and "chmod 640" in out
    assert result.returncode == 1
    envfile.write_text(f"DATABASE_URL=sqlite:///{tmp_path}/prod.db\nSECRET_KEY={SECRET}\n"
                       f"UPLOAD_DIR={tmp_path}/berkas\nADMIN_PASSWORD_FILE={tmp_path}/pw\n")
    envfile.chmod(0o600)
    assert run_clean(checkout, "migrate", BAKOHUMAS_ENV=str(envfile)).returncode == 0
    result = run_clean(checkout, "config", "check", BAKOHUMAS_ENV=str(envfile))
    assert result.returncode == 0, result.stdout
    assert "ok  database:" in result.stdout and "ok  redis: not configured" in result.stdout


def test_the_environment_wins_over_the_env_file(tmp_path):
    envfile = tmp_path / "bakohumas.env"
    envfile.write_text("export MAX_UPLOAD_MB=4\nLOGIN_MAX_FAILURES=9\n; a comment\n\n")
    merged = environment({"BAKOHUMAS_ENV": str(envfile), "LOGIN_MAX_FAILURES": "3"})
    assert merged["MAX_UPLOAD_MB"] == "4" and merged["LOGIN_MAX_FAILURES"] == "3"
    settings = from_environment({"BAKOHUMAS_ENV": str(envfile)})
    assert settings["MAX_UPLOAD_MB"] == 4.0 and settings["LOGIN_MAX_FAILURES"] == 9


@pytest.mark.parametrize("content, message", [
    ("DATABASE_URL sqlite://\n", "line 1: not a NAME=value line"),
])
def test_a_malformed_env_file_names_its_line(tmp_path, content, message):
    envfile = tmp_path / "bakohumas.env"
    envfile.write_text(content)
    with pytest.raises(ConfigError, match=message):
        read_env_file(str(envfile))
    with pytest.raises(ConfigError, match="cannot be read"):
        read_env_file(str(tmp_path / "missing.env"))


def test_a_missing_env_file_is_exit_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("BAKOHUMAS_ENV", str(tmp_path / "missing.env"))
    assert run.main(["status"]) == 2
    assert "missing.env: cannot be read" in capsys.readouterr().err


def test_cache_dir_moves_the_results_cache(monkeypatch, tmp_path):
    from assessment import create_app
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "cache"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "UPLOAD_DIR": str(tmp_path / "u")})
    assert app.config["RESULTS_CACHE_DIR"] == str(tmp_path / "cache" / "results-cache")
    with app.app_context():
        from assessment.views.results import cache_dir
        assert cache_dir() == str(tmp_path / "cache" / "results-cache")
