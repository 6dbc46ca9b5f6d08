"""Logs for operators: one access line per request, failed logins, JSON when LOG_FORMAT=json.

The access line carries the time, the client's address as the trusted proxy forwarded it
(PROXY_FIX_HOPS), the request id (the proxy's X-Request-ID when it sends a sane one, else a
new one; echoed in the response), the user id, the method and path, the status and the
latency. No query string, no form field, no password, token or cookie is ever logged; path
segments long enough to be a token are shortened."""
from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import datetime, timezone

from flask import request
from flask_login import current_user
from sqlalchemy import inspect as orm_state

ACCESS = logging.getLogger("bakohumas.access")
AUDIT = logging.getLogger("bakohumas.audit")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{24,}")
_USERNAME = re.compile(r"[^A-Za-z0-9._@-]")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    FIELDS = ("client", "request_id", "user_id", "method", "path", "status", "duration_ms",
              "username", "reason")

    def format(self, record) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
                 "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        entry.update({k: getattr(record, k) for k in self.FIELDS if hasattr(record, k)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def formatter(kind: str) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)


def configure(kind: str) -> None:
    """The application's loggers (bakohumas.*, and Flask's app logger) write to stderr."""
    for name in ("bakohumas", "assessment"):
        logger = logging.getLogger(name)
        if not any(getattr(h, "_bakohumas", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler._bakohumas = True
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
        for handler in logger.handlers:
            if getattr(handler, "_bakohumas", False):
                handler.setFormatter(formatter(kind))


def init_app(app) -> None:
    configure(app.config.get("LOG_FORMAT", "text"))
    inner = app.wsgi_app

    def timed(environ, start_response):
        environ["bakohumas.started"] = time.perf_counter()
        given = environ.get("HTTP_X_REQUEST_ID", "")
        environ["bakohumas.request_id"] = (given if _REQUEST_ID.fullmatch(given)
                                           else secrets.token_hex(8))
        return inner(environ, start_response)
    app.wsgi_app = timed
    app.after_request(_log)


def _log(response):
    environ = request.environ
    request_id = environ.get("bakohumas.request_id", "-")
    response.headers["X-Request-ID"] = request_id
    started = environ.get("bakohumas.started", time.perf_counter())
    user_id = _user_id(current_user._get_current_object()) if current_user else None
    fields = {"client": request.remote_addr or "-", "request_id": request_id,
              "user_id": user_id, "method": request.method, "path": _path(request.path),
              "status": response.status_code,
              "duration_ms": round((time.perf_counter() - started) * 1000, 1)}
    ACCESS.info('%(client)s req=%(request_id)s user=%(user_id)s "%(method)s %(path)s" '
                '%(status)s %(duration_ms)sms', fields, extra=fields)
    if request.endpoint == "auth.login" and request.method == "POST" \
            and response.status_code in (401, 429):
        _failed_login(fields, "blocked" if response.status_code == 429 else "wrong password")
    elif request.path.startswith("/api/") and response.status_code == 401:
        _failed_login(fields, "api token refused")
    return response


def _user_id(user) -> int | None:
    """The user's id, read from the row's identity when there is one: the request's commit
    expired the row, and reading ``user.id`` would load it again in a new transaction."""
    state = orm_state(user, raiseerr=False)
    if state is not None and state.identity is not None:
        return state.identity[0]
    return getattr(user, "id", None)


def _failed_login(fields: dict, reason: str) -> None:
    username = _USERNAME.sub("?", (request.form.get("username") or "").strip())[:80]
    audit = {"client": fields["client"], "request_id": fields["request_id"],
             "username": username or "-", "reason": reason}
    AUDIT.warning("login failed: username=%(username)s client=%(client)s reason=%(reason)s "
                  "req=%(request_id)s", audit, extra=audit)


def _path(path: str) -> str:
    return "/".join("~" + segment[:6] if _TOKEN_LIKE.fullmatch(segment) else segment
                    for segment in path.split("/"))[:300]
