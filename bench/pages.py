"""Page speed and weight on the demo: every page of issue 15 against the login page served
by the same server in the same run.

    python bench/pages.py                          # builds the demo in a temporary folder
    python bench/pages.py --demo-db /tmp/demo.db   # builds it there once, reuses it later
    python bench/pages.py --repeat 9 --workers 2 --first-views 3
    python bench/pages.py --demo-db /tmp/demo.db --only feedback --no-first-view

The demo (``run.py --demo``'s data: 2021 and 2024 finished and published, 2025 open) is
served by gunicorn on a loopback port (gthread workers, CACHE_DIR in a temporary folder).
Each page is asked for once to warm it, then ``--repeat`` times, each view just after a
view of the login page; the table gives the page's median time, its ratio to the median of
those login views (target <= 10x: the same moments, since a shared machine's load changes
within a run; the first row is the login page alone), and the first load's weight:
the HTML and every stylesheet and script it links, as sent with ``Accept-Encoding: br,
gzip`` (target <= 100 kB). "with images" rows time the page and every image it shows, as
a browser fetches them: the HTML on one connection, then the images at the same time over
up to ``--connections`` keep-alive connections (Chromium opens up to 6 per host), from the
start of the page's request to the end of the last image; every image is asked for on
every view (a browser would keep them: their addresses are immutable), so the figure is
the server's work for a visitor whose browser holds nothing.

The last part publishes corrections of the 2024 ranking through the admin's pages
(``--first-views`` of them, each a new run) and times, right after each publication (while
the job it starts draws every unit's files at nice 10), the first view of the period by a
new visitor (new connections, no cookie) in each interface language (Indonesian first,
then English after the language switch), page and charts fetched as above, each against
the median of the login views just before it. Machines are noisy: only the ratios of one
run compare."""
from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urljoin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.season import free_port  # noqa: E402

PASSWORD = "demo-bakohumas-2025"
ACCEPT = "br, gzip"
SLUG, DONE = "bakohumas-2025", "bakohumas-2024"
LOGIN = "/akun/masuk"


class Browser:
    """One keep-alive connection with a cookie jar, asking for compressed answers."""

    def __init__(self, port: int):
        self.port, self.cookies, self.conn = port, {}, None

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Accept-Encoding": ACCEPT}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # the server closed an idle keep-alive connection: a browser asks again
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            start = time.perf_counter()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        seconds = time.perf_counter() - start
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, data, seconds

    def text(self, path: str) -> str:
        response, data, _s = self.request("GET", path)
        return decode(response, data)

    def login(self, username: str) -> None:
        token = csrf(self.text("/akun/masuk"))
        response, _d, _s = self.request("POST", "/akun/masuk", {
            "csrf_token": token, "username": username, "password": PASSWORD})
        if response.status not in (302, 303):
            raise SystemExit(f"login of {username} failed: {response.status}")

    def post_form(self, path: str, page: str, fields: dict):
        response, data, seconds = self.request("POST", path, dict(fields, csrf_token=csrf(page)))
        return response, seconds


def decode(response, data: bytes) -> str:
    encoding = response.getheader("Content-Encoding")
    if encoding == "br":
        import brotli
        data = brotli.decompress(data)
    elif encoding == "gzip":
        import gzip
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if not found:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def assets(page: str, pattern: str) -> list[str]:
    return [m.replace("&amp;", "&") for m in re.findall(pattern, page)]


STYLES = r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"'
SCRIPTS = r'<script[^>]+src="([^"]+)"'
IMAGES = r'<img[^>]+src="(/[^"]+)"'


def weight(browser: Browser, path: str) -> tuple[int, int]:
    """(compressed bytes of the HTML + CSS + JS of a first load, uncompressed HTML bytes)."""
    response, data, _s = browser.request("GET", path)
    page = decode(response, data)
    total = len(data)
    for url in assets(page, STYLES) + assets(page, SCRIPTS):
        _r, body, _s = browser.request("GET", urljoin(path, url))
        total += len(body)
    return total, len(page.encode())


class PageError(Exception):
    """A page that did not answer 200: reported in its row, the others still measured."""


