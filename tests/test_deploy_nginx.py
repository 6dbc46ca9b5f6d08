"""deploy/nginx/bakohumas.conf run by Debian's nginx on loopback ports in front of a gunicorn
started with the documented command: a 9 MB upload passes, a larger one gets the Indonesian
413 page, HSTS from X-Forwarded-Proto, gzip, and the static files' immutable caching."""
from __future__ import annotations

import gzip
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.test_workers import ROOT, free_port, wait_until_up

NGINX = "/usr/sbin/nginx"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")]


def site_config(tmp_path: Path, https: int, http: int, app_port: int) -> str:
    """The kit's site file with loopback ports, a test certificate and this checkout's paths."""
    import assessment
    import flask_bootstrap
    text = (ROOT / "deploy" / "nginx" / "bakohumas.conf").read_text()
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "listen 80;": f"listen 127.0.0.1:{http};", "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/ssl/certs/bakohumas.crt": str(tmp_path / "cert.pem"),
        "/etc/ssl/private/bakohumas.key": str(tmp_path / "key.pem"),
        "/opt/bakohumas/deploy/errors/": str(ROOT / "deploy" / "errors") + "/",
        "/opt/bakohumas/venv/lib/python3.11/site-packages/assessment/static/":
            str(Path(assessment.__file__).parent / "static") + "/",
        "/opt/bakohumas/venv/lib/python3.11/site-packages/flask_bootstrap/static/bootstrap5/":
            str(Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5") + "/",
        "/var/log/nginx/": str(tmp_path) + "/",
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def site(app, make_user, tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    app_port, https, http = free_port(), free_port(), free_port()
    env = {**os.environ, "SECRET_KEY": uuid.uuid4().hex * 2,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_DIR": app.config["UPLOAD_DIR"], "BIND": f"127.0.0.1:{app_port}",
           "WEB_CONCURRENCY": "2", "PROXY_FIX_HOPS": "1",   # sync workers, as in production
           "PUBLIC_URL": f"https://127.0.0.1:{https}", "REDIS_URL": "",
           "MIGRATE_ON_START": "0", "GUNICORN_ERROR_LOG": str(tmp_path / "gunicorn.log")}
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                 "assessment:create_app()"], cwd=ROOT, env=env)
    (tmp_path / "site.conf").write_text(site_config(tmp_path, https, http, app_port))
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"""
{user}
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-main.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    access_log {tmp_path}/main-access.log;
    include {tmp_path}/site.conf;
}}
""")
    nginx = subprocess.Popen([NGINX, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)])
    try:
        wait_until_up(f"http://127.0.0.1:{app_port}", gunicorn)
        for _attempt in range(100):   # nginx is up when its HTTPS port answers
            if nginx.poll() is not None:
                raise AssertionError("nginx stopped: see the captured stderr")
            try:
                fetch(f"https://127.0.0.1:{https}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        yield f"https://127.0.0.1:{https}", f"http://127.0.0.1:{http}"
    finally:
        nginx.send_signal(signal.SIGQUIT)
        gunicorn.send_signal(signal.SIGTERM)
        nginx.wait(timeout=30)
        gunicorn.wait(timeout=60)


CONTEXT = ssl.create_default_context()
CONTEXT.check_hostname = False
CONTEXT.verify_mode = ssl.CERT_NONE


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(urllib.request.HTTPSHandler(context=CONTEXT), NoRedirect)


def fetch(url: str, data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with OPENER.open(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def multipart(size: int) -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"bukti.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() \
        + b"%PDF-1.4\n" + b"0" * size + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_nginx_in_front_of_gunicorn(site):
    https, http = site
    status, headers, _ = fetch(http + "/akun/masuk")
    assert status == 301 and headers["Location"] == "https://127.0.0.1/akun/masuk"
    status, headers, body = fetch(https + "/akun/masuk", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["Content-Encoding"] == "gzip" and b"csrf_token" in gzip.decompress(body)
    assert "Secure" in headers["Set-Cookie"] and headers["X-Request-ID"]
    # 9 MB reaches the app (which answers it: here the CSRF check, 400), not nginx's 413
    body9, form = multipart(9 * 1024 * 1024)
    status, headers, page = fetch(https + "/akun/masuk", data=body9, headers=form)
    assert status != 413 and headers.get("X-Request-ID")
    body30, form = multipart(30 * 1024 * 1024)
    status, headers, page = fetch(https + "/akun/masuk", data=body30, headers=form)
    assert status == 413 and "Berkas terlalu besar" in page.decode()
    status, headers, css = fetch(https + "/static/app.css?v=1", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and "immutable" in headers["Cache-Control"]
    assert headers["Content-Encoding"] == "gzip" and "X-Request-ID" not in headers  # nginx's
    status, headers, _ = fetch(https + "/bootstrap/static/css/bootstrap.min.css")
    assert status == 200 and "max-age=31536000" in headers["Cache-Control"]
