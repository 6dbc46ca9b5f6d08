"""Degrade, don't crash: a worker whose code expects another schema than the database has
refuses to serve (503, /healthz naming both revisions), and with REDIS_URL set but Redis
down, pages and logins answer a 503 page in Indonesian, never a 500."""
from __future__ import annotations

import pytest

from assessment import availability, create_app
from assessment.extensions import db
from assessment.migrate import head_revision, upgrade
from tests.conftest import PASSWORD, _app_config

CLOSED_PORT = "redis://127.0.0.1:1/0"   # nothing listens on port 1


def test_code_newer_than_the_database_refuses_to_serve(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")                       # the database of an older release
    app = create_app(_app_config(url, tmp_path / "uploads"))
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"status": "error", "database": "schema mismatch",
                                 "database_revision": "0002", "code_revision": head_revision(),
                                 "action": "python run.py migrate"}
    page = client.get("/akun/masuk")
    assert page.status_code == 503 and page.headers["Retry-After"] == "60"
    assert "Aplikasi sedang diperbarui" in page.get_data(as_text=True)
    upgrade(url)                               # `python run.py migrate`
    monkeypatch.setattr(availability, "RECHECK_SECONDS", 0)
    assert client.get("/healthz").status_code == 200
    assert client.get("/akun/masuk").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_a_database_newer_than_the_code_is_refused_too(app, client, session):
    """After a rollback of the code without `migrate --to`, the old code does not serve."""
    session.execute(db.text("UPDATE alembic_version SET version_num = '9999'"))
    session.commit()
    fresh = create_app({**_app_config(app.config["SQLALCHEMY_DATABASE_URI"],
                                      app.config["UPLOAD_DIR"])})
    health = fresh.test_client().get("/healthz").get_json()
    assert health["database_revision"] == "9999" and health["code_revision"] == head_revision()
    session.execute(db.text("UPDATE alembic_version SET version_num = :v"),
                    {"v": head_revision()})
    session.commit()


@pytest.fixture
def redis_down(app):
    """The test's app and database, built again with REDIS_URL at a closed port."""
    config = {**_app_config(app.config["SQLALCHEMY_DATABASE_URI"], app.config["UPLOAD_DIR"]),
              "REDIS_URL": CLOSED_PORT}
    broken = create_app(config)
    broken.extensions["redis"].connection_pool.connection_kwargs["socket_connect_timeout"] = 1
    yield broken
    with broken.app_context():
        db.engine.dispose()


def assert_unavailable_page(response):
    assert response.status_code == 503, response.status_code
    body = response.get_data(as_text=True)
    assert "Layanan sementara tidak tersedia" in body and "Traceback" not in body
    assert "Location" not in response.headers


def test_redis_down_gives_a_503_page_for_pages_and_logins(redis_down, make_user):
    make_user(username="op-jateng", role="operator", unit_code="33")
    client = redis_down.test_client()
    assert_unavailable_page(client.get("/akun/masuk"))            # the form's CSRF session
    redis_down.config["WTF_CSRF_ENABLED"] = False
    assert_unavailable_page(client.post("/akun/masuk", data={
        "username": "op-jateng", "password": PASSWORD}))          # the throttle's counters
    assert_unavailable_page(client.post("/akun/masuk", data={
        "username": "op-jateng", "password": "salah"}))
    client.set_cookie("session", "A" * 43)                        # an existing session
    assert_unavailable_page(client.get("/dasbor/"))
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["redis"] == "unreachable"
