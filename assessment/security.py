"""Response headers, session loading and the login throttle."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, g

from .extensions import db, login_manager
from .models import LoginAttempt, User
from .models.types import utcnow

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def init_app(app) -> None:
    app.after_request(_headers)


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
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


def login_blocked(keys: list[str]) -> bool:
    """True when any key had too many failures within the window."""
    cfg = current_app.config
    since = utcnow() - timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    limit = cfg["LOGIN_MAX_FAILURES"]
    for key in keys:
        # the IP key allows more, since an office shares one address
        allowed = limit * 4 if key.startswith("ip:") else limit
        count = db.session.query(LoginAttempt).filter(LoginAttempt.key == key,
                                                      LoginAttempt.at >= since).count()
        if count >= allowed:
            return True
    return False


def record_failure(keys: list[str]) -> None:
    """Count a failed login for each key, dropping the keys' attempts that have left the
    window, so a long guessing attack does not grow the table without end."""
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    db.session.query(LoginAttempt).filter(LoginAttempt.key.in_(keys),
                                          LoginAttempt.at < since).delete(synchronize_session=False)
    for key in keys:
        db.session.add(LoginAttempt(key=key))


def clear_failures(keys: list[str]) -> None:
    db.session.query(LoginAttempt).filter(LoginAttempt.key == keys[0]).delete()
