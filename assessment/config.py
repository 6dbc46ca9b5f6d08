"""Configuration: safe defaults here, production settings from environment variables only.

``Config`` holds the defaults; ``from_environment()`` reads the variables that are set when
the app is built (not at import), parses them and names the variable in any error.

Every process reads the same settings: the environment, or an env file named by
``BAKOHUMAS_ENV`` (e.g. /etc/bakohumas.env, the file systemd's EnvironmentFile= reads too);
a variable set in the environment wins over the file.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

ALLOWED_UPLOAD_TYPES = ("pdf", "jpg", "png", "docx", "xlsx", "pptx")
MIN_SECRET_LENGTH = 16


class ConfigError(RuntimeError):
    """A missing or malformed setting; the message names the environment variable."""


class Config:
    SECRET_KEY = None                  # required outside debug, testing and demo
    SQLALCHEMY_DATABASE_URI = None     # default: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {}     # a pooled connection is checked without a ping: pool_check.py
    UPLOAD_DIR = None                  # default: instance/uploads
    MAX_UPLOAD_MB = 10.0
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    XLSX_MAX_ROWS = 5000
    # a roster imported through the web hashes every one-time password (scrypt, about
    # 0.1-0.16 s of CPU each on 2 cores): 600 rows end well within GUNICORN_TIMEOUT; more
    # belong to `run.py users import`, which has no time limit
    ROSTER_WEB_MAX_ROWS = 600
    REDIS_URL = None
    REDIS_PREFIX = "bakohumas:"
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_SECONDS = 900
    SMTP_HOST = None
    SMTP_PORT = 25
    SMTP_USER = None
    SMTP_PASSWORD = None
    SMTP_STARTTLS = False              # upgrade a plain connection (port 587 or 25)
    SMTP_SSL = False                   # implicit TLS from the first byte (port 465)
    SMTP_TIMEOUT = 10.0                # seconds for connecting and each reply
    SMTP_CA_FILE = None                # a private CA's certificates (PEM); default: the system's
    MAIL_FROM = "bakohumas@kpu.go.id"
    MAIL_FROM_NAME = "Penilaian Bakohumas KPU"   # the sender's display name
    PUBLIC_URL = "http://127.0.0.1:5000"
    PROXY_FIX_HOPS = 0                 # reverse proxies in front that set X-Forwarded-*
    MONITOR_ALLOW_HOSTS = ""           # host:port,... fetched even when not public (tests, demo)
    MONITOR_CONCURRENCY = 32           # feeds fetched at once by `monitor fetch`
    CACHE_DIR = None                   # default: the instance folder (results-cache/ in it)
    LOG_FORMAT = "text"                # or "json"
    SCHEMA_CHECK = True                # refuse to serve a database at another schema revision
    HSTS_SECONDS = 365 * 24 * 3600     # sent on HTTPS responses only; 0 turns it off

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = None       # None: Secure exactly when PUBLIC_URL is https
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = None        # None: PUBLIC_URL's scheme
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    BOOTSTRAP_SERVE_LOCAL = True
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")


def _text(value: str) -> str:
    return value


def _secret(value: str) -> str:
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError(f"too short: use at least {MIN_SECRET_LENGTH} random characters "
                         "(e.g. 64 hex digits)")
    return value


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be 1 or 0 (true/false)")


def _whole(value: str) -> int:
    if not value.isdigit():
        raise ValueError("must be a whole number, 0 or more")
    return int(value)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) == 0:
        raise ValueError("must be a whole number, 1 or more")
    return int(value)


def _megabytes(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < 1e6:
        raise ValueError("must be a positive number of megabytes, e.g. 10 or 2.5")
    return number


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number <= 600:
        raise ValueError("must be a number of seconds between 0 and 600, e.g. 10 or 2.5")
    return number


def _address(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+", value):
        raise ValueError("must be a bare e-mail address like bakohumas@kpu.go.id "
                         "(the display name goes into MAIL_FROM_NAME)")
    return value


def _log_format(value: str) -> str:
    if value not in ("text", "json"):
        raise ValueError("must be text or json")
    return value


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// address")
    return value.rstrip("/")


def _scheme(value: str) -> str:
    if value not in ("http", "https"):
        raise ValueError("must be http or https")
    return value


SECRETS = ("SECRET_KEY", "SMTP_PASSWORD")   # never repeated in an error message
# environment variable -> (config key, parser)
VARIABLES = {
    "SECRET_KEY": ("SECRET_KEY", _secret),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", _text),
    "UPLOAD_DIR": ("UPLOAD_DIR", _text),
    "MAX_UPLOAD_MB": ("MAX_UPLOAD_MB", _megabytes),
    "MAX_REQUEST_MB": ("MAX_CONTENT_LENGTH", lambda v: int(_megabytes(v) * 1024 * 1024)),
    "XLSX_MAX_ROWS": ("XLSX_MAX_ROWS", _positive),
    "ROSTER_WEB_MAX_ROWS": ("ROSTER_WEB_MAX_ROWS", _positive),
    "REDIS_URL": ("REDIS_URL", _text),
    "REDIS_PREFIX": ("REDIS_PREFIX", _text),
    "LOGIN_MAX_FAILURES": ("LOGIN_MAX_FAILURES", _positive),
    "LOGIN_WINDOW_SECONDS": ("LOGIN_WINDOW_SECONDS", _positive),
    "SMTP_HOST": ("SMTP_HOST", _text),
    "SMTP_PORT": ("SMTP_PORT", _positive),
    "SMTP_USER": ("SMTP_USER", _text),
    "SMTP_PASSWORD": ("SMTP_PASSWORD", _text),
    "SMTP_STARTTLS": ("SMTP_STARTTLS", _boolean),
    "SMTP_SSL": ("SMTP_SSL", _boolean),
    "SMTP_TIMEOUT": ("SMTP_TIMEOUT", _seconds),
    "SMTP_CA_FILE": ("SMTP_CA_FILE", _text),
    "MAIL_FROM": ("MAIL_FROM", _address),
    "MAIL_FROM_NAME": ("MAIL_FROM_NAME", _text),
    "PUBLIC_URL": ("PUBLIC_URL", _url),
    "PREFERRED_URL_SCHEME": ("PREFERRED_URL_SCHEME", _scheme),
    "COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _boolean),          # older name, still read
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _boolean),
    "PROXY_FIX_HOPS": ("PROXY_FIX_HOPS", _whole),
    "HSTS_SECONDS": ("HSTS_SECONDS", _whole),
    "DB_POOL_SIZE": ("DB_POOL_SIZE", _positive),
    "DB_MAX_OVERFLOW": ("DB_MAX_OVERFLOW", _whole),
    "CACHE_DIR": ("CACHE_DIR", _text),
    "LOG_FORMAT": ("LOG_FORMAT", _log_format),
    "MONITOR_ALLOW_HOSTS": ("MONITOR_ALLOW_HOSTS", _text),
    "MONITOR_CONCURRENCY": ("MONITOR_CONCURRENCY", _positive),
}
ENV_FILE = "BAKOHUMAS_ENV"
_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")


def read_env_file(path: str) -> dict:
    """``NAME=value`` lines as systemd's EnvironmentFile= reads them: blank lines and lines
    starting with # or ; are skipped, a value may be wrapped in single or double quotes."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{ENV_FILE}={path}: cannot be read: "
                          f"{getattr(exc, 'strerror', None) or exc}") from None
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        match = _LINE.fullmatch(line)
        if not match:
            raise ConfigError(f"{path}, line {number}: not a NAME=value line")
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def environment(environ=None) -> dict:
    """The environment with the env file named by BAKOHUMAS_ENV (if any) beneath it."""
    environ = os.environ if environ is None else environ
    path = environ.get(ENV_FILE, "").strip()
    if not path:
        return dict(environ)
    return {**read_env_file(path), **environ}


