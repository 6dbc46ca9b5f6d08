"""Issue 15, the deadline rush: a pooled PostgreSQL connection is taken from the pool without
a round trip (no ``pool_pre_ping``), and one the server ended is still replaced before a
request uses it (assessment/pool_check.py). Counted, never timed."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from assessment.extensions import db
from assessment.pool_check import waiting
from tests.conftest import Counter


@pytest.fixture
def pings(app, monkeypatch):
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's connections are to a file: nothing to check")
    counted = Counter(engine.dialect.do_ping)
    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return counted


def backend_pid(app) -> int:
    """The server process of the pooled connection a request uses (taken and given back)."""
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.commit()
        db.session.remove()
    return pid


def terminate(app, pid: int) -> None:
    """End a server process from another connection, as a restart or an administrator would,
    and wait until its client has the server's message to read."""
    with app.app_context():
        url = db.engine.url
        pooled = db.engine.pool
    other = create_engine(url, poolclass=NullPool)
    with other.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    other.dispose()
    record = pooled._pool.queue[0]   # the idle connection the next checkout takes
    for _ in range(200):
        if waiting(record.dbapi_connection):
            return
        time.sleep(0.01)
    raise AssertionError("the ended connection never became readable")


def test_requests_take_a_pooled_connection_without_a_ping(app, client, pings):
    with app.app_context():
        assert not db.engine.pool._pre_ping
    first = backend_pid(app)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert backend_pid(app) == first   # the same connection each time
    assert pings.calls == 0


def test_a_connection_the_server_ended_is_replaced_before_a_request_uses_it(app, client, pings):
    ended = backend_pid(app)
    terminate(app, ended)
    assert client.get("/healthz").status_code == 200   # no error reaches the request
    assert pings.calls == 1                             # asked once, because it was readable
    assert backend_pid(app) != ended
    assert pings.calls == 1                             # the new one is taken without a ping
