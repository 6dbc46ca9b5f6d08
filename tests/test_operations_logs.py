"""Logs for operators: an access line per request with the time, the forwarded client
address, the request id, the user id and the latency; failed logins with the address; JSON
with LOG_FORMAT=json; never a password, token or cookie."""
from __future__ import annotations

import io
import json
import logging

import pytest

from assessment import request_log
from tests.conftest import PASSWORD


@pytest.fixture
def logs(app):
    """Everything the app's loggers write during the test, as text."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(request_log.formatter(app.config.get("LOG_FORMAT", "text")))
    loggers = [logging.getLogger(n) for n in ("bakohumas", "assessment")]
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def test_the_access_line_has_time_client_request_id_user_and_latency(app, client, auth,
                                                                     make_user, logs):
    user = make_user()
    auth.login()
    response = client.get("/dasbor/", headers={"X-Request-ID": "nginx-0123456789abcdef"})
    assert response.headers["X-Request-ID"] == "nginx-0123456789abcdef"
    line = [l for l in logs.getvalue().splitlines() if '"GET /dasbor/"' in l][-1]
    assert "bakohumas.access" in line and line[:4].isdigit()          # a timestamp first
    assert f"user={user.id}" in line and "req=nginx-0123456789abcdef" in line
    assert line.rstrip().endswith("ms")
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id; with spaces"})
    assert len(generated.headers["X-Request-ID"]) == 16               # replaced, not logged


def test_failed_logins_are_logged_with_the_address_and_no_secret(app, client, auth, make_user,
                                                                 logs):
    make_user()
    auth.login(password="tebakan-salah-XYZ")
    auth.login(username="tidak-ada", password="tebakan-lain-QRS")
    auth.login()                                                       # the right one
    client.get("/api/v1/periods", headers={"Authorization": "Bearer bkh_rahasiatoken123456789"})
    text = logs.getvalue()
    failed = [l for l in text.splitlines() if "login failed" in l]
    assert len(failed) == 3
    assert "username=op-33 client=127.0.0.1 reason=wrong password" in failed[0]
    assert "username=tidak-ada" in failed[1] and "api token refused" in failed[2]
    for secret in ("tebakan-salah-XYZ", "tebakan-lain-QRS", PASSWORD, "rahasiatoken123456789"):
        assert secret not in text
    assert "session=" not in text.lower()


def test_json_logs_with_the_address_forwarded_by_the_proxy(app, logs):
    from assessment import create_app
    from tests.conftest import _app_config
    proxied = create_app({**_app_config(app.config["SQLALCHEMY_DATABASE_URI"],
                                        app.config["UPLOAD_DIR"]),
                          "LOG_FORMAT": "json", "PROXY_FIX_HOPS": 1})
    for handler in logging.getLogger("bakohumas").handlers:
        handler.setFormatter(request_log.formatter("json"))
    proxied.test_client().get("/akun/masuk", headers={"X-Forwarded-For": "203.0.113.7"})
    entries = [json.loads(l) for l in logs.getvalue().splitlines()]
    access = [e for e in entries if e["logger"] == "bakohumas.access"][-1]
    assert access["client"] == "203.0.113.7" and access["status"] == 200
    assert access["path"] == "/akun/masuk" and access["user_id"] is None
    assert access["time"].endswith("+00:00") and access["duration_ms"] >= 0
    assert len(access["request_id"]) == 16
    request_log.configure("text")


def test_a_token_in_a_path_is_shortened():
    assert request_log._path("/masuk/reset/AbCdEfGhIjKlMnOpQrStUvWxYz012345") == \
        "/masuk/reset/~AbCdEf"
