"""Shared fixtures: an app on a temporary database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), a client, and small factories.

Hypothesis: HYPOTHESIS_PROFILE=thorough for a deep run."""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime, timedelta, timezone
from functools import cache

import pytest
from flask import g, request_started
from hypothesis import settings
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

settings.register_profile("default", max_examples=80, deadline=None)
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PASSWORD = "kata-sandi-uji-123"


def _database_urls():
    yield "sqlite"
    if os.environ.get("TEST_DATABASE_URL"):
        yield "postgresql"


def _app_config(url: str, upload_dir) -> dict:
    return {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": str(upload_dir), "WTF_CSRF_ENABLED": False,
            # each test its own keys when REDIS_URL is set (sessions, login throttle)
            "REDIS_PREFIX": f"test-{uuid.uuid4().hex[:12]}:"}


def _seed(url: str, upload_dir) -> None:
    """Migrate and seed a database once (registry, default rubric, admin)."""
    from assessment import create_app
    from assessment.extensions import db
    from assessment.first_start import prepare
    app = create_app(_app_config(url, upload_dir))
    prepare(app)
    with app.app_context():
        db.engine.dispose()


def _pg_admin(base_url: str):
    return create_engine(base_url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def seeded_templates(tmp_path_factory):
    """Seeded template databases, built once per test session."""
    folder = tmp_path_factory.mktemp("templates")
    templates = {"sqlite": folder / "template.db"}
    _seed(f"sqlite:///{templates['sqlite']}", folder / "uploads")
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        name = f"tpl_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin(base)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        _seed(base.rsplit("/", 1)[0] + f"/{name}", folder / "uploads")
        templates["postgresql"] = name
    yield templates
    if base:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{templates["postgresql"]}"'))
        admin.dispose()


def _fresh_database(kind: str, templates: dict, tmp_path) -> tuple[str, callable]:
    """A copy of the seeded template for one test, and how to drop it."""
    return _copy_database(kind, templates[kind], tmp_path)


def _copy_database(kind: str, template, folder, name: str = "test.db") -> tuple[str, callable]:
    """A copy of a template database (a SQLite file, or a PostgreSQL database's name), and
    how to drop it."""
    if kind == "sqlite":
        path = folder / name
        shutil.copyfile(template, path)
        return f"sqlite:///{path}", lambda: None
    base = os.environ["TEST_DATABASE_URL"]
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin(base)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}", drop


def _build_demo(url: str, upload_dir) -> str:
    """Create the demo (``python run.py --demo``'s data) on a seeded database."""
    from assessment import create_app
    from assessment.demo import create_demo
    from assessment.extensions import db
    app = create_app(_app_config(url, upload_dir))
    with app.app_context():
        text_ = create_demo(app)
        db.session.remove()
        db.engine.dispose()
    return text_


@pytest.fixture(scope="session")
def demo_templates(seeded_templates, tmp_path_factory):
    """The demo built once per test session on copies of the seeded templates (about 20 s
    each); a test asking for ``demo`` gets its own copy. Its dates are relative to the day
    it was built, like a demo started that day."""
    folder = tmp_path_factory.mktemp("demo")
    templates = {"uploads": folder / "uploads"}
    templates["uploads"].mkdir()
    drops = []
    for kind in _database_urls():
        url, drop = _copy_database(kind, seeded_templates[kind], folder, "demo.db")
        drops.append(drop)
        templates[kind] = folder / "demo.db" if kind == "sqlite" else url.rsplit("/", 1)[1]
        templates[f"{kind}-text"] = _build_demo(url, templates["uploads"])
    yield templates
    for drop in drops:
        drop()