class Visitor:
    """A browser's connections to the server: the page on the first, its images at the same
    time over up to ``connections`` keep-alive connections sharing one cookie jar."""

    def __init__(self, port: int, connections: int, browser: Browser | None = None):
        self.main = browser or Browser(port)
        self.others = [Browser(port) for _ in range(max(0, connections - 1))]
        self.pool = ThreadPoolExecutor(max(1, connections)) if connections > 1 else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def view(self, path: str, images: bool) -> tuple[float, int]:
        """Seconds from the page's request to the end of its last image, and how many
        images it showed."""
        start = time.perf_counter()
        response, data, _s = self.main.request("GET", path)
        if response.status != 200:
            raise PageError(f"{path}: {response.status}")
        urls = assets(decode(response, data), IMAGES) if images else []
        if urls:
            browsers = [self.main] + self.others
            for browser in self.others:
                browser.cookies = self.main.cookies    # one cookie jar, as in a browser
            slots = [urls[i::len(browsers)] for i in range(len(browsers))]

            def fetch(browser, mine):
                for url in mine:
                    r, _b, _s = browser.request("GET", url)
                    if r.status != 200:
                        raise PageError(f"{url}: {r.status}")
            if self.pool is None:
                fetch(self.main, urls)
            else:
                jobs = [self.pool.submit(fetch, b, mine) for b, mine in zip(browsers, slots) if mine]
                for job in jobs:
                    job.result()
        return time.perf_counter() - start, len(urls)


def timed(visitor: Visitor, path: str, images: bool, repeat: int,
          yardstick: Browser | None = None) -> tuple[list[float], list[float]]:
    """Seconds of each of ``repeat`` warm views (page, and its images as a browser fetches
    them), and, with ``yardstick``, of a view of the login page just before each: on a
    shared machine the load changes within a run, and a page is compared with the login
    page of the same moments."""
    visitor.view(path, images)   # warm: process caches, files of the run
    pages, logins = [], []
    for _ in range(repeat):
        if yardstick is not None:
            logins.append(yardstick.request("GET", LOGIN)[2])
        pages.append(visitor.view(path, images)[0])
    return pages, logins


# -- the demo and the server ---------------------------------------------------------------------

def build_demo(path: Path, uploads: Path) -> float:
    """The demo's database at ``path`` (SQLite), made as ``run.py --demo`` makes it."""
    from assessment import create_app
    from assessment.demo import create_demo
    from assessment.extensions import db
    from assessment.first_start import prepare
    start = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "UPLOAD_DIR": str(uploads),
                      "SECRET_KEY": "bench-pages-secret-key", "DEMO": True})
    prepare(app)
    with app.app_context():
        create_demo(app)
        db.session.remove()
        db.engine.dispose()
    return time.perf_counter() - start


