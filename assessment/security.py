"""Response headers, session loading and the login throttle."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, request

from . import redis_store
from .extensions import db, login_manager
from .models import LoginAttempt, User
from .models.types import utcnow

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
# the browser features no page here uses
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def init_app(app) -> None:
    app.after_request(_headers)


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS)
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    hsts = current_app.config.get("HSTS_SECONDS")
    if hsts and request.is_secure:   # browsers ignore it over plain HTTP anyway
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
    if response.mimetype in ("text/html", "application/json"):
        response.headers.setdefault("Cache-Control", "no-store")
    elif response.headers.get("Content-Disposition", "").startswith("attachment"):
        # a unit's files and reports: never kept by a shared cache or on disk
        response.headers["Cache-Control"] = "private, no-store"
    return response


@login_manager.user_loader
def load_user(user_id: str):
    """Session ids are 'id:epoch'; a password change bumps the epoch and ends old sessions."""
    ident, _, epoch = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or str(user.session_epoch or 0) != epoch or not user.active:
        return None
    g._login_user = user
    return user


def throttle_keys(username: str, remote_addr: str | None) -> list[str]:
    return [f"user:{username.strip().lower()}", f"ip:{remote_addr or '-'}"]


def _allowed(key: str) -> int:
    # the IP key allows more, since an office shares one address
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    return limit * 4 if key.startswith("ip:") else limit


def login_blocked(keys: list[str]) -> bool:
    """True when any key had too many failures within the window (counted in Redis when
    REDIS_URL is set, else in the database: either way shared by all workers)."""
    redis = redis_store.client_of(current_app)
    if redis is not None:
        return any(count >= _allowed(key)
                   for key, count in zip(keys, redis_store.failures(redis, keys)))
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    for key in keys:
        count = db.session.query(LoginAttempt).filter(LoginAttempt.key == key,
                                                      LoginAttempt.at >= since).count()
        if count >= _allowed(key):
            return True
    return False


def record_failure(keys: list[str]) -> None:
    """Count a failed login for each key, dropping the keys' attempts that have left the
    window, so a long guessing attack does not grow the table without end."""
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    redis = redis_store.client_of(current_app)
    if redis is not None:
        redis_store.count_failure(redis, keys, window)
        return
    since = utcnow() - timedelta(seconds=window)
    db.session.query(LoginAttempt).filter(LoginAttempt.key.in_(keys),
                                          LoginAttempt.at < since).delete(synchronize_session=False)
    for key in keys:
        db.session.add(LoginAttempt(key=key))


def clear_failures(keys: list[str]) -> None:
    redis = redis_store.client_of(current_app)
    if redis is not None:
        redis_store.forget_failures(redis, keys[:1])
        return
    db.session.query(LoginAttempt).filter(LoginAttempt.key == keys[0]).delete()
