"""The application core: first start, health check, login and its throttle, headers."""
from assessment.models import AuditLog, User, WorkUnit
from tests.conftest import PASSWORD


def test_first_start_loads_registry_rubric_and_admin(session):
    # 553 units today and the 26 Papua regency codes that ended in 2022 (with successors)
    from assessment.models.units import existing_today
    assert session.query(WorkUnit).count() == 553 + 26
    assert session.query(WorkUnit).filter(existing_today()).count() == 553
    aceh = session.get(WorkUnit, "11")
    assert aceh.name == "KIP Aceh" and aceh.time_zone == "WIB" and aceh.level == "provinsi"
    assert session.get(WorkUnit, "11.71").name == "KIP Kota Banda Aceh"
    assert session.get(WorkUnit, "33").name == "KPU Provinsi Jawa Tengah"
    assert session.get(WorkUnit, "94.01").time_zone == "WIT"
    assert session.get(WorkUnit, "73.71").time_zone == "WITA"
    assert session.get(WorkUnit, "00").level == "pusat"
    levels = {lvl: session.query(WorkUnit).filter_by(level=lvl).filter(existing_today()).count()
              for lvl in ("pusat", "provinsi", "kabkota")}
    assert levels == {"pusat": 1, "provinsi": 38, "kabkota": 514}
    admin = session.query(User).filter_by(role="admin").one()
    assert admin.password_hash.startswith("scrypt:")


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    from assessment import create_app
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_DIR": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_login_logout_and_audit(client, auth, make_user, session):
    make_user()
    response = auth.login()
    assert response.status_code == 302
    assert client.get("/dasbor/").status_code == 200
    assert session.query(AuditLog).filter_by(action="login").count() == 1
    auth.logout()
    assert client.get("/dasbor/").status_code == 302


def test_wrong_password_is_refused(auth, make_user):
    make_user()
    assert auth.login(password="salah").status_code == 401


def test_login_throttle_blocks_even_the_right_password(app, auth, make_user):
    make_user()
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert auth.login(password="tebakan").status_code == 401
    response = auth.login(password=PASSWORD)
    assert response.status_code == 429
    assert "15" in response.get_data(as_text=True)


def test_security_headers_and_cookie_flags(client, auth, make_user):
    make_user()
    response = auth.login()
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/akun/masuk")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_login_page_has_no_inline_script(client):
    html = client.get("/akun/masuk").get_data(as_text=True)
    import re
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag, tag


def test_error_pages_speak_the_interface_language(app, client, auth, make_user):
    response = client.get("/tidak-ada")
    assert response.status_code == 404 and "text/html" in response.content_type
    assert "Halaman tidak ditemukan" in response.get_data(as_text=True)
    client.post("/bahasa/en")
    assert "Page not found" in client.get("/tidak-ada").get_data(as_text=True)
    # the API keeps its JSON errors
    assert client.get("/api/v1/tidak-ada").get_json()["error"] == "not_found"


def test_a_missing_csrf_token_gets_a_clear_page(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user()
    response = app.test_client().post("/akun/masuk", data={"username": "op-33", "password": PASSWORD})
    assert response.status_code == 400
    assert "Muat ulang halaman" in response.get_data(as_text=True)


def test_failed_logins_outside_the_window_are_pruned(app, auth, make_user, session):
    from datetime import timedelta

    from assessment.models import LoginAttempt
    from assessment.models.types import utcnow
    make_user()
    old = utcnow() - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 60)
    session.add_all([LoginAttempt(key="user:op-33", at=old) for _ in range(50)])
    session.commit()
    assert auth.login(password="tebakan").status_code == 401   # old attempts do not block
    session.expire_all()
    assert session.query(LoginAttempt).filter_by(key="user:op-33").count() == 1