def facts(url: str) -> dict:
    """What the pages need: a draft unit's operator, a judge's unit, a ranked unit, runs."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        def one(sql, **kw):
            return conn.execute(text(sql), kw).first()
        draft = one("SELECT s.unit_code FROM submission s JOIN period p ON p.id = s.period_id "
                    "WHERE p.slug = :slug AND s.status = 'draft' ORDER BY s.unit_code LIMIT 1",
                    slug=SLUG)[0]
        judged = one("SELECT a.unit_code FROM judge_assignment a JOIN period p ON p.id = a.period_id "
                     "JOIN user_account u ON u.id = a.judge_id WHERE p.slug = :slug AND u.username = "
                     "'penilai1' AND a.active ORDER BY a.unit_code LIMIT 1", slug=SLUG)
        judge_period = SLUG
        if judged is None:
            judged = one("SELECT a.unit_code FROM judge_assignment a JOIN period p ON "
                         "p.id = a.period_id JOIN user_account u ON u.id = a.judge_id WHERE p.slug = "
                         ":slug AND u.username = 'penilai1' AND a.active ORDER BY a.unit_code "
                         "LIMIT 1", slug=DONE)
            judge_period = DONE
        run = one("SELECT max(r.number) FROM scoring_run r JOIN period p ON p.id = r.period_id "
                  "WHERE p.slug = :slug AND r.kind = 'final'", slug=DONE)[0]
    engine.dispose()
    return {"draft": draft, "judged": judged[0], "judge_period": judge_period, "run": run}


class Server:
    def __init__(self, url: str, uploads: Path, cache: Path, workers: int, threads: int):
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=url, UPLOAD_DIR=str(uploads), CACHE_DIR=str(cache),
                   SECRET_KEY="bench-pages-secret-key", PYTHONPATH=str(ROOT), BIND=f"127.0.0.1:{self.port}",
                   WEB_CONCURRENCY=str(workers), GUNICORN_THREADS=str(threads),
                   GUNICORN_TIMEOUT="300", GUNICORN_KEEPALIVE="30", LOG_FORMAT="text")
        self.log = tempfile.NamedTemporaryFile("w+", prefix="pages-gunicorn-", suffix=".log",
                                               delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "assessment:create_app()"], cwd=ROOT, env=env, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"gunicorn did not start; see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# -- the measurements ----------------------------------------------------------------------------

def pages(f: dict, ranked: str) -> list[tuple[str, str, str, bool]]:
    """(label, account, path, with images)."""
    return [
        ("operator dashboard", f"op-{f['draft']}", "/dasbor/", False),
        ("questionnaire aspect page", f"op-{f['draft']}", f"/kuesioner/{SLUG}/kelembagaan", False),
        ("submit page (overview)", f"op-{f['draft']}", f"/kuesioner/{SLUG}", False),
        ("judge's unit page", "penilai1", f"/penilai/{f['judge_period']}/{f['judged']}", False),
        ("moderation", "admin", f"/admin/moderation/{DONE}/", False),
        ("disagreements", "admin", f"/admin/moderation/{DONE}/perbedaan", False),
        ("claimed vs verified", "admin", f"/admin/moderation/{DONE}/selisih", False),
        ("judge quality", "admin", f"/admin/moderation/{DONE}/penilai", False),
        ("admin progress list", "admin", f"/pemantauan/{SLUG}/", False),
        ("audit log", "admin", "/admin/audit/", False),
        ("scoring runs", "admin", f"/admin/periode/{DONE}/penghitungan/", False),
        ("a run's full ranking (admin)", "admin", f"/admin/periode/{DONE}/penghitungan/{f['run']}/",
         False),
        ("public results", None, f"/hasil/{DONE}/", True),
        ("full ranking page (kabkota)", None, f"/hasil/{DONE}/kabkota", False),
        ("feedback page with its images", f"op-{ranked}", f"/umpan-balik/{DONE}/{ranked}", True),
        ("good-practice library", f"op-{ranked}", f"/praktik-baik/{DONE}", False),
    ]


def first_views(port: int, yardstick: Browser, repeat: int, count: int,
                connections: int) -> list[tuple[str, float, float]]:
    """Publish ``count`` corrections of the 2024 ranking through the admin's pages; after
    each, a new visitor's first view of the published period with its charts, in each
    language; each against the median of ``repeat`` views of the login page just before
    it."""
    def login_now() -> float:
        return statistics.median(yardstick.request("GET", LOGIN)[2] for _ in range(repeat))
    admin = Browser(port)
    admin.login("admin")
    path = f"/admin/periode/{DONE}/penghitungan/"
    out = []
    for round_ in range(1, count + 1):
        page = admin.text(path)
        before_finalise = login_now()
        response, finalise_s = admin.post_form(path, page, {
            "reason": f"Koreksi {round_} untuk bench/pages.py", "confirm": "y"})
        location = response.getheader("Location") or ""
        number = re.search(r"/penghitungan/(\d+)/", location)
        if response.status not in (302, 303) or not number:
            raise SystemExit(f"finalising failed ({response.status}); gates not met?")
        number = number.group(1)
        page = admin.text(f"{path}{number}/")
        before_publish = login_now()
        response, publish_s = admin.post_form(f"{path}{number}/terbitkan", page, {"confirm": "y"})
        if response.status not in (302, 303):
            raise SystemExit(f"publishing failed ({response.status})")
        out += [(f"finalise run {number} (admin POST)", finalise_s, before_finalise),
                (f"publish run {number} (admin POST, files built)", publish_s, before_publish)]
        visitor = Visitor(port, connections)
        for language in ("id", "en"):
            if language == "en":   # the visitor switches language first (a POST, untimed)
                home = visitor.main.text(f"/hasil/{DONE}/")
                form = re.search(r'action="(/bahasa/en)"', home)
                visitor.main.post_form(form.group(1), home, {"next": f"/hasil/{DONE}/"})
            before_view = login_now()
            seconds, images = visitor.view(f"/hasil/{DONE}/", True)
            out.append((f"run {number}: first view ({language}), page and {images} images",
                        seconds, before_view))
        visitor.close()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo-db", help="SQLite file of the demo (built when missing)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=6,
                        help="connections a browser opens for a page's images (Chromium: 6)")
    parser.add_argument("--first-views", type=int, default=2,
                        help="corrections published, each followed by first views")
    parser.add_argument("--only", action="append", default=[],
                        help="only the pages whose label contains this text (repeatable)")
    parser.add_argument("--no-first-view", action="store_true",
                        help="leave the demo's database unchanged (no correction published)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    db_path = Path(args.demo_db) if args.demo_db else work / "demo.db"
    uploads = db_path.parent / (db_path.stem + "-uploads")
    if not db_path.exists():
        print(f"building the demo in {db_path} ...", file=sys.stderr, flush=True)
        print(f"demo built in {build_demo(db_path, uploads):.1f} s", file=sys.stderr)
    if not args.no_first_view:   # a copy: the published correction stays out of the original
        shutil.copy(db_path, work / "served.db")
        db_path = work / "served.db"
    url = f"sqlite:///{db_path}"
    f = facts(url)
    ranked = "33.74"
    server = Server(url, uploads, work / "cache", args.workers, args.threads)
    try:
        results = []
        login_browser = Browser(server.port)
        login, _none = timed(Visitor(server.port, 1, login_browser), LOGIN, False, args.repeat)
        login_weight = weight(Browser(server.port), LOGIN)
        base = statistics.median(login)
        results.append(("login page (yardstick)", base, base, login_weight))
        browsers = {}
        for label, account, path, images in pages(f, ranked):
            if args.only and not any(word in label for word in args.only):
                continue
            browser = browsers.get(account)
            if browser is None:
                browser = browsers[account] = Browser(server.port)
                if account:
                    browser.login(account)
            visitor = Visitor(server.port, args.connections, browser)
            try:
                times, logins = timed(visitor, path, images, args.repeat, login_browser)
            except PageError as exc:
                print(f"{label}: {exc}", file=sys.stderr)
                results.append((label, None, None, (0, 0)))
                continue
            finally:
                visitor.close()
            fresh = Browser(server.port)
            fresh.cookies = dict(browser.cookies)
            results.append((label, statistics.median(times), statistics.median(logins),
                            weight(fresh, path)))
        firsts = [] if args.no_first_view else first_views(
            server.port, login_browser, args.repeat, args.first_views, args.connections)
    finally:
        server.stop()
    print(f"\n{args.workers} gunicorn workers x {args.threads} threads, SQLite demo; warm medians "
          f"of {args.repeat} views; images over {args.connections} connections at once; "
          f"weight = HTML + CSS + JS of a first load as sent (Accept-Encoding: {ACCEPT}); "
          f"load average {os.getloadavg()[0]:.1f} at the end\n")
    print("| page | median | login meanwhile | x login | first load | HTML uncompressed |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, median, yard, (sent, html) in results:
        if median is None:
            print(f"| {label} | error (see stderr) | | | | |")
            continue
        print(f"| {label} | {median * 1000:,.0f} ms | {yard * 1000:,.1f} ms | "
              f"{median / yard:.1f}x | {sent / 1000:,.1f} kB | {html / 1000:,.1f} kB |")
    if firsts:
        print("\n| first views (one request each) | time | login meanwhile | x login |")
        print("| --- | --- | --- | --- |")
        for label, seconds, yard in firsts:
            print(f"| {label} | {seconds * 1000:,.0f} ms | {yard * 1000:,.1f} ms | "
                  f"{seconds / yard:.1f}x |")
        views = [seconds / yard for label, seconds, yard in firsts if "first view" in label]
        if views:
            print(f"\nfirst views: median {statistics.median(views):.1f}x login, "
                  f"{min(views):.1f}x-{max(views):.1f}x ({len(views)} views)")
    shutil.rmtree(work / "cache", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
