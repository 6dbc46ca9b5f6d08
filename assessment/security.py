"""Response headers, safe redirects, session loading and records, text at the boundary,
"only one" conflicts, and the login throttle."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache
from urllib.parse import unquote, urlsplit

from flask import (current_app, g, jsonify, render_template, request, session, url_for)
from flask_babel import gettext as _
from flask_login import user_logged_in, user_logged_out
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.serving import WSGIRequestHandler

from . import redis_store, text
from .extensions import db, login_manager
from .models import LoginAttempt, User, UserSession
from .models.types import utcnow

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
# the browser features no page here uses
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


# what a response says about the server: not Werkzeug's or Python's version
SERVER = "bakohumas"
SESSION_KEY = "_sid"    # the random id of the session's server-side record


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's handler without its "Werkzeug/x Python/y" Server header
    (``run.py serve`` uses it; gunicorn is configured in gunicorn.conf.py)."""

    def version_string(self) -> str:
        return SERVER


def init_app(app) -> None:
    app.after_request(_headers)
    app.before_request(_check_form_text)
    app.register_error_handler(IntegrityError, only_one_conflict)
    user_logged_in.connect(_start_session_record, app)
    user_logged_out.connect(_end_session_record, app)


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS)
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    hsts = current_app.config.get("HSTS_SECONDS")
    if hsts and request.is_secure:   # browsers ignore it over plain HTTP anyway
        response.headers.setdefault("Strict-Transport-Security",
                                    f"max-age={hsts}; includeSubDomains")
    if response.mimetype in ("text/html", "application/json"):
        response.headers.setdefault("Cache-Control", "no-store")
    elif response.headers.get("Content-Disposition", "").startswith("attachment"):
        # a unit's files and reports: never kept by a shared cache or on disk
        response.headers["Cache-Control"] = "private, no-store"
    return response


def safe_next(target: str | None) -> str:
    """Where to go after a login or a language switch: a local path, else the home page.

    Refused: other sites (``https://x``, ``//x``), what browsers read as another site
    (``/\\x``, ``/<tab>/x``: they drop tabs and line breaks and turn backslashes into
    slashes), the same percent-encoded (``/%2F%2Fx``, ``/%5Cx``, ``/%09/x``) and any control
    character or space (CR/LF would split the header). This site's own absolute URL (a
    referrer) is reduced to its path."""
    target = target or ""
    parts = urlsplit(target) if not _unsafe_characters(target) else None
    if parts and parts.scheme in ("http", "https") and parts.netloc == request.host:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    if _is_local_path(target):
        return target
    return url_for("main.index")


def _unsafe_characters(value: str) -> bool:
    return any(ord(ch) < 33 or 127 <= ord(ch) < 160 or ch.isspace() or ch == "\\"
               for ch in value)


def _is_local_path(target: str) -> bool:
    # decoded repeatedly, so that %252F%252F is judged as // too
    for _round in range(4):
        if (not target.startswith("/") or target[1:2] in ("/", "\\")
                or _unsafe_characters(target)):
            return False
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            return False
        decoded = unquote(target)
        if decoded == target:
            return True
        target = decoded
    return False


# -- logins: same cost for unknown accounts; server-side session records --------------------

@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))   # the same method and cost


def verify_login(user: User | None, password: str) -> bool:
    """Whether ``user`` may log in with ``password``; unknown and deactivated accounts cost
    a password check too, so that the answer's timing does not tell them apart."""
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return False
    return user.check_password(password)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _start_session_record(sender, user, **extra) -> None:
    """At login: a new random id in the session and its hash in the database (part of the
    login's transaction). Records older than a session can live are dropped."""
    sid = secrets.token_urlsafe(32)
    session[SESSION_KEY] = sid
    oldest = utcnow() - current_app.permanent_session_lifetime
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                 UserSession.created_at < oldest))
    db.session.add(UserSession(id_hash=_hash(sid), user_id=user.id, created_at=utcnow()))


def _end_session_record(sender, user, **extra) -> None:
    """At logout: the record goes at once, in its own transaction, so that a copy of the
    cookie is worthless whatever becomes of the request."""
    sid = session.pop(SESSION_KEY, None)
    if sid:
        with db.engine.begin() as connection:
            connection.execute(delete(UserSession.__table__)
                               .where(UserSession.__table__.c.id_hash == _hash(sid)))


@login_manager.user_loader
def load_user(user_id: str):
    """Session ids are 'id:epoch'; a password change bumps the epoch and ends old sessions.
    The session's record must exist too: logout, a password change and a deactivation
    delete records (models/sessions.py), which ends copies of the cookie everywhere."""
    ident, _sep, epoch = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or str(user.session_epoch or 0) != epoch or not user.active:
        return None
    sid = session.get(SESSION_KEY)
    record = db.session.get(UserSession, _hash(sid)) if isinstance(sid, str) else None
    if record is None or record.user_id != user.id:
        return None
    g._login_user = user
    return user


# -- text at the boundary ------------------------------------------------------------------

def _check_form_text():
    """Every form field and uploaded file name: 422 naming the field when it holds text
    that cannot be stored; otherwise the form is read in NFC from here on (passwords are
    checked but kept as typed, since their hashes were made from the typed text)."""
    if request.method not in ("POST", "PUT", "PATCH") or request.mimetype not in (
            "multipart/form-data", "application/x-www-form-urlencoded"):
        return None
    cleaned = []
    try:
        for key, values in request.form.lists():
            name = text.clean(key, "field name")
            for value in values:
                checked = text.clean(value, name)
                cleaned.append((key, value if "password" in key else checked))
        for key, storage in request.files.items(multi=True):
            text.clean(storage.filename or "", f"{key} (file name)")
    except text.TextInvalid as exc:
        return text_refused(exc)
    request.form = ImmutableMultiDict(cleaned)
    return None


def text_refused(exc: text.TextInvalid):
    """422 naming the field: JSON for the API, a page for people."""
    message = _("The field \"%(field)s\" %(reason)s. Remove it and send again.",
                field=exc.field, reason=exc.reason)
    if request.path.startswith("/api/"):
        response = jsonify(error="invalid", message=message, details={exc.field: exc.reason})
        return response, 422
    return render_template("error.html", code=422, title=_("The text cannot be stored"),
                           message=message), 422


def only_one_conflict(exc: IntegrityError):
    """A database rule of the kind "only one ..." refused a row (two people, or two tabs,
    doing the same thing at the same moment): 409 with a message, never a 500. The request's
    transaction is already rolled back: the boundary (transaction.py) rolls back before any
    exception from ``before_request`` functions, the view or the commit reaches a handler."""
    current_app.logger.info("integrity conflict: %s", exc.orig)
    message = _("This was already done (perhaps at the same moment in another window or by "
                "someone else), and only one is allowed. Reload the page to see the current "
                "state.")
    if request.path.startswith("/api/"):
        return jsonify(error="conflict", message=message, details=None), 409
    return render_template("error.html", code=409, title=_("Already done"), message=message), 409


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
