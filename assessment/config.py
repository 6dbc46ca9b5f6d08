"""Configuration from environment variables (production) with safe development defaults."""
from __future__ import annotations

import os
import secrets

ALLOWED_UPLOAD_TYPES = ("pdf", "jpg", "png", "docx", "xlsx", "pptx")


class Config:
    # Required outside debug/testing (checked by the app factory).
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default: SQLite in instance/
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR")                  # default: instance/uploads
    MAX_UPLOAD_MB = float(os.environ.get("MAX_UPLOAD_MB", "10"))
    MAX_CONTENT_LENGTH = int(float(os.environ.get("MAX_REQUEST_MB", "25")) * 1024 * 1024)
    XLSX_MAX_ROWS = int(os.environ.get("XLSX_MAX_ROWS", "5000"))
    REDIS_URL = os.environ.get("REDIS_URL")
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", "900"))
    SMTP_HOST = os.environ.get("SMTP_HOST")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "0") == "1"
    MAIL_FROM = os.environ.get("MAIL_FROM", "bakohumas@kpu.go.id")
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    BOOTSTRAP_SERVE_LOCAL = True
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")


def development_secret() -> str:
    """A random per-process secret for debug and demo runs (sessions end on restart)."""
    return secrets.token_hex(32)
