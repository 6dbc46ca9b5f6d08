"""Season rehearsal: a real server (gunicorn, PostgreSQL) under the load, races, faults and
deadline of the last hours of an assessment season. Traffic goes to loopback only; every
phase is bounded in count and time.

    python bench/season.py                      # 50 and 200 clients, faults included
    python bench/season.py --clients 50 --no-faults --html-units 40

Phases, each on its own period of a fresh database:
  yardstick  the server's bare /healthz throughput with the same number of clients
  api        every unit saves its questionnaire in --saves parts through the JSON API, submits
  html       --html-units units log in and save an aspect page through the HTML form
  race       pairs of clients save the same submission at the same moment (no lost update)
  faults     the api load while a worker is killed and PostgreSQL restarts
  deadline   saves across the closing time: refused after it, kept before it
It prints a table per phase and a verdict line per check; the load phases also print the
server's CPU per request (gunicorn and the database's backends, from /proc; the app's, the
database's and this load generator's own CPU apart) and both ratios to the yardstick. The
exit status is 1 when a check fails. The functions are importable
(tests/test_season_rehearsal.py runs small versions).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASE_URL = os.environ.get("SEASON_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HEAD = {"head_name": "Dra. Sri Wahyuni", "head_position": "Ketua", "head_nip": "197001011995032001",
        "agreed": True}
PASSWORD = "rehearsal-password-2025"


# -- measuring ----------------------------------------------------------------------------------

@dataclass
class Stats:
    """Requests of one phase: (kind, status, seconds) with the wall time of the phase."""
    rows: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.perf_counter)
    ended: float = 0.0

    def add(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.rows.append((kind, status, seconds))

    def stop(self) -> "Stats":
        self.ended = time.perf_counter()
        return self

    def summary(self, ok=lambda status: 200 <= status < 400) -> dict:
        wall = (self.ended or time.perf_counter()) - self.started
        times = sorted(s for _, _, s in self.rows)
        errors = sum(not ok(status) for _, status, _ in self.rows)
        return {"requests": len(self.rows), "errors": errors, "seconds": wall,
                "per_second": len(self.rows) / wall if wall else 0.0,
                "p50": _pct(times, 50), "p95": _pct(times, 95), "p99": _pct(times, 99)}


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(round(pct / 100 * (len(values) - 1))))] * 1000


class Client:
    """One keep-alive HTTP/1.1 connection with a cookie jar; errors come back as status 0."""

    def __init__(self, port: int, token: str | None = None):
        self.port, self.token, self.cookies = port, token, {}
        self.conn = None

    def request(self, method: str, path: str, body=None, form: dict | None = None,
                stats: Stats | None = None, kind: str = "") -> tuple[int, bytes]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        elif form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException):
            self.close()
            status, data = 0, b""
        if stats is not None:
            stats.add(kind, status, time.perf_counter() - start)
        return status, data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_clients(count: int, work, items) -> None:
    """``count`` threads take items from a shared list until it is empty."""
    lock, queue = threading.Lock(), list(items)

    def worker(n):
        while True:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            work(n, item)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# -- the server and its data -------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(base_url: str) -> tuple[str, callable]:
    """A fresh database beside ``base_url`` (PostgreSQL) or a temporary SQLite file."""
    from sqlalchemy import create_engine, text
    if base_url.startswith("sqlite"):
        path = Path(tempfile.mkdtemp()) / "season.db"
        return f"sqlite:///{path}", lambda: None
    name = f"season_{uuid.uuid4().hex[:10]}"
    # pre-ping: the faults phase restarts PostgreSQL under this engine's pooled connection
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              f"WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return base_url.rsplit("/", 1)[0] + f"/{name}", drop


def app_for(url: str, upload_dir: str):
    from assessment import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "season-rehearsal",
                       "UPLOAD_DIR": upload_dir, "TESTING": False})


def seed(app, slugs: list[str], hours: float = 3.0, units: int | None = None) -> dict:
    """Migrate, load the registry, open one period per slug, and give every unit an
    operator with an API token and a draft holding its required evidence links.
    Returns {"units": [codes], "tokens": {code: secret}, "usernames": {code: name}}."""
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from assessment.extensions import db
    from assessment.first_start import prepare
    from assessment.models import ApiToken, Evidence, Period, Submission, User, WorkUnit
    from assessment.models.types import utcnow
    from assessment.models.units import existing_today
    from assessment.models.users import hash_token
    from assessment.operations.periods import open_period
    from assessment.rubric_store import rubric_by_id
    prepare(app)
    with app.app_context():
        session = db.session
        # the units that take part: active and in the registry today (the registry also
        # holds units that ended, e.g. a regency split or merged, which a period refuses)
        codes = session.scalars(select(WorkUnit.code).where(
            WorkUnit.level.in_(["provinsi", "kabkota"]), WorkUnit.active.is_(True),
            existing_today()).order_by(WorkUnit.code)).all()
        codes = codes[:units] if units else codes
        now = utcnow()
        password_hash = generate_password_hash(PASSWORD)
        session.execute(insert(User.__table__), [
            {"username": f"op-{c}", "name": f"Operator {c}", "email": "", "role": "operator",
             "unit_code": c, "password_hash": password_hash, "active": True, "locale": "id",
             "created_at": now, "session_epoch": 1} for c in codes])
        ids = dict(session.execute(select(User.unit_code, User.id).where(User.role == "operator")).all())
        tokens = {c: ApiToken.new_secret() for c in codes}
        session.execute(insert(ApiToken.__table__), [
            {"user_id": ids[c], "name": "rehearsal", "token_hash": hash_token(tokens[c]),
             "hint": tokens[c][-4:], "created_at": now} for c in codes])
        rubric = None
        for slug in slugs:
            period = open_period(session, slug=slug, title=f"Gladi {slug}", rubric_id="bakohumas-2025",
                                 opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=hours),
                                 levels=["provinsi", "kabkota"], user=None)
            session.flush()
            rubric = rubric or rubric_by_id(period.rubric_id)
            session.execute(insert(Submission.__table__), [
                {"period_id": period.id, "unit_code": c, "status": "draft", "answers": {},
                 "pending": {}, "version": 1, "updated_at": now, "head_name": "",
                 "head_position": "", "head_nip": ""} for c in codes])
            subs = dict(session.execute(select(Submission.unit_code, Submission.id)
                                        .where(Submission.period_id == period.id)).all())
            session.execute(insert(Evidence.__table__), [
                {"submission_id": subs[c], "indicator_id": ind.id, "kind": "link",
                 "url": f"https://kpu.go.id/bukti/{c}/{ind.id}", "created_at": now}
                for c in codes for ind in rubric.indicators if ind.evidence == "required"])
        session.commit()
        db.engine.dispose()
    return {"units": list(codes), "tokens": tokens}


def rubric():
    """The default edition, read from its file (no application context needed)."""
    from rubrics import load_rubric
    global _RUBRIC
    if _RUBRIC is None:
        _RUBRIC = load_rubric(ROOT / "rubrics" / "editions" / "bakohumas-2025.yaml")
    return _RUBRIC


_RUBRIC = None


def answers_for(code: str, seed_value: int = 2025) -> dict:
    """A complete, valid questionnaire for the unit (synthetic, repeatable)."""
    from scoring.synthetic import answer_for
    rnd = random.Random(f"{seed_value}-{code}")
    out = {}
    for ind in rubric().indicators:
        value = answer_for(ind, 0.7, rnd)
        if ind.type == "choice" and not value:
            value = [ind.options[0]]
        out[ind.id] = value
    return out


def chunks(answers: dict, parts: int) -> list[dict]:
    keys = list(answers)
    size = -(-len(keys) // parts)
    return [{k: answers[k] for k in keys[i:i + size]} for i in range(0, len(keys), size)]


class Server:
    """gunicorn serving assessment:create_app() on a loopback port, with the production
    configuration (gunicorn.conf.py: workers, threads, worker class, timeouts, keep-alive);
    ``workers`` and ``threads`` override its defaults through the environment variables it
    reads (WEB_CONCURRENCY, GUNICORN_THREADS; one thread means sync workers). The schema is
    already migrated by ``seed`` (MIGRATE_ON_START=0, as when a deployment step migrates)."""

    def __init__(self, url: str, upload_dir: str, workers: int | None = None,
                 threads: int | None = None):
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=url, UPLOAD_DIR=upload_dir, SECRET_KEY="season-rehearsal",
                   PYTHONPATH=str(ROOT), BIND=f"127.0.0.1:{self.port}", MIGRATE_ON_START="0",
                   GUNICORN_GRACEFUL_TIMEOUT="5")   # a quick stop; no request outlives a phase
        env.pop("BAKOHUMAS_ENV", None)
        for name, value in (("WEB_CONCURRENCY", workers), ("GUNICORN_THREADS", threads)):
            if value:
                env[name] = str(value)
        self.config = production_config(env)
        self.log = tempfile.NamedTemporaryFile("w+", prefix="gunicorn-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "assessment:create_app()"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_healthy(60)

    def wait_healthy(self, seconds: float) -> float:
        """Seconds until /healthz answers 200 (raises after ``seconds``)."""
        start = time.perf_counter()
        client = Client(self.port)
        while time.perf_counter() - start < seconds:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            if client.request("GET", "/healthz")[0] == 200:
                return time.perf_counter() - start
            client.close()
            time.sleep(0.1)
        raise RuntimeError(f"the server did not become healthy in {seconds} s; see {self.log.name}")

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def production_config(env: dict) -> dict:
    """workers, threads and worker class as gunicorn.conf.py works them out from ``env``."""
    code = ("import json, runpy; c = runpy.run_path('gunicorn.conf.py'); print(json.dumps("
            "{k: c[k] for k in ('workers', 'threads', 'worker_class', 'keepalive', 'timeout')}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc), 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU seconds used by the server side of a phase: gunicorn (master and workers) and
    the PostgreSQL backends connected to the season's database. Unlike requests per
    second, CPU per request does not depend on what else the machine is running. The
    parts are kept apart (``parts``: app, database, and this process, the load generator,
    which shares the machine's cores with the server)."""

    def __init__(self, server: "Server", database_url: str):
        self.server, self.url = server, database_url
        self.parts: dict[str, float] = {}

    def pids(self) -> dict[int, str]:
        pids = {pid: "app" for pid in (self.server.proc.pid, *self.server.workers())}
        if self.url.startswith("postgresql"):
            from sqlalchemy import create_engine, text
            from sqlalchemy.pool import NullPool
            engine = create_engine(self.url, poolclass=NullPool)
            with engine.connect() as conn:
                pids.update((pid, "database") for (pid,) in conn.execute(text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")))
            engine.dispose()
        return pids

    def measure(self, phase):
        """(phase(), CPU seconds the server side used during it); ``parts`` then holds the
        app's, the database's and the load generator's seconds."""
        kinds = self.pids()
        before = {pid: _cpu_seconds(pid) for pid in kinds}
        client_before = time.process_time()
        result = phase()
        client = time.process_time() - client_before
        kinds.update(self.pids())
        after = {pid: _cpu_seconds(pid) for pid in kinds}
        self.parts = {"app": 0.0, "database": 0.0, "client": client}
        for pid in set(before) | set(after):
            self.parts[kinds[pid]] += after.get(pid, before.get(pid, 0.0)) - before.get(pid, 0.0)
        return result, self.parts["app"] + self.parts["database"]

    def per_request(self, requests: int) -> dict:
        """The parts in ms a request, for the phase's line."""
        return {f"{part}_cpu_ms": 1000 * seconds / max(requests, 1)
                for part, seconds in self.parts.items()}


# -- phases -------------------------------------------------------------------------------------

def yardstick(server: Server, clients: int, seconds: float = 5.0) -> dict:
    stats, stop = Stats(), time.perf_counter() + seconds

    def work(n, _):
        client = Client(server.port)
        while time.perf_counter() < stop:
            client.request("GET", "/healthz", stats=stats, kind="healthz")
        client.close()
    run_clients(clients, work, range(clients))
    return stats.stop().summary()


def save_and_submit(port: int, slug: str, code: str, token: str, saves: int, stats: Stats,
                    acked: dict | None = None, retries: int = 0) -> bool:
    """One unit's season through the API: read, save in parts, submit. With ``retries`` a
    refused-by-fault request is retried after re-reading the version (a real client would)."""
    client = Client(port, token)
    path = f"/api/v1/periods/{slug}/units/{code}/submission"
    parts = chunks(answers_for(code), saves)
    version, done = None, 0
    attempts = 0
    while done <= len(parts):
        if version is None:
            status, data = client.request("GET", path, stats=stats, kind="read")
            if status != 200:
                attempts += 1
                if attempts > retries:
                    return False
                time.sleep(0.5)
                continue
            current = json.loads(data)
            version = current["version"]
            done = sum(all(current["answers"].get(k) == v for k, v in p.items()) for p in parts)
            if current["status"] == "submitted":
                return True
            continue
        if done < len(parts):
            status, data = client.request("PUT", path, body={"answers": parts[done], "version": version},
                                          stats=stats, kind="save")
        else:
            status, data = client.request("POST", path + "/submit", body=dict(HEAD, version=version),
                                          stats=stats, kind="submit")
        if status == 200:
            body = json.loads(data)
            version = body["version"]
            if acked is not None:
                acked[code] = (version, body["answers"], body["status"])
            done += 1
            if done > len(parts):
                return True
            continue
        attempts += 1
        if attempts > retries:
            return False
        version = None  # re-read: the save may have landed before the connection dropped
        time.sleep(0.5)
    return True


def api_load(server: Server, slug: str, seeded: dict, clients: int, saves: int,
             retries: int = 0, acked: dict | None = None) -> tuple[dict, int]:
    stats, failed = Stats(), []

    def work(n, code):
        if not save_and_submit(server.port, slug, code, seeded["tokens"][code], saves, stats,
                               acked, retries):
            failed.append(code)
    run_clients(clients, work, seeded["units"])
    return stats.stop().summary(), len(failed)


class FormInputs(HTMLParser):
    """The named inputs of the questionnaire form as a browser would post them."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self.numbers: list[str] = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("file", "submit"):
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.values.append((name, a.get("value", "on")))
            else:
                self.values.append((name, a.get("value", "")))
                if name.startswith("answer-") and a.get("inputmode") in ("decimal", "numeric"):
                    self.numbers.append(name)
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def html_save(port: int, slug: str, code: str, aspect: str, stats: Stats) -> bool:
    """Log in as the unit's operator and save one aspect page through the HTML form."""
    client = Client(port)
    status, page = client.request("GET", "/akun/masuk", stats=stats, kind="login page")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or not token:
        return False
    status, _ = client.request("POST", "/akun/masuk", stats=stats, kind="login",
                               form={"csrf_token": token.group(1).decode(), "username": f"op-{code}",
                                     "password": PASSWORD})
    if status not in (302, 303):
        return False
    path = f"/kuesioner/{slug}/{aspect}"
    status, page = client.request("GET", path, stats=stats, kind="aspect page")
    if status != 200:
        return False
    inputs = FormInputs()
    inputs.feed(page.decode("utf-8"))
    form = [(k, v) for k, v in inputs.values if k not in inputs.numbers]
    form += [(name, str(random.randint(1, 40))) for name in inputs.numbers]
    form.append(("save", "1"))
    status, _ = client.request("POST", path, stats=stats, kind="form save", form=form)
    client.close()
    return status in (302, 303)


def html_load(server: Server, slug: str, seeded: dict, clients: int, count: int) -> tuple[dict, int]:
    aspects = [a.id for a in rubric().aspects]
    stats, failed = Stats(), []

    def work(n, code):
        if not html_save(server.port, slug, code, aspects[n % len(aspects)], stats):
            failed.append(code)
    run_clients(clients, work, seeded["units"][:count])
    return stats.stop().summary(), len(failed)


def race(server: Server, slug: str, seeded: dict, pairs: int, database_url: str) -> dict:
    """Two clients save different values of one indicator with the same version at once:
    one is stored, the other refused with 409, and the stored value is the winner's."""
    number = next(i for i in rubric().indicators if i.type == "number")
    outcome = {"pairs": 0, "one_stored_one_409": 0, "both_409": 0, "lost_update": 0, "other": 0}
    for code in seeded["units"][:pairs]:
        path = f"/api/v1/periods/{slug}/units/{code}/submission"
        token = seeded["tokens"][code]
        version = json.loads(Client(server.port, token).request("GET", path)[1])["version"]
        barrier, results = threading.Barrier(2), {}

        def save(value):
            client = Client(server.port, token)
            client.request("GET", "/healthz")  # connect first, so both requests leave together
            barrier.wait()
            results[value] = client.request("PUT", path, body={"answers": {number.id: value},
                                                              "version": version})[0]
            client.close()
        threads = [threading.Thread(target=save, args=(v,)) for v in (11, 22)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stored = json.loads(Client(server.port, token).request("GET", path)[1])["answers"].get(number.id)
        outcome["pairs"] += 1
        statuses = sorted(results.values())
        winners = [v for v, s in results.items() if s == 200]
        if statuses == [200, 409] and stored == winners[0]:
            outcome["one_stored_one_409"] += 1
        elif statuses == [409, 409]:
            outcome["both_409"] += 1
        elif winners and stored not in winners or statuses == [200, 200]:
            outcome["lost_update"] += 1
        else:
            outcome["other"] += 1
    return outcome


def check_acknowledged(app, slug: str, seeded: dict, acked: dict, saves: int) -> dict:
    """After faults: every acknowledged save is stored, and each questionnaire holds whole
    saves only (a prefix of its parts: one save is one transaction)."""
    from sqlalchemy import select

    from assessment.extensions import db
    from assessment.models import Period, Submission
    missing, torn = [], []
    with app.app_context():
        period = db.session.scalars(select(Period).where(Period.slug == slug)).one()
        stored = {s.unit_code: s for s in db.session.scalars(
            select(Submission).where(Submission.period_id == period.id))}
        for code in seeded["units"]:
            sub, parts = stored[code], chunks(answers_for(code), saves)
            whole = [all(sub.answers.get(k) == v for k, v in p.items()) for p in parts]
            if set(sub.answers) != set().union(*[set(p) for p, ok in zip(parts, whole) if ok]) \
                    or whole != sorted(whole, reverse=True):
                torn.append(code)
            if code in acked:
                version, answers, status = acked[code]
                if sub.version < version or any(sub.answers.get(k) != v for k, v in answers.items()):
                    missing.append(code)
        db.engine.dispose()
    return {"acknowledged": len(acked), "missing": len(missing), "half_written": len(torn)}


def faults(server: Server, app, slug: str, seeded: dict, clients: int, saves: int,
           restart_postgres: bool) -> dict:
    """The api load while one worker is killed (SIGKILL) and PostgreSQL restarts."""
    acked, result, events = {}, {}, []

    def load():
        result["stats"], result["failed"] = api_load(server, slug, seeded, clients, saves,
                                                     retries=20, acked=acked)
    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(1.5)
    victim = server.workers()[0]
    os.kill(victim, signal.SIGKILL)
    events.append(f"killed worker {victim}")
    if restart_postgres:
        time.sleep(1.5)
        start = time.perf_counter()
        subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True, capture_output=True)
        events.append(f"PostgreSQL restarted in {time.perf_counter() - start:.1f} s")
    thread.join()
    recovery = server.wait_healthy(60)
    check = check_acknowledged(app, slug, seeded, acked, saves)
    return dict(result["stats"], failed_units=result["failed"], events=events,
                healthy_after_s=recovery, **check)


def deadline(server: Server, app, slug: str, seeded: dict, clients: int, lead: float = 3.0) -> dict:
    """Set the closing time ``lead`` seconds ahead and save continuously across it."""
    from sqlalchemy import select

    from assessment.extensions import db
    from assessment.models import Period, Submission
    from assessment.models.types import utcnow
    with app.app_context():
        period = db.session.scalars(select(Period).where(Period.slug == slug)).one()
        closes = utcnow() + timedelta(seconds=lead)
        period.closes_at = closes
        period_id = period.id
        db.session.commit()
    closes_at = closes.timestamp()
    late_ok, refused_after, ok_before, last_ack = [], 0, 0, {}
    codes = seeded["units"][:clients]
    number = next(i for i in rubric().indicators if i.type == "number")

    def work(n, code):
        nonlocal refused_after, ok_before
        client = Client(server.port, seeded["tokens"][code])
        path = f"/api/v1/periods/{slug}/units/{code}/submission"
        version = json.loads(client.request("GET", path)[1])["version"]
        value = 0
        while time.time() < closes_at + 1.5:
            value += 1
            sent = time.time()
            status, data = client.request("PUT", path, body={"answers": {number.id: value},
                                                             "version": version})
            if status == 200:
                version = json.loads(data)["version"]
                last_ack[code] = (version, value)
                if sent > closes_at:
                    late_ok.append((code, sent - closes_at))
                else:
                    ok_before += 1
            elif sent > closes_at and status == 409:
                refused_after += 1
            time.sleep(0.02)
        client.close()
    run_clients(len(codes), work, codes)
    kept = 0
    with app.app_context():
        subs = {s.unit_code: s for s in db.session.scalars(select(Submission).where(
            Submission.period_id == period_id))}
        for code, (version, value) in last_ack.items():
            kept += subs[code].version == version and subs[code].answers.get(number.id) == value
        db.engine.dispose()
    return {"saved_before": ok_before, "refused_after": refused_after,
            "accepted_after_close": len(late_ok), "last_acknowledged_kept": f"{kept}/{len(last_ack)}"}


# -- the run -----------------------------------------------------------------------------------

def api_slug(clients: int, round_number: int) -> str:
    """The period of a load round (round 0 keeps the name it always had)."""
    return f"api-{clients}" if round_number == 0 else f"api-{clients}-{round_number + 1}"


def show(title: str, row: dict) -> None:
    figures = ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())
    print(f"{title:<28} {figures}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=BASE_URL)
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--saves", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat the load phase (each round on periods of its own) and "
                             "print the medians of its ratios")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: gunicorn.conf.py's, WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per worker, 1 for sync workers (default: gunicorn.conf.py's)")
    parser.add_argument("--html-units", type=int, default=100)
    parser.add_argument("--race-pairs", type=int, default=100)
    parser.add_argument("--units", type=int, default=None, help="fewer units (default: all 552)")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--phases", nargs="+", default=["load", "html", "race", "faults", "deadline"],
                        choices=["load", "html", "race", "faults", "deadline"])
    args = parser.parse_args(argv)
    url, drop = create_database(args.database_url)
    upload_dir = tempfile.mkdtemp(prefix="season-uploads-")
    rounds = max(args.rounds, 1)
    slugs = [api_slug(n, r) for r in range(rounds) for n in args.clients] + \
        ["html", "race", "faults", "deadline"]
    started = time.perf_counter()
    seeded = seed(app_for(url, upload_dir), slugs, units=args.units)
    app = app_for(url, upload_dir)
    server = Server(url, upload_dir, args.workers, args.threads)
    config = server.config
    print(f"seeded {len(seeded['units'])} units x {len(slugs)} periods in "
          f"{time.perf_counter() - started:.1f} s; gunicorn.conf.py: {config['workers']} "
          f"{config['worker_class']} workers x {config['threads']} threads, keep-alive "
          f"{config['keepalive']} s; {os.cpu_count()} CPUs", flush=True)
    failures = []
    try:
        cpu = ServerCpu(server, url)
        ratios = {n: [] for n in args.clients}
        for r, n in [(r, n) for r in range(rounds) for n in args.clients] if "load" in args.phases else []:
            # the yardstick just before and just after the api phase, at the same concurrency:
            # /healthz's rate drifts with the machine, and one 5-second burst may catch a slow
            # moment; the ratio is to their mean
            health, health_cpu = cpu.measure(lambda: yardstick(server, n))
            health_ms = 1000 * health_cpu / max(health["requests"], 1)
            show(f"yardstick /healthz c={n}", dict(health, server_cpu_ms=health_ms,
                                                      **cpu.per_request(health["requests"])))
            (summary, failed), api_cpu = cpu.measure(
                lambda: api_load(server, api_slug(n, r), seeded, n, args.saves))
            api_ms = 1000 * api_cpu / max(summary["requests"], 1)
            show(f"api save+submit c={n}", dict(summary, failed_units=failed, server_cpu_ms=api_ms,
                                                 **cpu.per_request(summary["requests"])))
            after, after_cpu = cpu.measure(lambda: yardstick(server, n))
            after_ms = 1000 * after_cpu / max(after["requests"], 1)
            show(f"yardstick after c={n}", dict(after, server_cpu_ms=after_ms,
                                                  **cpu.per_request(after["requests"])))
            # as % of the yardstick: throughput (depends on the machine's other load) and
            # server CPU per request (does not)
            rate = (health["per_second"] + after["per_second"]) / 2
            row = {"throughput_pct": 100 * summary["per_second"] / max(rate, 1e-9),
                   "cpu_pct": 100 * (health_ms + after_ms) / 2 / max(api_ms, 1e-9),
                   "p95": summary["p95"]}
            ratios[n].append(row)
            show(f"api vs yardstick c={n}", row)
            if failed or summary["errors"]:
                failures.append(f"api c={n}: {failed} units failed, {summary['errors']} errors")
        for n, rows in ratios.items():
            if len(rows) > 1:
                show(f"median of {len(rows)} rounds c={n}",
                     {key: statistics.median(row[key] for row in rows) for key in rows[0]})
        if "html" in args.phases:
            summary, failed = html_load(server, "html", seeded, min(args.clients), args.html_units)
            show(f"html login+save c={min(args.clients)}", dict(summary, failed_units=failed))
            if failed:
                failures.append(f"html: {failed} units failed")
        if "race" in args.phases:
            outcome = race(server, "race", seeded, args.race_pairs, url)
            show("race (same version)", outcome)
            if outcome["lost_update"] or outcome["other"]:
                failures.append(f"race: {outcome}")
        if "faults" in args.phases and not args.no_faults:
            result = faults(server, app, "faults", seeded, min(args.clients), args.saves,
                            restart_postgres=url.startswith("postgresql"))
            show("faults", result)
            if result["missing"] or result["half_written"] or result["failed_units"]:
                failures.append(f"faults: {result}")
        if "deadline" in args.phases:
            result = deadline(server, app, "deadline", seeded, min(min(args.clients), 40))
            show("deadline", result)
            kept, total = result["last_acknowledged_kept"].split("/")
            if result["accepted_after_close"] or kept != total:
                failures.append(f"deadline: {result}")
    finally:
        server.stop()
        drop()
    for failure in failures:
        print("FAILED", failure)
    print("all checks passed" if not failures else f"{len(failures)} checks failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
