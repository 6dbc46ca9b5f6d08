"""What the server says about itself and the transport headers: no Werkzeug/Python version
from the development server, HSTS with includeSubDomains, Cross-Origin-Resource-Policy; and
direct requests cannot choose their own address for the login throttle when
PROXY_FIX_HOPS is set (only the address the trusted proxy appended counts)."""
from __future__ import annotations

import http.client
import threading

from werkzeug.serving import make_server

from tests.conftest import PASSWORD


def test_the_development_server_does_not_announce_its_versions(app, monkeypatch):
    """run.py serve starts the server with the quiet handler; the same server, started the
    way it does, answers without Werkzeug's or Python's version."""
    import run
    from assessment.security import QuietRequestHandler
    started = {}
    monkeypatch.setattr(run, "make_app", lambda **kw: app)
    monkeypatch.setattr("assessment.first_start.prepare", lambda app: None)
    monkeypatch.setattr(type(app), "run", lambda self, **kw: started.update(kw))
    run.cmd_serve(type("Args", (), {"demo": False, "host": "127.0.0.1", "port": 5000})())
    assert started["request_handler"] is QuietRequestHandler
    server = make_server("127.0.0.1", 0, app, threaded=True,
                         request_handler=started["request_handler"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in ("/akun/masuk", "/tidak-ada", "/static/favicon.svg"):
            connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            servers = response.headers.get_all("Server") or []
            assert servers == ["bakohumas"], (path, servers)
            connection.close()
    finally:
        server.shutdown()
        thread.join()


def test_hsts_includes_subdomains_and_resources_stay_same_origin(app, client):
    app.config["HSTS_SECONDS"] = 31536000
    for path in ("/akun/masuk", "/static/favicon.svg", "/api/v1/openapi.json", "/tidak-ada"):
        response = client.get(path, base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == \
            "max-age=31536000; includeSubDomains"
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    plain = client.get("/akun/masuk")
    assert "Strict-Transport-Security" not in plain.headers
    assert plain.headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_direct_requests_cannot_choose_their_address_for_the_throttle(app, make_user):
    """With PROXY_FIX_HOPS=1 only the last X-Forwarded-For entry (the one the proxy adds)
    is believed: a guesser reaching the app straight, or through the proxy with a forged
    header, cannot spread failures over invented addresses."""
    from assessment import create_app
    make_user(username="op-33", unit_code="33")
    proxied = create_app({**{k: app.config[k] for k in (
        "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "WTF_CSRF_ENABLED",
        "REDIS_PREFIX")}, "PROXY_FIX_HOPS": 1})
    client = proxied.test_client()
    limit = 4 * proxied.config["LOGIN_MAX_FAILURES"]
    for n in range(limit):
        # the forged entry first, then what the proxy appended: the real client 10.0.0.5
        response = client.post("/akun/masuk", data={"username": f"tebakan-{n}", "password": "x"},
                               headers={"X-Forwarded-For": f"203.0.113.{n}, 10.0.0.5"},
                               environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert response.status_code == 401
    forged = client.post("/akun/masuk", data={"username": "op-33", "password": PASSWORD},
                         headers={"X-Forwarded-For": "198.51.100.77, 10.0.0.5"},
                         environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert forged.status_code == 429
    # the trusted hop decides: another real client behind the proxy is not blocked
    other = client.post("/akun/masuk", data={"username": "op-33", "password": PASSWORD},
                        headers={"X-Forwarded-For": "10.0.0.6"},
                        environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert other.status_code == 302
