"""Several gunicorn workers serve one database: a session made on one worker is valid on
the others, and failed logins are counted across them (in the database, or in Redis when
REDIS_URL is set), because no state lives in a worker's memory.

Starts the documented command, `gunicorn -c gunicorn.conf.py 'assessment:create_app()'`,
with two sync workers on a free loopback port; which worker answered is read from the
access log (its pid)."""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
FAILURES = 40   # high enough that rounds can go on until both workers have counted some

pytestmark = pytest.mark.slow


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie jar and a fresh connection per request (so requests spread over workers)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, username="op-33", password=PASSWORD) -> int:
        status, html = self.request("/akun/masuk")
        assert status == 200, html[:300]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]
        return self.request("/akun/masuk", {"csrf_token": token, "username": username,
                                            "password": password})[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, process) -> None:
    for _ in range(300):   # at most ~30 s to start; fails with the server's log otherwise
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not start (exit status {process.poll()})")


def pids(log: Path, request_line: str, status: int) -> list[str]:
    pattern = re.compile(rf'"{re.escape(request_line)} HTTP/1\.[01]" {status} .*pid=<(\d+)>')
    return [m[1] for m in map(pattern.search, log.read_text().splitlines()) if m]


def together(count: int, action) -> list:
    """Run ``action()`` in ``count`` threads released at the same moment."""
    barrier, results = threading.Barrier(count), [None] * count

    def worker(i):
        barrier.wait()
        results[i] = action()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture(params=["database", "redis", "preload"])
def server(request, app, make_user, tmp_path):
    """gunicorn with two workers on the test database; the throttle and sessions in the
    database/cookies, or in Redis, or as the first but with the app preloaded in the master
    (the workers must then open their own database connections)."""
    make_user()
    port = free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "SECRET_KEY": uuid.uuid4().hex * 2,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_DIR": app.config["UPLOAD_DIR"], "BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "1", "GUNICORN_ACCESS_LOG": str(log),
           "GUNICORN_ERROR_LOG": str(tmp_path / "error.log"),
           "LOGIN_MAX_FAILURES": str(FAILURES), "REDIS_URL": "", "PROXY_FIX_HOPS": "0"}
    if request.param == "redis":
        from tests.test_redis import REDIS_URL, redis_client
        redis_client().close()   # skips with the reason when Redis is unreachable
        env.update(REDIS_URL=REDIS_URL, REDIS_PREFIX=f"test-{uuid.uuid4().hex[:12]}:")
    env["GUNICORN_PRELOAD"] = "1" if request.param == "preload" else "0"
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                "assessment:create_app()"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base, log, request.param
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if env.get("REDIS_PREFIX"):
            from tests.test_redis import redis_client
            client = redis_client()
            keys = list(client.scan_iter(env["REDIS_PREFIX"] + "*"))
            if keys:
                client.delete(*keys)
            client.close()
        errors = (tmp_path / "error.log").read_text() if (tmp_path / "error.log").exists() else ""
        assert "Traceback" not in errors, errors[-3000:]


def test_a_session_is_valid_on_every_worker(server):
    base, log, _ = server
    browser = Browser(base)
    assert browser.login() == 302
    for _ in range(10):   # until both workers have answered (practically the first round)
        statuses = together(6, lambda: browser.request("/akun/profil")[0])
        assert statuses == [200] * 6            # never sent back to the login page
        if len(set(pids(log, "GET /akun/profil", 200))) >= 2:
            break
    assert len(set(pids(log, "GET /akun/profil", 200))) == 2


def test_failed_logins_are_counted_across_workers(server):
    base, log, where = server
    failed = 0
    for _ in range(8):   # rounds of 4 until both workers have counted some (usually the first)
        statuses = together(4, lambda: Browser(base).login(password="tebakan"))
        assert statuses == [401] * 4
        failed += 4
        if len(set(pids(log, "POST /akun/masuk", 401))) == 2:
            break
    assert len(set(pids(log, "POST /akun/masuk", 401))) == 2   # both workers counted some
    rest = FAILURES - failed   # each worker alone has counted fewer than the limit
    assert together(rest, lambda: Browser(base).login(password="tebakan")) == [401] * rest
    # the right password is now refused, whichever worker answers
    assert together(4, lambda: Browser(base).login()) == [429] * 4
    assert len(set(pids(log, "POST /akun/masuk", 429))) >= 1
