"""With REDIS_URL set: sessions live in Redis (the cookie holds only a random id, logging out
revokes it, the id changes at login) and the login throttle counts there atomically, shared
by every worker. Redis runs on 127.0.0.1:6379 on the dev and CI machines."""
from __future__ import annotations

import os
import re
import uuid

import pytest
from flask import request_started

from assessment.extensions import db
from assessment.models import LoginAttempt
from tests.conftest import PASSWORD, _app_config, _fresh_database, _fresh_request_state

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_client():
    import redis
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); CI runs it")
    return client


@pytest.fixture
def redis():
    client = redis_client()
    yield client
    client.close()


@pytest.fixture
def rapp(redis, tmp_path, seeded_templates):
    """The app on a fresh copy of the seeded SQLite database, with sessions and the login
    throttle in Redis under a prefix of its own."""
    from assessment import create_app
    url, drop = _fresh_database("sqlite", seeded_templates, tmp_path)
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    app = create_app({**_app_config(url, tmp_path / "uploads"), "REDIS_URL": REDIS_URL,
                      "REDIS_PREFIX": prefix})
    request_started.connect(_fresh_request_state, app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    keys = list(redis.scan_iter(f"{prefix}*"))
    if keys:
        redis.delete(*keys)
    drop()


@pytest.fixture
def operator(rapp, make_user_in):
    return make_user_in(rapp)


@pytest.fixture
def make_user_in():
    from assessment.models import User

    def make(app, username="op-33"):
        user = User(username=username, role="operator", unit_code="33", name=username)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user
    return make


def login(client, username="op-33", password=PASSWORD):
    return client.post("/akun/masuk", data={"username": username, "password": password})


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def stored_sessions(redis, app) -> list[bytes]:
    return list(redis.scan_iter(f"{app.config['REDIS_PREFIX']}session:*"))


def test_the_session_lives_in_redis_and_the_cookie_is_only_an_id(rapp, redis, operator):
    client = rapp.test_client()
    assert login(client).status_code == 302
    sid = session_cookie(client)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", sid)           # random, not signed data
    [key] = stored_sessions(redis, rapp)
    assert sid not in key.decode()                            # stored under a hash of the id
    assert b"_user_id" in redis.get(key)
    assert 0 < redis.ttl(key) <= rapp.permanent_session_lifetime.total_seconds()
    assert client.get("/akun/profil").status_code == 200


def test_a_copied_cookie_is_worthless_after_logout(rapp, redis, operator):
    client = rapp.test_client()
    login(client)
    stolen = session_cookie(client)
    assert client.post("/akun/keluar").status_code == 302
    thief = rapp.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/akun/profil")
    assert response.status_code == 302 and "/akun/masuk" in response.location
    assert all(b"_user_id" not in redis.get(k) for k in stored_sessions(redis, rapp))


def test_the_session_id_changes_at_login(rapp, redis, operator):
    """No session fixation: an id planted before login is not the one that logs in."""
    client = rapp.test_client()
    client.post("/bahasa/en")                      # an anonymous session exists first
    planted = session_cookie(client)
    assert planted
    login(client)
    assert session_cookie(client) != planted
    victim_of_fixation = rapp.test_client()
    victim_of_fixation.set_cookie("session", planted)
    assert victim_of_fixation.get("/akun/profil").status_code == 302


@pytest.mark.parametrize("forged", ["x" * 43, "not-even-the-right-length", "../../etc"])
def test_an_unknown_or_forged_id_is_an_anonymous_session(rapp, operator, forged):
    client = rapp.test_client()
    client.set_cookie("session", forged)
    assert client.get("/akun/profil").status_code == 302


def test_a_session_that_changes_nothing_is_not_rewritten_but_kept_alive(rapp, redis, operator):
    client = rapp.test_client()
    login(client)
    [key] = stored_sessions(redis, rapp)
    client.get("/akun/profil")   # the first page with a form adds its CSRF token
    redis.expire(key, 100)
    before = redis.get(key)
    response = client.get("/akun/profil")
    assert response.status_code == 200 and "session=" not in response.headers.get("Set-Cookie", "")
    assert redis.get(key) == before and redis.ttl(key) > 100   # sliding expiry


def test_the_throttle_counts_in_redis_with_expiry(rapp, redis, operator):
    client = rapp.test_client()
    limit = rapp.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert login(client, password="tebakan").status_code == 401
    assert login(client).status_code == 429       # even the right password
    prefix = rapp.config["REDIS_PREFIX"]
    assert int(redis.get(f"{prefix}throttle:user:op-33")) == limit
    assert 0 < redis.ttl(f"{prefix}throttle:user:op-33") <= rapp.config["LOGIN_WINDOW_SECONDS"]
    assert int(redis.get(f"{prefix}throttle:ip:127.0.0.1")) == limit
    assert db.session.query(LoginAttempt).count() == 0       # nothing in the database
    redis.delete(f"{prefix}throttle:user:op-33")    # the window passed (TTL)
    assert login(client).status_code == 302


def test_a_good_login_clears_the_accounts_failures_but_not_the_addresss(rapp, redis, operator):
    client = rapp.test_client()
    login(client, password="tebakan")
    login(client, password="tebakan")
    assert login(client).status_code == 302
    prefix = rapp.config["REDIS_PREFIX"]
    assert redis.get(f"{prefix}throttle:user:op-33") is None
    assert int(redis.get(f"{prefix}throttle:ip:127.0.0.1")) == 2


def test_the_address_key_allows_an_office_more(rapp, redis, make_user_in, operator):
    client = rapp.test_client()
    limit = rapp.config["LOGIN_MAX_FAILURES"]
    for n in range(limit * 4):   # many people of one office, each mistyping once
        assert login(client, username=f"orang-{n}", password="x").status_code == 401
    assert login(client).status_code == 429


def test_healthz_reports_redis(rapp):
    """A server whose sessions live in Redis is healthy only while Redis answers."""
    client = rapp.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "redis": "ok"}
    import redis as redis_lib
    rapp.extensions["redis"] = redis_lib.Redis.from_url("redis://127.0.0.1:1/0",
                                                        socket_connect_timeout=0.2)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["redis"] == "unreachable"
