"""The Flask application: work units fill in questionnaires, judges verify, the bureau ranks."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, has_request_context, session
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from . import availability, compression, formatting, navigation, redis_store, security
from .config import Config, finish, from_environment
from .extensions import babel, bootstrap, csrf, db, login_manager
from .pool_check import check_on_checkout
from .transaction import TransactionalFlask
from .version import __version__
from .views import register_blueprints

__all__ = ["__version__", "create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; ``test_config`` overrides the environment's settings."""
    # one transaction per request: committed after the view, rolled back on any exception
    app = TransactionalFlask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    app.config.update(from_environment())
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _finish_config(app)

    compression.init_app(app)   # first: its after_request compresses the finished answer
    db.init_app(app)
    with app.app_context():
        _sqlite_savepoints(db.engine)
        check_on_checkout(db.engine)   # instead of pool_pre_ping's round trip per request
    csrf.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: "Asia/Jakarta")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    formatting.init_app(app)
    navigation.init_app(app)
    security.init_app(app)
    redis_store.init_app(app)
    availability.init_app(app)   # 503 while the schema is not the code's

    register_blueprints(app)
    return app


def _finish_config(app: Flask) -> None:
    relaxed = bool(app.debug or app.testing or app.config.get("DEMO"))
    finish(app.config, relaxed=relaxed)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops, x_prefix=hops)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = Path(app.instance_path) / "bakohumas.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = os.path.join(app.instance_path, "uploads")
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)


def _sqlite_savepoints(engine) -> None:
    """On SQLite, open the transaction before a SAVEPOINT (session.begin_nested): the sqlite3
    module begins transactions only before writes, and a SAVEPOINT outside a transaction
    would commit everything when it is released instead of leaving it to the request."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "savepoint")
    def _begin_first(connection, _name):
        dbapi_connection = connection.connection.dbapi_connection
        if not dbapi_connection.in_transaction:
            dbapi_connection.execute("BEGIN")


def _select_locale() -> str | None:
    if not has_request_context():   # CLI, jobs, tests: the default locale
        return None
    choice = session.get("lang")
    if choice in Config.LANGUAGES:
        return choice
    user = getattr(g, "_login_user", None)
    return getattr(user, "locale", None) or "id"
