"""Browser-test support: the real application served by werkzeug in a background thread
(real CSRF, real sessions, a temporary SQLite database prepared by ``first_start.prepare``),
Debian's chromium driven by Playwright (never a downloaded browser), and full-page
screenshots of each step under ``test-artifacts/browser/`` (git-ignored).

Use in a test module::

    from tests.browser_support import (browser, live_server, page,  # noqa: F401
                                       prepared_database, shot)
"""
from __future__ import annotations

import re
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import got_request_exception

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"
PASSWORD = "kata-sandi-browser-123"
SLUG = "bakohumas-2025"


@dataclass
class LiveServer:
    """The running application: its base URL, the open period and an operator of ``unit``."""

    app: object
    url: str
    slug: str = SLUG
    username: str = "op-33"
    password: str = PASSWORD
    unit: str = "33"
    errors: list = field(default_factory=list)

    @contextmanager
    def db(self):
        """The database session in an app context of the test's own thread."""
        from assessment.extensions import db
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()


def _config(db_path: Path, upload_dir: Path) -> dict:
    # TESTING off and CSRF on: the browser goes through what a real user goes through
    return {"SECRET_KEY": "browser-test-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "UPLOAD_DIR": str(upload_dir), "WTF_CSRF_ENABLED": True, "TESTING": False}


@pytest.fixture(scope="session")
def prepared_database(tmp_path_factory) -> Path:
    """A database migrated and seeded once by ``first_start.prepare`` (copied per test)."""
    from assessment import create_app
    from assessment.extensions import db
    from assessment.first_start import prepare
    folder = tmp_path_factory.mktemp("browser-db")
    path = folder / "prepared.db"
    app = create_app(_config(path, folder / "uploads"))
    prepare(app)
    with app.app_context():
        db.engine.dispose()
    return path


def _seed(app, slug: str, username: str, unit: str) -> None:
    """An open period (opened a day ago, closing in a week) and an operator account."""
    from assessment.extensions import db
    from assessment.models import User
    from assessment.operations.periods import open_period
    now = datetime.now(timezone.utc)
    with app.app_context():
        open_period(db.session, slug=slug, title="Penilaian Tata Kelola Bakohumas 2025",
                    rubric_id="bakohumas-2025", opens_at=now - timedelta(days=1),
                    closes_at=now + timedelta(days=7), levels=["pusat", "provinsi", "kabkota"])
        user = User(username=username, name="Operator Jawa Tengah", role="operator",
                    unit_code=unit)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def live_server(tmp_path, prepared_database):
    """The application served on 127.0.0.1 (a free port, threaded) until the test ends.
    Exceptions raised while serving a request fail the test at teardown."""
    from werkzeug.serving import make_server

    from assessment import create_app
    from assessment.extensions import db

    db_path = tmp_path / "browser.db"
    shutil.copyfile(prepared_database, db_path)
    app = create_app(_config(db_path, tmp_path / "uploads"))
    live = LiveServer(app=app, url="")
    _seed(app, live.slug, live.username, live.unit)

    def remember(sender, exception, **extra):
        live.errors.append(repr(exception))
    got_request_exception.connect(remember, app)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    live.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(remember, app)
        with app.app_context():
            db.engine.dispose()
    assert not live.errors, f"the server raised while serving requests: {live.errors}"


_SHARED: dict = {}


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright (no browser download). One for the whole
    session: each test module importing this fixture is its own definition to pytest, and
    a second Playwright started in the same thread would fail."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; CI installs it)")
    if "chromium" in _SHARED:
        yield _SHARED["chromium"]
        return
    from playwright.sync_api import sync_playwright
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    _SHARED["chromium"] = chromium
    try:
        yield chromium
    finally:
        _SHARED.pop("chromium", None)
        chromium.close()
        playwright.stop()


class Screenshots:
    """Full-page PNGs of each step, numbered in order, in one folder per test."""

    def __init__(self, folder: Path):
        self.folder, self.step = folder, 0

    def __call__(self, page, name: str) -> Path:
        self.step += 1
        path = self.folder / f"{self.step:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path


@pytest.fixture
def shot(request) -> Screenshots:
    """``shot(page, "step-name")`` saves test-artifacts/browser/<test>/NN-step-name.png."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return Screenshots(folder)


@contextmanager
def _opened(browser, expected=lambda msg: False, **options):
    """A fresh context (no cookies; an Indonesian browser in WIB) and its page with 10 s
    auto-wait timeouts; JavaScript errors and console errors (CSP violations among them)
    fail the test, but for the console messages ``expected(msg)`` accepts (a status the
    test provokes on purpose, which chromium reports as an error)."""
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []

    def console(msg):
        # the app has no favicon: the browser's own request for it is not the page's error
        if (msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico")
                and not expected(msg)):
            problems.append(f"console: {msg.text} ({msg.location.get('url')})")
    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems


@pytest.fixture
def page(browser):
    """A desktop-sized page (1280x900)."""
    with _opened(browser, viewport={"width": 1280, "height": 900}) as opened:
        yield opened


@pytest.fixture
def phone_page(browser):
    """A phone-sized page (390x844, touch, mobile viewport rules)."""
    with _opened(browser, viewport={"width": 390, "height": 844}, device_scale_factor=1,
                 is_mobile=True, has_touch=True) as opened:
        yield opened


def login(page, live: LiveServer) -> None:
    """Log in through the login form (selectors by name and form action only)."""
    from playwright.sync_api import expect
    page.goto(f"{live.url}/akun/masuk")
    page.locator("input[name=username]").fill(live.username)
    page.locator("input[name=password]").fill(live.password)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator("form[action='/akun/keluar']")).to_be_attached()
