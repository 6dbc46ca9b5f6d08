"""Answer 503, never 500 or stale data, when the app cannot serve: the database is at
another schema revision than this code expects (an upgrade whose `run.py migrate` has not
run yet, or a rollback of the code without its downgrade), or Redis is configured but down.

Pages get the error page in the interface language; /healthz answers JSON naming the cause,
so that the load balancer and the monitoring take the app server out of service."""
from __future__ import annotations

import time

from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, text

from . import request_log, static_version
from .extensions import db
from .migrate import head_revision

UNREACHABLE = object()
RECHECK_SECONDS = 5   # while refusing, how often the database's revision is read again

MAINTENANCE = (_l("The application is being updated"),
               _l("The server is waiting for its database to be upgraded. Please try again in "
                  "a few minutes; nothing you saved before is lost."))
REDIS_DOWN = (_l("The service is temporarily unavailable"),
              _l("A part of the server that keeps logins is not answering. Please try again "
                 "in a few minutes; nothing you saved before is lost. If it lasts, tell the "
                 "bureau's administrator."))


def unavailable(title, message, **health):
    """The 503 answer: JSON for /healthz, else the error page."""
    if request.path == "/healthz":
        return jsonify(status="error", **health), 503
    response = current_app.make_response(
        (render_template("error.html", code=503, title=title, message=message), 503))
    response.headers["Retry-After"] = "60"
    return response


def init_app(app) -> None:
    """The operational hooks: the request log (assessment/request_log.py), versioned static
    URLs (assessment/static_version.py) and the schema guard."""
    request_log.init_app(app)
    static_version.init_app(app)
    if not app.config.get("SCHEMA_CHECK", True):
        return
    expected = head_revision()
    state = {"ok": False, "at": None, "found": None}

    @app.before_request
    def _schema_guard():
        if state["ok"]:          # a schema once found right stays right for this process
            return None
        now = time.monotonic()
        if state["at"] is None or now - state["at"] >= RECHECK_SECONDS:
            found = _database_revision()
            if found is UNREACHABLE:   # not a schema question: the page or /healthz says so
                return None
            state["found"], state["at"] = found, now
            state["ok"] = found == expected
            if state["ok"]:
                return None
            current_app.logger.error(
                "refusing to serve: the database is at schema revision %s, this code expects "
                "%s: run `python run.py migrate`", state["found"], expected)
        return unavailable(*MAINTENANCE, database="schema mismatch",
                           database_revision=state["found"], code_revision=expected,
                           action="python run.py migrate")


def _database_revision() -> str | None:
    try:
        with db.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # unreachable: /healthz and the pages say so by themselves
        return UNREACHABLE
