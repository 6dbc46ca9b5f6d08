"""``python run.py config check``: the effective settings, and whether what they name works."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from . import mail
from .config import ENV_FILE, VARIABLES, environment, masked
from .migrate import database_revision, head_revision

EXTRA = ("BAKOHUMAS_ENV", "ADMIN_PASSWORD_FILE", "MIGRATE_ON_START", "BIND", "WEB_CONCURRENCY",
         "GUNICORN_THREADS", "GUNICORN_ACCESS_LOG", "GUNICORN_ERROR_LOG")


def settings_table(environ) -> list[str]:
    """One line per known variable: its value as set (secrets hidden) or '(default)'."""
    values = environment(environ)
    lines = [f"settings (environment{', then ' + values[ENV_FILE] if values.get(ENV_FILE) else ''}):"]
    for name in [*VARIABLES, *EXTRA]:
        value = values.get(name, "")
        shown = masked(name, value) if value.strip() else "(default)"
        lines.append(f"  {name:<24} {shown}")
    return lines


def check(app) -> list[tuple[str, bool, str]]:
    """(what, ok, detail) for the database, Redis, SMTP, the folders and the env file."""
    results = [_database(app), _redis(app), _smtp(app)]
    results += [_writable("upload folder", app.config["UPLOAD_DIR"])]
    results += [_writable("cache folder", app.config.get("RESULTS_CACHE_DIR")
                          or os.path.join(app.instance_path, "results-cache"))]
    path = os.environ.get(ENV_FILE)
    if path:
        mode = Path(path).stat().st_mode & 0o777
        results.append(("env file", not mode & 0o007,
                        f"{path} mode {mode:o}" + (": readable by everyone, it holds secrets: "
                                                   "chmod 640" if mode & 0o007 else "")))
    return results


def _database(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        found = database_revision(url)
    except Exception as exc:  # any driver error: report it, do not stop the other checks
        return "database", False, f"{masked('DATABASE_URL', url)}: {type(exc).__name__}: {exc}"[:300]
    head = head_revision()
    if found != head:
        return ("database", False, f"schema revision {found or '(none)'}, this version needs "
                f"{head}: run `python run.py migrate`")
    return "database", True, f"{masked('DATABASE_URL', url)} at schema revision {found}"


def _redis(app):
    client = app.extensions.get("redis")
    if client is None:
        return "redis", True, "not configured (sessions in cookies, throttle in the database)"
    try:
        client.ping()
    except Exception as exc:  # redis-py raises several kinds of connection error
        return "redis", False, f"{masked('REDIS_URL', app.config['REDIS_URL'])}: {exc}"[:300]
    return "redis", True, masked("REDIS_URL", app.config["REDIS_URL"])


def _smtp(app):
    settings = mail.settings_from(app.config)
    if settings is None:
        return "smtp", True, "not configured (no e-mail is sent)"
    where = f"{settings.host}:{settings.port} ({settings.security}, timeout {settings.timeout:g} s)"
    try:
        with mail.connect(settings) as server:
            server.noop()
    except mail.SEND_ERRORS as exc:
        return "smtp", False, f"{where}: {type(exc).__name__}: {exc}"[:300]
    return "smtp", True, f"{where} answers" + (", login accepted" if settings.user else "")


def _writable(what: str, folder: str):
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".check-"):
            pass
    except OSError as exc:
        return what, False, f"{folder}: not writable: {exc.strerror or exc}"
    return what, True, f"{folder} is writable"
