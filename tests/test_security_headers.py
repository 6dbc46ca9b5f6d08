"""Security headers on every kind of response - a page, an error page, a file download, the
JSON API and its errors - and cookie flags: HttpOnly and SameSite always, Secure when the
site is HTTPS, HSTS on HTTPS responses only."""
from __future__ import annotations

import re

import pytest

from assessment.operations.tokens import create_token
from tests.conftest import SLUG


def api_headers(session, user) -> dict:
    _, secret = create_token(session, user, "uji")
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def responses(app, client, session, make_user, make_period, auth):
    """One response of each kind, keyed by what it is."""
    user = make_user()
    make_period(slug=SLUG)
    anonymous = client.get("/akun/masuk")
    auth.login()
    return {
        "login page": anonymous,
        "page": client.get(f"/kuesioner/{SLUG}"),
        "404 page": client.get("/tidak-ada"),
        "403 page": client.get("/admin/audit/"),
        "download": client.get(f"/kuesioner/{SLUG}/excel"),
        "api": client.get("/api/v1/periods", headers=api_headers(session, user)),
        "api error": client.get("/api/v1/periods", headers={"Authorization": "Bearer salah"}),
        "health": client.get("/healthz"),
    }


def test_every_response_carries_the_security_headers(responses):
    for kind, response in responses.items():
        headers = response.headers
        csp = dict(part.strip().split(" ", 1)
                   for part in headers["Content-Security-Policy"].split(";"))
        assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'", kind
        assert csp.get("frame-ancestors", "'none'") == "'none'", kind
        assert "unsafe-inline" not in csp.get("script-src", ""), kind
        assert "unsafe-eval" not in str(csp), kind
        assert headers["X-Content-Type-Options"] == "nosniff", kind
        assert headers["X-Frame-Options"] == "DENY", kind
        assert headers["Referrer-Policy"] == "same-origin", kind
        assert "camera=()" in headers["Permissions-Policy"], kind
        assert "geolocation=()" in headers["Permissions-Policy"], kind
        assert "Strict-Transport-Security" not in headers, kind   # plain HTTP: not sent


def test_the_responses_are_what_they_claim(responses):
    status = {kind: response.status_code for kind, response in responses.items()}
    assert status == {"login page": 200, "page": 200, "404 page": 404, "403 page": 403,
                      "download": 200, "api": 200, "api error": 401, "health": 200}
    assert responses["download"].headers["Content-Disposition"].startswith("attachment")
    assert responses["api error"].get_json()["error"]


def test_private_responses_are_not_cached(responses):
    for kind in ("login page", "page", "404 page", "download", "api", "api error"):
        assert "no-store" in responses[kind].headers["Cache-Control"], kind
    assert responses["download"].headers["Cache-Control"] == "private, no-store"


def test_pages_have_no_inline_script(responses):
    for kind in ("login page", "page", "404 page", "403 page"):
        html = responses[kind].get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (kind, tag)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), f"inline event handler in {kind}"


def test_static_files_stay_cacheable_and_typed(client):
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_on_https_responses(client, make_user, auth):
    response = client.get("/akun/masuk", base_url="https://bakohumas.kpu.go.id")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    api = client.get("/api/v1/periods", base_url="https://bakohumas.kpu.go.id")
    assert api.status_code == 401 and "Strict-Transport-Security" in api.headers


def test_hsts_can_be_turned_off(app, client):
    app.config["HSTS_SECONDS"] = 0
    response = client.get("/akun/masuk", base_url="https://bakohumas.kpu.go.id")
    assert "Strict-Transport-Security" not in response.headers


def _cookie(response, name="session") -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    return cookie


def test_session_cookie_is_httponly_and_samesite_but_not_secure_over_http(client, make_user,
                                                                          auth):
    make_user()
    cookie = _cookie(auth.login())
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_when_configured(app, client, make_user):
    app.config["SESSION_COOKIE_SECURE"] = True
    make_user()
    response = client.post("/akun/masuk", data={"username": "op-33",
                                                 "password": "kata-sandi-uji-123"},
                           base_url="https://bakohumas.kpu.go.id")
    assert response.status_code == 302
    cookie = _cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