def load_env_file(environ=None) -> str | None:
    """Put the env file's variables into ``environ`` (os.environ) where they are not set
    already, so that gunicorn's own settings and child processes see them too."""
    environ = os.environ if environ is None else environ
    path = environ.get(ENV_FILE, "").strip()
    if path:
        for name, value in read_env_file(path).items():
            environ.setdefault(name, value)
    return path or None


def from_environment(environ=None) -> dict:
    """The settings whose environment variables are set (and not empty), parsed."""
    environ = environment(environ)
    settings = {}
    for variable, (key, parse) in VARIABLES.items():
        raw = environ.get(variable, "")
        if raw.strip() == "":
            continue
        try:
            settings[key] = parse(raw if parse in (_text, _secret) else raw.strip())
        except ValueError as exc:
            shown = variable if variable in SECRETS else f"{variable}={raw!r}"
            raise ConfigError(f"{shown}: {exc}") from None
    return settings


def finish(config, *, relaxed: bool) -> None:
    """Derive the settings that depend on others and check the required ones.

    ``relaxed`` (debug, testing, demo) allows a missing SECRET_KEY: a random one is used.
    (A SECRET_KEY from the environment must be long enough: see ``_secret``.)"""
    secret = config.get("SECRET_KEY")
    if not secret:
        if not relaxed:
            raise ConfigError("SECRET_KEY must be set in the environment outside debug and demo "
                              "runs, e.g. SECRET_KEY=$(python -c 'import secrets; "
                              "print(secrets.token_hex(32))')")
        config["SECRET_KEY"] = development_secret()
    https = config.get("PUBLIC_URL", "").startswith("https://")
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = https
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    if not config.get("PREFERRED_URL_SCHEME"):
        config["PREFERRED_URL_SCHEME"] = "https" if https else "http"
    if config.get("CACHE_DIR") and not config.get("RESULTS_CACHE_DIR"):
        config["RESULTS_CACHE_DIR"] = os.path.join(config["CACHE_DIR"], "results-cache")
    if config.get("SMTP_SSL") and config.get("SMTP_STARTTLS"):
        raise ConfigError("SMTP_SSL and SMTP_STARTTLS: choose one (SMTP_SSL=1 for port 465, "
                          "SMTP_STARTTLS=1 for port 587)")
    pool = {k: config[v] for k, v in (("pool_size", "DB_POOL_SIZE"),
                                      ("max_overflow", "DB_MAX_OVERFLOW")) if config.get(v) is not None}
    if pool:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {**config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), **pool}


def development_secret() -> str:
    """A random per-process secret for debug and demo runs (sessions end on restart)."""
    return secrets.token_hex(32)


def masked(variable: str, value: str) -> str:
    """A setting as it may be printed: secrets hidden, a database URL without its password."""
    if variable in SECRETS:
        return "(set, hidden)" if value else "(not set)"
    if variable in ("DATABASE_URL", "REDIS_URL") and "@" in value:
        parts = urlsplit(value)
        if parts.password:
            return value.replace(f":{parts.password}@", ":***@", 1)
    return value
