"""A pooled PostgreSQL connection is checked when it is taken from the pool, without a round
trip to the server.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` before every request's first statement:
one more round trip per request, on both sides, about one statement in eight of an API save.
A connection the server ended (a restart, ``pg_terminate_backend``, an idle timeout) has
something to read on an idle socket: the server's last message or the end of the stream.
So the check asks the socket, which costs a system call; only when something is waiting
does it ping, and a failed ping raises ``DisconnectionError``, on which the pool discards the
connection and takes another (SQLAlchemy's documented way, ``PoolEvents.checkout``). What it
cannot see is a peer that vanished without a word (a network cut between two machines);
then the request's first statement fails, SQLAlchemy invalidates the pool and the next
request reconnects. SQLite needs no check: its connections are to a file.
"""
from __future__ import annotations

import select

from sqlalchemy import event, exc


def check_on_checkout(engine) -> None:
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "checkout")
    def _still_there(dbapi_connection, _record, _proxy):
        if dbapi_connection.closed:
            raise exc.DisconnectionError("the connection was closed")
        if not waiting(dbapi_connection):
            return
        try:   # something arrived while the connection was idle: ask once
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:   # noqa: BLE001 - any failure means: use another one
            raise exc.DisconnectionError(str(error)) from error


def waiting(dbapi_connection) -> bool:
    """Whether the idle connection's socket has something to read, or is closed or broken
    (``poll``, which has no limit on descriptor numbers, with a zero timeout)."""
    poller = select.poll()
    try:
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))   # POLLIN, or POLLHUP / POLLERR, which poll always reports
    except (OSError, ValueError):
        return True