class _SharedTemplates(BytecodeCache):
    """Compiled templates kept for the whole session: each test builds its own app, and so
    its own Jinja environment, which would compile every template it renders again (about
    25 ms each, a tenth of a second for a typical test). Jinja keys each entry by the
    template's name and checks its source's checksum, so an edited template is compiled
    afresh."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _SharedTemplates()


def _fresh_request_state(sender, **extra):
    """Test requests share the fixture's app context (and so ``g``): forget the user and
    the language the previous request loaded, so that each request is who and in what
    language its own session cookie says."""
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)


@pytest.fixture(params=list(_database_urls()))
def app(request, tmp_path, seeded_templates):
    """The application on a migrated database holding the registry and default rubric;
    on a copy of the demo instead when the test also asks for ``demo``."""
    from assessment import create_app
    from assessment.extensions import db

    templates = seeded_templates
    if "demo" in request.fixturenames:
        templates = request.getfixturevalue("demo_templates")
        shutil.copytree(templates["uploads"], tmp_path / "uploads", dirs_exist_ok=True)
    url, drop = _fresh_database(request.param, templates, tmp_path)
    app = create_app(_app_config(url, tmp_path / "uploads"))
    app.jinja_env.bytecode_cache = _TEMPLATES
    request_started.connect(_fresh_request_state, app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    drop()


@pytest.fixture
def demo(request, app, demo_templates):
    """The demo's data in the test's database (``app`` is then built on a copy of the demo
    made once per session); the value is what ``create_demo`` printed."""
    return demo_templates[f"{request.node.callspec.params['app']}-text"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    from assessment.extensions import db
    return db.session


@cache
def password_hash(password: str) -> str:
    """The password's hash at the production cost (scrypt, about 0.12 s of CPU), made once
    per distinct password of the session, as the demo hashes its one password once: test
    users share a salt, and each login still checks the password at full cost."""
    return generate_password_hash(password)


@pytest.fixture
def make_user(session):
    from assessment.models import User

    def make(username="op-33", role="operator", unit_code="33", password=PASSWORD, **kw):
        user = User(username=username, role=role, unit_code=unit_code, name=kw.pop("name", username), **kw)
        # what User.set_password does, with the hash made once per password
        user.password_hash = password_hash(password)
        user.session_epoch = (user.session_epoch or 0) + 1
        session.add(user)
        session.commit()
        return user
    return make


@pytest.fixture
def make_period(session):
    from assessment.models import Period

    def make(slug="bakohumas-2025", opens=-1, closes=7, **kw):
        now = datetime.now(timezone.utc)
        period = Period(slug=slug, title=kw.pop("title", "Penilaian Tata Kelola Bakohumas 2025"),
                        rubric_id=kw.pop("rubric_id", "bakohumas-2025"),
                        opens_at=now + timedelta(days=opens), closes_at=now + timedelta(days=closes),
                        **kw)
        session.add(period)
        session.commit()
        return period
    return make


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username="op-33", password=PASSWORD):
        return self.client.post("/akun/masuk", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/akun/keluar")


@pytest.fixture
def cli(app, monkeypatch, capsys):
    """Run a ``run.py`` command against the test's database; returns (exit status, stdout,
    stderr)."""
    import run
    from assessment.extensions import db
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("UPLOAD_DIR", app.config["UPLOAD_DIR"])

    def invoke(*argv):
        capsys.readouterr()
        code = run.main([str(a) for a in argv])
        out = capsys.readouterr()
        db.session.expire_all()
        return code, out.out, out.err
    return invoke


@pytest.fixture
def auth(client):
    return Auth(client)


SLUG = "bakohumas-2025"


def english(client):
    """Switch a client's interface to English, so messages can be asserted in English
    (the default interface language is Indonesian)."""
    client.post("/bahasa/en")


def sub_of(session, unit="33"):
    """The stored submission of a unit, read afresh from the database."""
    from assessment.models import Submission
    session.expire_all()
    return session.query(Submission).filter_by(unit_code=unit).first()


@pytest.fixture
def operator(client, auth, make_user, make_period):
    """The operator of KPU Provinsi Jawa Tengah (33), logged in with the interface in
    English, and an open period."""
    user = make_user(username="op-33", unit_code="33")
    period = make_period(slug=SLUG)
    auth.login("op-33")
    english(client)
    return user, period
