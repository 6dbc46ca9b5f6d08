"""The health check behind /healthz: whether the database, and Redis when it is configured,
answer. Reads only; never raises."""
from __future__ import annotations

from sqlalchemy import text


def health(session, redis=None) -> tuple[dict, int]:
    """(the JSON body, the HTTP status): 200 when everything in use answers, 503 naming the
    first thing that does not and the kind of error (never its text)."""
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the database is not usable
        return {"status": "error", "database": "unreachable", "reason": type(exc).__name__}, 503
    if redis is None:
        return {"status": "ok", "database": "ok"}, 200
    try:
        redis.ping()
    except Exception as exc:  # sessions and throttling live there: not usable without it
        return {"status": "error", "database": "ok", "redis": "unreachable",
                "reason": type(exc).__name__}, 503
    return {"status": "ok", "database": "ok", "redis": "ok"}, 200
