"""Shared state in Redis when ``REDIS_URL`` is set: server-side sessions and the login
throttle's counters, so that every worker and every app server sees the same state.

Without ``REDIS_URL`` sessions are signed cookies and the throttle counts in the database
(assessment/security.py); both are equally shared across workers. Redis adds revocable
sessions: the cookie holds only a random id, and logging out deletes the session, so a
copied cookie is worthless afterwards (a signed cookie stays valid until it expires or the
password changes).

When Redis is configured but does not answer, pages and logins get a 503 page in the
interface language (assessment/availability.py), never a 500: the session store notes the
failure and a before_request hook answers it; the throttle's calls raise RedisUnavailable,
which has its own error handler.
"""
from __future__ import annotations

import hashlib
import re
import secrets

from flask import current_app, request, session
from flask.sessions import SessionInterface, SessionMixin
from flask.json.tag import TaggedJSONSerializer
from flask_login import user_logged_in, user_logged_out
from werkzeug.datastructures import CallbackDict

from .availability import REDIS_DOWN, unavailable

_SID = re.compile(r"[A-Za-z0-9_-]{43}")


def init_app(app) -> None:
    url = app.config.get("REDIS_URL")
    if not url:
        return
    import redis   # lazy: only with REDIS_URL (the client takes a fifth of a second to import)
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5,
                                  health_check_interval=30)
    app.extensions["redis"] = client
    app.session_interface = RedisSessionInterface(client, app.config["REDIS_PREFIX"])
    user_logged_in.connect(_rotate, app)
    user_logged_out.connect(_rotate, app)
    app.before_request(_refuse_without_redis)
    app.register_error_handler(RedisUnavailable, _unavailable_page)
    app.register_error_handler(redis.exceptions.ConnectionError, _unavailable_page)
    app.register_error_handler(redis.exceptions.TimeoutError, _unavailable_page)


class RedisUnavailable(Exception):
    """Redis is configured but does not answer."""


def _errors():
    from redis.exceptions import ConnectionError, TimeoutError   # lazy: loaded by init_app
    return (ConnectionError, TimeoutError)


def _refuse_without_redis():
    if request.environ.get("bakohumas.redis_down") and request.endpoint != "static":
        return _unavailable_page(None)
    return None


def _unavailable_page(exc):
    current_app.logger.error("Redis does not answer (%s): answering 503",
                             type(exc).__name__ if exc else "session store")
    return unavailable(*REDIS_DOWN, database="ok", redis="unreachable")


def client_of(app):
    """The app's Redis client, or None when REDIS_URL is not set."""
    return app.extensions.get("redis")


def _rotate(sender, **extra) -> None:
    """A new session id at login and logout (no session fixation; the old id dies)."""
    current = session._get_current_object()
    if isinstance(current, RedisSession):
        current.rotate = True
        current.modified = True


class RedisSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None):
        def on_update(self):
            self.modified = True
        super().__init__(initial, on_update)
        self.sid = sid
        self.modified = False
        self.rotate = False


class RedisSessionInterface(SessionInterface):
    """Sessions stored as tagged JSON under a hash of their id, expiring after
    PERMANENT_SESSION_LIFETIME without activity."""

    serializer = TaggedJSONSerializer()

    def __init__(self, client, prefix: str):
        self.client = client
        self.prefix = prefix

    def key(self, sid: str) -> str:
        # a hash, so that a copy of Redis's data holds no usable cookie values
        return f"{self.prefix}session:{hashlib.sha256(sid.encode()).hexdigest()}"

    def open_session(self, app, request):
        sid = request.cookies.get(self.get_cookie_name(app), "")
        if _SID.fullmatch(sid):
            try:
                raw = self.client.get(self.key(sid))
            except _errors():
                request.environ["bakohumas.redis_down"] = True   # answered by a 503 page
                return RedisSession()
            if raw is not None:
                try:
                    return RedisSession(self.serializer.loads(raw.decode()), sid=sid)
                except ValueError:
                    pass
        return RedisSession()

    def save_session(self, app, session, response) -> None:
        try:
            self._save(app, session, response)
        except _errors() as exc:   # the answer becomes the 503 page: a login would be lost
            page = _unavailable_page(exc)
            response.status_code = 503
            response.set_data(page.get_data())
            response.headers.pop("Location", None)
            response.headers.pop("Content-Disposition", None)
            response.headers["Content-Type"] = page.headers["Content-Type"]
            response.headers["Retry-After"] = page.headers.get("Retry-After", "60")

    def _save(self, app, session, response) -> None:
        name, ttl = self.get_cookie_name(app), int(app.permanent_session_lifetime.total_seconds())
        cookie = dict(domain=self.get_cookie_domain(app), path=self.get_cookie_path(app),
                      secure=self.get_cookie_secure(app), httponly=self.get_cookie_httponly(app),
                      samesite=self.get_cookie_samesite(app))
        if session.sid and (session.rotate or not session):
            self.client.delete(self.key(session.sid))
            if not session:
                response.delete_cookie(name, **cookie)
                response.vary.add("Cookie")
                return
            session.sid = None
        if not session:
            return
        response.vary.add("Cookie")
        if session.sid and not self.should_set_cookie(app, session):
            self.client.expire(self.key(session.sid), ttl)   # sliding expiry
            return
        sid = session.sid or secrets.token_urlsafe(32)
        self.client.set(self.key(sid), self.serializer.dumps(dict(session)), ex=ttl)
        response.set_cookie(name, sid, expires=self.get_expiration_time(app, session), **cookie)


# -- the login throttle -----------------------------------------------------------------

def _throttle_key(key: str) -> str:
    return f"{current_app.config['REDIS_PREFIX']}throttle:{key}"


def _answering(function):
    """``function`` raising RedisUnavailable (a 503 page) when Redis does not answer."""
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except _errors() as exc:
            raise RedisUnavailable(str(exc)) from exc
    call.__doc__, call.__name__ = function.__doc__, function.__name__
    return call


@_answering
def failures(client, keys: list[str]) -> list[int]:
    """Failed attempts counted in the current window, per key."""
    return [int(v or 0) for v in client.mget([_throttle_key(k) for k in keys])]


@_answering
def count_failure(client, keys: list[str], window: int) -> None:
    """One more failure per key, atomically; a key's window starts at its first failure."""
    pipe = client.pipeline(transaction=True)
    for key in keys:
        pipe.incr(_throttle_key(key))
        pipe.expire(_throttle_key(key), window, nx=True)
    pipe.execute()


@_answering
def forget_failures(client, keys: list[str]) -> None:
    client.delete(*[_throttle_key(k) for k in keys])
