"""Production configuration comes from environment variables only, read when the app is
built, with a clear error naming the variable when one is missing or malformed."""
from __future__ import annotations

import pytest
from flask import request, url_for

from assessment import create_app
from assessment.config import ConfigError, from_environment
from assessment.serving import warnings

SECRET = "s" * 64


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment with a database and upload folder in tmp_path."""
    for name in ("SECRET_KEY", "DATABASE_URL", "UPLOAD_DIR", "PUBLIC_URL", "COOKIE_SECURE",
                 "SESSION_COOKIE_SECURE", "PREFERRED_URL_SCHEME", "PROXY_FIX_HOPS",
                 "REDIS_URL", "FLASK_DEBUG", "MAX_REQUEST_MB", "DB_POOL_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "berkas"))
    return monkeypatch


def test_secret_key_is_required_outside_debug_testing_and_demo(env):
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        create_app()
    env.setenv("SECRET_KEY", "rahasia-pendek")
    with pytest.raises(ConfigError) as error:
        create_app()
    assert str(error.value).startswith("SECRET_KEY: too short: use at least 16")
    assert "rahasia" not in str(error.value)          # a secret is never repeated
    env.setenv("SECRET_KEY", SECRET)
    assert create_app().config["SECRET_KEY"] == SECRET


@pytest.mark.parametrize("relaxed", [{"TESTING": True}, {"DEMO": True}])
def test_debug_testing_and_demo_get_a_random_secret(env, relaxed):
    first, second = create_app(relaxed), create_app(relaxed)
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]


def test_settings_are_read_when_the_app_is_built(env, tmp_path):
    env.setenv("SECRET_KEY", SECRET)
    env.setenv("MAX_REQUEST_MB", "2.5")
    env.setenv("LOGIN_MAX_FAILURES", "7")
    env.setenv("DB_POOL_SIZE", "3")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'prod.db'}"
    assert app.config["UPLOAD_DIR"] == str(tmp_path / "berkas")
    assert (tmp_path / "berkas").is_dir()
    assert app.config["MAX_CONTENT_LENGTH"] == int(2.5 * 1024 * 1024)
    assert app.config["LOGIN_MAX_FAILURES"] == 7
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_size": 3}


@pytest.mark.parametrize("variable, value, message", [
    ("MAX_UPLOAD_MB", "sepuluh", "positive number of megabytes"),
    ("MAX_UPLOAD_MB", "-1", "positive number of megabytes"),
    ("LOGIN_MAX_FAILURES", "0", "1 or more"),
    ("LOGIN_WINDOW_SECONDS", "15m", "1 or more"),
    ("PROXY_FIX_HOPS", "-1", "0 or more"),
    ("SESSION_COOKIE_SECURE", "maybe", "1 or 0"),
    ("PUBLIC_URL", "pemilu.kpu.go.id", "http:// or https://"),
    ("PREFERRED_URL_SCHEME", "ftp", "http or https"),
])
def test_a_malformed_value_names_the_variable(variable, value, message):
    with pytest.raises(ConfigError) as error:
        from_environment({variable: value})
    assert str(error.value).startswith(f"{variable}={value!r}: ") and message in str(error.value)


def test_unset_and_empty_variables_leave_the_defaults():
    assert from_environment({"SMTP_HOST": "", "REDIS_URL": "  "}) == {}


@pytest.mark.parametrize("environ, secure, scheme", [
    ({}, False, "http"),                                          # python run.py --demo over http
    ({"PUBLIC_URL": "https://bakohumas.kpu.go.id"}, True, "https"),
    ({"PUBLIC_URL": "https://bakohumas.kpu.go.id", "SESSION_COOKIE_SECURE": "0"}, False, "https"),
    ({"COOKIE_SECURE": "1"}, True, "http"),                        # the older name still works
    ({"PREFERRED_URL_SCHEME": "https"}, False, "https"),
])
def test_cookies_are_secure_exactly_when_the_site_is_https(env, environ, secure, scheme):
    env.setenv("SECRET_KEY", SECRET)
    for name, value in environ.items():
        env.setenv(name, value)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure
    assert app.config["PREFERRED_URL_SCHEME"] == scheme
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_demo_over_plain_http_keeps_its_session(env):
    """The documented local demo (`python run.py --demo`, http://127.0.0.1:5000) must be
    able to log in: its cookie cannot be Secure."""
    # the database here has no schema: only the cookie is looked at, not the schema guard
    app = create_app({"DEMO": True, "SCHEMA_CHECK": False})
    client = app.test_client()
    response = client.post("/bahasa/en")
    assert "Secure" not in response.headers["Set-Cookie"]


def _whoami_app(env, **config):
    env.setenv("SECRET_KEY", SECRET)
    app = create_app({"SCHEMA_CHECK": False, **config})   # no schema in this database
    app.add_url_rule("/_whoami", "whoami", lambda: {
        "addr": request.remote_addr, "scheme": request.scheme,
        "url": url_for("main.healthz", _external=True)})
    return app


def test_proxy_fix_trusts_exactly_the_configured_number_of_proxies(env):
    headers = {"X-Forwarded-For": "203.0.113.9, 10.1.2.3", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "bakohumas.kpu.go.id"}
    direct = _whoami_app(env).test_client().get("/_whoami", headers=headers).get_json()
    assert direct == {"addr": "127.0.0.1", "scheme": "http",
                      "url": "http://localhost/healthz"}    # headers from a client are ignored
    env.setenv("PROXY_FIX_HOPS", "1")
    proxied = _whoami_app(env).test_client().get("/_whoami", headers=headers)
    # one proxy: the last address it appended is the client; the scheme and host are its
    assert proxied.get_json() == {"addr": "10.1.2.3", "scheme": "https",
                                  "url": "https://bakohumas.kpu.go.id/healthz"}
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_warnings_name_what_is_probably_wrong(env):
    env.setenv("SECRET_KEY", SECRET)
    found = " ".join(warnings(create_app()))
    assert "not marked Secure" in found and "SQLite" in found and "PROXY_FIX_HOPS" in found
    env.setenv("PUBLIC_URL", "https://bakohumas.kpu.go.id")
    env.setenv("PROXY_FIX_HOPS", "1")
    env.setenv("DATABASE_URL", "postgresql+psycopg://bakohumas@db/bakohumas")
    assert warnings(create_app()) == []
