"""Shared fixtures: an app on a temporary database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), a client, and small factories.

Hypothesis: HYPOTHESIS_PROFILE=thorough for a deep run."""
from __future__ import annotations

import gc
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


class Counter:
    """A function wrapped to count its calls (``monkeypatch.setattr(module, name,
    Counter(module.name))``): tests count work done, never time it."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)

# ---- work the tests do not check, made cheap for the whole test process ------------------

# Password hashes at a token cost: scrypt with N=128 instead of werkzeug's default N=32768
# (about 0.09 s of CPU for each hash and each login check, the largest share of a typical
# logged-in test's CPU). Every caller of generate_password_hash (User.set_password, accounts,
# roster, demo, the dummy hash of a failed login) gets it in this process; the hashes are
# still scrypt, made and checked by the same code, and a command run in a subprocess
# (tests/test_operations_config.py) hashes at the production cost.
generate_password_hash.__defaults__ = ("scrypt:128:8:1", 16)


def _shared_url_builders() -> None:
    """Each test's app compiles two URL builders for each of its ~170 URL rules (Python code
    generated with ``ast`` and compiled: about half of ``create_app``'s CPU). A builder's code
    depends only on the rule's parsed parts and defaults and takes the rule as its argument,
    so the apps of the session share them."""
    from werkzeug.routing.rules import Rule
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:      # another werkzeug: compile as it does
        return
    builders = {}

    def shared(self, append_unknown=True):
        key = (self.rule, tuple(self._trace), append_unknown,
               repr(sorted((self.defaults or {}).items())))
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder
    Rule._compile_builder = shared


_shared_url_builders()


def pytest_collection_finish(session):
    """Garbage collection took about a quarter of the CPU of the app tests measured
    (questionnaire pages, assignment): the objects of the imports and the collection (some
    250,000, all kept to the end) are moved out of the collector's sight, and it runs after
    50,000 new objects instead of 700, since each test makes and drops a whole app."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, *gc.get_threshold()[1:])


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


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "built_on(build): the test's database (and upload folder) starts as a copy "
        "of the state build(app) leaves, built once per session (conftest.built_on)")


def built_on(build):
    """Mark a test (a decorator) or a module (``pytestmark = built_on(build)``) to start from
    the state ``build(app)`` leaves on the seeded database, built once per session and
    database kind and copied for each test (database, uploads and the files its runs kept),
    like the demo. ``build`` runs in an app context
    of its own (``app.test_client()`` for requests) and returns plain values (ids, names: no
    rows), which the ``built`` fixture gives the test."""
    return pytest.mark.built_on.with_args(build)


@pytest.fixture(scope="session")
def built_states(seeded_templates, tmp_path_factory):
    """The states of ``built_on`` builders, each built once per session and database kind
    on a copy of the seeded template: {(build, kind): (template, folder, value)}, the folder
    holding its uploads and its results cache."""
    states, drops = {}, []

    def get(build, kind):
        if (build, kind) not in states:
            folder = tmp_path_factory.mktemp(f"built-{build.__name__}")
            url, drop = _copy_database(kind, seeded_templates[kind], folder, "state.db")
            drops.append(drop)
            value = _build_state(build, url, folder)
            template = folder / "state.db" if kind == "sqlite" else url.rsplit("/", 1)[1]
            states[(build, kind)] = (template, folder, value)
        return states[(build, kind)]
    yield get
    for drop in drops:
        drop()


def _build_state(build, url: str, folder):
    """Run a builder in an app context of its own on ``url``, as the tests' apps run, with
    its uploads and results cache (files kept from runs) in ``folder``."""
    from assessment import create_app
    from assessment.extensions import db
    for name in ("uploads", "results-cache"):
        (folder / name).mkdir(exist_ok=True)
    app = create_app(dict(_app_config(url, folder / "uploads"),
                          RESULTS_CACHE_DIR=str(folder / "results-cache")))
    app.jinja_env.bytecode_cache = _TEMPLATES
    request_started.connect(_fresh_request_state, app)
    with app.app_context():
        value = build(app)
        db.session.remove()
        db.engine.dispose()
    return value


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
    on a copy of the demo instead when the test also asks for ``demo``, or of a built
    state when it is marked ``built_on``."""
    from assessment import create_app
    from assessment.extensions import db

    templates = seeded_templates
    built_on = request.node.get_closest_marker("built_on")
    if "demo" in request.fixturenames:
        assert built_on is None, "the demo or a built state, not both"
        templates = request.getfixturevalue("demo_templates")
        shutil.copytree(templates["uploads"], tmp_path / "uploads", dirs_exist_ok=True)
    config = {}
    if built_on is not None:
        template, folder, _value = request.getfixturevalue("built_states")(
            built_on.args[0], request.param)
        templates = {request.param: template}
        shutil.copytree(folder / "uploads", tmp_path / "uploads", dirs_exist_ok=True)
        # the files its runs kept: the test's own copy
        shutil.copytree(folder / "results-cache", tmp_path / "results-cache")
        config["RESULTS_CACHE_DIR"] = str(tmp_path / "results-cache")
    url, drop = _fresh_database(request.param, templates, tmp_path)
    app = create_app(dict(_app_config(url, tmp_path / "uploads"), **config))
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
def built(request, app, built_states):
    """What the test's ``built_on`` builder returned (its state is in the test's database)."""
    built_on = request.node.get_closest_marker("built_on")
    assert built_on is not None, f"{request.node.name} asks for `built`: mark it built_on(build)"
    return built_states(built_on.args[0], request.node.callspec.params["app"])[2]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    from assessment.extensions import db
    return db.session


@cache
def password_hash(password: str) -> str:
    """The password's hash, made once per distinct password of the session, as the demo
    hashes its one password once: test users share a salt."""
    return generate_password_hash(password)


def add_user(session, username="op-33", role="operator", unit_code="33", password=PASSWORD, **kw):
    """A committed account (``make_user``; for ``built_on`` builders too)."""
    from assessment.models import User
    user = User(username=username, role=role, unit_code=unit_code, name=kw.pop("name", username), **kw)
    # what User.set_password does, with the hash made once per password
    user.password_hash = password_hash(password)
    user.session_epoch = (user.session_epoch or 0) + 1
    session.add(user)
    session.commit()
    return user


def add_period(session, slug="bakohumas-2025", opens=-1, closes=7, **kw):
    """A committed period opening ``opens`` and closing ``closes`` days from now
    (``make_period``; for ``built_on`` builders too)."""
    from assessment.models import Period
    now = datetime.now(timezone.utc)
    period = Period(slug=slug, title=kw.pop("title", "Penilaian Tata Kelola Bakohumas 2025"),
                    rubric_id=kw.pop("rubric_id", "bakohumas-2025"),
                    opens_at=now + timedelta(days=opens), closes_at=now + timedelta(days=closes),
                    **kw)
    session.add(period)
    session.commit()
    return period


@pytest.fixture
def make_user(session):
    return lambda *args, **kw: add_user(session, *args, **kw)


@pytest.fixture
def make_period(session):
    return lambda *args, **kw: add_period(session, *args, **kw)


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
