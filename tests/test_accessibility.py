"""Accessibility and HTML validity of every page a person reaches, checked by third-party
tools: axe-core (WCAG 2.0 A/AA and 2.1 AA) injected into Debian's chromium through Playwright,
and the Nu HTML Checker on the HTML the server sent.

The browser crawls the demo (``python run.py --demo``: three seasons, 552 operators) as each
role, following the links each page offers (one page per endpoint, every aspect of the
questionnaire and of the judge's verification), plus the error states: a refused submit, a
404, a save refused as a conflict. Any axe violation or HTML error fails; the counts per page
are printed (``pytest -s``). The keyboard tests fill one questionnaire aspect and one judge
aspect by keyboard alone and save them.

Needs ``npm ci`` (axe-core, vnu-jar) and Java: skipped with the reason without them, except in
CI (CI=true), where that fails."""
from __future__ import annotations

import os
import re
import shutil
import threading
from collections import Counter, deque
from contextlib import contextmanager
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from werkzeug.exceptions import HTTPException

from assessment.demo import DEMO_PASSWORD
from assessment.models import JudgeAssignment, Period, Submission, User
from tests.a11y_support import (HtmlBatch, axe_run, describe_violations, require_axe,
                                require_vnu, validate_html)
from tests.browser_support import _config, browser, shot  # noqa: F401

CURRENT = "bakohumas-2025"
PUBLISHED = "bakohumas-2024"
# pages that are files, not HTML, or that act when fetched
NOT_PAGES = re.compile(r"(\.(xlsx|pdf|png|json|yaml|ico|svg|css|js)$)|^/(api|bukti|static)/|"
                       r"/(berkas|keluar|excel)$|/bukti/")
# endpoints worth more than one page: every aspect shows other question types
PER_ENDPOINT = {"questionnaire.overview": 2, "questionnaire.fill": 12, "questionnaire.unit_aspect": 12, "verify.aspect": 12,
                "results.public_category": 3, "results.public_period": 2}
MAX_PAGES = 60


# ---- the demo, served --------------------------------------------------------------------

@pytest.fixture(scope="session")
def demo_database(demo_templates, tmp_path_factory):
    """A copy of the session's demo (tests/conftest.py: three seasons, built once) plus what
    the demo leaves out: a judge (penilai1) assigned to a unit of the open period, so a
    verification form is editable. Returns (path, {role: username, ...})."""
    from assessment import create_app
    from assessment.extensions import db
    folder = tmp_path_factory.mktemp("a11y-demo")
    path = folder / "demo.db"
    shutil.copyfile(demo_templates["sqlite"], path)
    app = create_app(_config(path, folder / "uploads"))
    with app.app_context():
        session = db.session
        period = session.query(Period).filter_by(slug=CURRENT).one()
        judge = session.query(User).filter_by(username="penilai1").one()
        subs = session.query(Submission).filter_by(period_id=period.id)
        submitted = (subs.filter_by(status="submitted").filter(Submission.unit_code.like("35%"))
                     .order_by(Submission.unit_code).first())
        draft = subs.filter_by(status="draft").order_by(Submission.unit_code).first()
        started = {code for (code,) in subs.with_entities(Submission.unit_code)}
        fresh = (session.query(User).filter_by(role="operator")
                 .filter(User.unit_code.notin_(started)).order_by(User.unit_code).first())
        session.add(JudgeAssignment(period_id=period.id, unit_code=submitted.unit_code,
                                    judge_id=judge.id))
        session.commit()
        accounts = {"operator": "op-33", "draft": f"op-{draft.unit_code}", "judge": "penilai1",
                    "admin": "admin", "monitor": "monitor-33", "fresh": fresh.username,
                    "judged_unit": submitted.unit_code}
        db.session.remove()
        db.engine.dispose()
    return path, accounts


@contextmanager
def serving(app):
    from werkzeug.serving import make_server
    errors = []

    def remember(sender, exception, **extra):
        errors.append(repr(exception))
    from flask import got_request_exception
    got_request_exception.connect(remember, app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="a11y-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", errors
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(remember, app)


@pytest.fixture
def demo(demo_database, tmp_path):
    """(app, base url, accounts) for a copy of the demo served on loopback."""
    from assessment import create_app
    from assessment.extensions import db
    source, accounts = demo_database
    path = tmp_path / "demo.db"
    shutil.copyfile(source, path)
    app = create_app(_config(path, tmp_path / "uploads"))
    with serving(app) as (url, errors):
        yield app, url, accounts
    with app.app_context():
        db.engine.dispose()
    assert not errors, f"the server raised while serving requests: {errors}"


@contextmanager
def opened(browser, width=1280, height=900):
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta",
                                  viewport={"width": width, "height": height})
    context.set_default_timeout(60_000)     # a full-page screenshot of a long page on a busy machine
    # the first visit of a results page draws its charts (cached after): seconds on a busy machine
    context.set_default_navigation_timeout(90_000)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems


def login(page, url: str, username: str) -> None:
    page.goto(f"{url}/akun/masuk")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator("form[action='/akun/keluar']")).to_be_attached()


# ---- the crawl -----------------------------------------------------------------------------

class Checker:
    """Runs axe on each page the browser shows and keeps the HTML the server sent for one
    Nu HTML Checker run at the end; prints a line per page."""

    def __init__(self, axe_source: str):
        self.axe, self.html = axe_source, HtmlBatch()
        self.axe_failures: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def check(self, page, name: str, html: str | None) -> None:
        found = axe_run(page, self.axe)
        violations = found["violations"]
        nodes = sum(len(v["nodes"]) for v in violations)
        review = sum(len(v["nodes"]) for v in found["review"])
        self.counts[name] = nodes
        if violations:
            self.axe_failures[name] = describe_violations(violations)
        if html is not None:
            self.html.add(name, html)
        print(f"axe {len(violations)} rules / {nodes} nodes (to review: {review})  {name}")
        if review and os.environ.get("A11Y_REVIEW"):     # what axe could not decide, in full
            print(describe_violations(found["review"]))

    def assert_clean(self) -> None:
        errors = self.html.errors()
        for name, found in errors.items():
            print(f"vnu {len(found)} errors  {name}")
        html_failures = {name: found for name, found in errors.items() if found}
        report = [f"{name}:\n{text}" for name, text in self.axe_failures.items()]
        report += [f"{name} (HTML):\n" + "\n".join(f"  {e}" for e in found[:10])
                   for name, found in html_failures.items()]
        assert not report, (f"{len(self.axe_failures)} pages with axe violations, "
                            f"{len(html_failures)} pages with HTML errors:\n" + "\n".join(report))


def endpoint_of(app, path: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return endpoint


def crawl(app, page, url: str, role: str, starts: list[str], checker: Checker) -> list[str]:
    """Breadth-first through the same-origin links each page offers; returns the paths seen."""
    queue, seen, per_endpoint, visited = deque(starts), set(starts), Counter(), []
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        endpoint = endpoint_of(app, urlparse(path).path)
        if endpoint is None or per_endpoint[endpoint] >= PER_ENDPOINT.get(endpoint, 1):
            continue
        try:
            response = page.goto(url + path)
        except PlaywrightError as exc:    # a file offered for download, not a page
            if "Download is starting" in str(exc):
                continue
            raise
        assert response is not None and response.status < 400, (role, path, response.status)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        per_endpoint[endpoint] += 1
        visited.append(path)
        checker.check(page, f"{role} {path}", response.text())
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            target = urlparse(urljoin(url + path, href))
            if f"{target.scheme}://{target.netloc}" != url or NOT_PAGES.search(target.path):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return visited


@pytest.mark.slow
def test_every_role_crawl_axe_and_html(demo, browser):
    app, url, accounts = demo
    checker = Checker(require_axe())
    require_vnu()
    roles = {
        "public": (None, ["/", "/hasil/", f"/hasil/{PUBLISHED}/", "/akun/masuk"]),
        "operator": (accounts["operator"], ["/dasbor/", "/kuesioner/", "/umpan-balik/",
                                            "/musim/satker", "/akun/profil"]),
        "draft-operator": (accounts["draft"], ["/dasbor/", f"/kuesioner/{CURRENT}"]),
        "judge": (accounts["judge"], ["/dasbor/", f"/penilai/{CURRENT}",
                                      f"/penilai/{CURRENT}/{accounts['judged_unit']}",
                                      f"/penilai/{PUBLISHED}", "/musim/penilai"]),
        "admin": (accounts["admin"], ["/dasbor/", "/admin/periode/", "/admin/judging/",
                                      "/admin/moderation/", "/admin/penghitungan/", "/musim/",
                                      "/admin/audit/", "/praktik-baik/"]),
        "monitor": (accounts["monitor"], ["/dasbor/", "/pemantauan/",
                                          f"/pemantauan/{CURRENT}/"]),
    }
    visited = {}
    for role, (username, starts) in roles.items():
        with opened(browser) as page:
            if username:
                login(page, url, username)
            visited[role] = crawl(app, page, url, role, starts, checker)
    with opened(browser) as page:
        error_states(app, page, url, accounts, checker)
    print({role: len(paths) for role, paths in visited.items()})
    assert all(len(paths) >= 3 for paths in visited.values()), visited
    checker.assert_clean()


def error_states(app, page, url: str, accounts: dict, checker: Checker) -> None:
    """A 404, a refused submit (the questionnaire is incomplete), a save refused as a
    conflict (a colleague changed the same indicator since the page was opened)."""
    response = page.goto(f"{url}/hasil/tidak-ada/")
    assert response.status == 404
    checker.check(page, "public 404", response.text())

    login(page, url, accounts["draft"])
    page.goto(f"{url}/kuesioner/{CURRENT}")
    form = page.locator("form[action$='/kirim']")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.locator("input[type=checkbox]").first.check() if form.locator(
            "input[type=checkbox]").count() else None
        form.locator("button[type=submit]").click()
    assert posted.value.status in (200, 400, 409, 422), posted.value.status
    page.wait_for_load_state()
    checker.check(page, "draft-operator refused submit", posted.value.text())

    page.goto(f"{url}/kuesioner/{CURRENT}/kelembagaan")
    page.locator("form#answers").evaluate(    # the save button's POST, not an autosave's
        "form => form.removeAttribute('data-autosave-url')")
    base = saved_elsewhere(app, accounts["draft"], "struktur-tim", 3)
    mine = next(level for level in (1, 2, 5) if level != base)
    page.locator(f"input[name='answer-struktur-tim'][value='{mine}']").check()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("form#answers button[name=save]:not([aria-hidden=true])").click()
    assert posted.value.status == 409, posted.value.status
    page.wait_for_load_state()
    expect(page.locator("[data-conflict='struktur-tim']")).to_be_visible()
    checker.check(page, "draft-operator conflict", posted.value.text())


def saved_elsewhere(app, username: str, key: str, level: int):
    """A colleague of ``username``'s unit saves ``key`` = ``level`` (4 when it already is
    ``level``) from the questionnaire's current version; returns the answer it replaced."""
    from assessment.extensions import db
    from assessment.operations.answers import save_answers
    from assessment.operations.questionnaire import get_or_create_submission
    with app.app_context():
        session = db.session
        period = session.query(Period).filter_by(slug=CURRENT).one()
        user = session.query(User).filter_by(username=username).one()
        sub = get_or_create_submission(session, period, user.unit_code, user)
        before = (sub.answers or {}).get(key)
        save_answers(session, sub, {key: 4 if before == level else level}, {}, sub.version, user)
        session.commit()
        db.session.remove()
    return before


# ---- keyboard only -------------------------------------------------------------------------

ACTIVE = """() => { const e = document.activeElement;
  return {tag: e.tagName, type: e.type || '', name: e.name || '', id: e.id || '',
          checked: Boolean(e.checked), hidden: e.getAttribute('aria-hidden') === 'true'}; }"""


def keyboard_login(page, url: str, username: str) -> None:
    page.goto(f"{url}/akun/masuk")
    expect(page.locator("#username")).to_be_focused()      # autofocus
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("form[action='/akun/keluar']")).to_be_attached()


def tab_through_and_save(page, prefix: str, limit: int = 400) -> dict[str, str]:
    """Tab from the top of the page to the visible Save button, answering every field named
    ``prefix*`` on the way with keys alone (Space on a radio or the first box of a group,
    digits in a text field), then Enter on Save. Returns {field name: what was done}."""
    done: dict[str, str] = {}
    for _ in range(limit):
        page.keyboard.press("Tab")
        el = page.evaluate(ACTIVE)
        if el["tag"] == "BUTTON" and el["name"] == "save" and not el["hidden"]:
            page.keyboard.press("Enter")
            return done
        if not el["name"].startswith(prefix) or el["name"] in done:
            continue
        if el["type"] in ("radio", "checkbox"):
            page.keyboard.press("Space")
            assert page.evaluate("() => document.activeElement.checked"), el
            done[el["name"]] = f"{el['type']} {el['id']}"
        elif el["type"] == "text" or el["tag"] == "TEXTAREA":
            page.keyboard.press("Control+A")
            page.keyboard.type("3")
            done[el["name"]] = "typed 3"
    pytest.fail(f"Tab never reached the Save button (answered {sorted(done)})")


@pytest.mark.slow
def test_keyboard_fills_and_saves_one_aspect(demo, browser, shot):
    app, url, accounts = demo
    checker = Checker(require_axe())
    with opened(browser) as page:
        keyboard_login(page, url, accounts["fresh"])
        page.goto(f"{url}/kuesioner/{CURRENT}/kelembagaan")
        done = tab_through_and_save(page, "answer-")
        expect(page.locator("main [aria-live=polite] .alert-success")).to_be_visible()
        shot(page, "questionnaire-saved-by-keyboard")
        checker.check(page, "operator saved by keyboard", page.content())
    questions = {f"answer-{i.id}" for i in _rubric(app).aspects[0].indicators}
    assert set(done) == questions, (done, questions)
    with app.app_context():
        from assessment.extensions import db
        period = db.session.query(Period).filter_by(slug=CURRENT).one()
        sub = (db.session.query(Submission)
               .filter_by(period_id=period.id, unit_code=accounts["fresh"][3:]).one())
        assert {f"answer-{k}" for k, v in sub.answers.items() if v is not None} == questions
        db.session.remove()
    checker.assert_clean()


@pytest.mark.slow
def test_keyboard_verifies_and_saves_one_aspect(demo, browser, shot):
    app, url, accounts = demo
    code = accounts["judged_unit"]
    with opened(browser) as page:
        keyboard_login(page, url, accounts["judge"])
        page.goto(f"{url}/penilai/{CURRENT}/{code}/kelembagaan")
        done = tab_through_and_save(page, "verified-")
        expect(page.locator("main [aria-live=polite] .alert-success")).to_be_visible()
        shot(page, "verification-saved-by-keyboard")
    # every indicator a judge verifies: the scored ones and the entry condition (sk-bakohumas)
    judged = {f"verified-{i.id}" for i in _rubric(app).aspects[0].judged_indicators}
    assert set(done) == judged, (done, judged)
    with app.app_context():
        from assessment.extensions import db
        period = db.session.query(Period).filter_by(slug=CURRENT).one()
        row = (db.session.query(JudgeAssignment)
               .filter_by(period_id=period.id, unit_code=code).one())
        assert {f"verified-{v.indicator_id}" for v in row.verifications
                if v.value is not None} == judged
        db.session.remove()


def _rubric(app):
    from assessment.extensions import db
    from assessment.rubric_store import rubric_for
    with app.app_context():
        rubric = rubric_for(db.session.query(Period).filter_by(slug=CURRENT).one())
        db.session.remove()
    return rubric


# ---- the Flask test client's pages, validated without a browser ----------------------------

def test_questionnaire_pages_are_valid_html(request, client, auth, operator):
    """The login page, a 404, the operator's dashboard, overview, every aspect (each question
    type), a refused submit and the profile, through the test client: one Java run."""
    if request.node.callspec.params["app"] != "sqlite":
        pytest.skip("the HTML does not depend on the database: checked once, on SQLite")
    require_vnu()
    from assessment.rubric_store import rubric_for
    _user, period = operator
    paths = ["/dasbor/", f"/kuesioner/{period.slug}", "/akun/profil", "/tidak-ada"]
    paths += [f"/kuesioner/{period.slug}/{a.id}" for a in rubric_for(period).aspects]
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == (404 if path == "/tidak-ada" else 200), path
        pages[path] = response.get_data(as_text=True)
    refused = client.post(f"/kuesioner/{period.slug}/kirim", data={"version": "1"})
    assert refused.status_code in (200, 400, 409, 422), refused.status_code
    pages["refused submit"] = refused.get_data(as_text=True)
    auth.logout()
    pages["login"] = client.get("/akun/masuk").get_data(as_text=True)
    errors = validate_html(pages)
    for name, found in errors.items():
        print(f"vnu {len(found)} errors  {name}")
    assert not any(errors.values()), {name: found for name, found in errors.items() if found}


# ---- the fixed pages on a phone and a desktop ----------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1366])
def test_fixed_pages_on_phone_and_desktop(demo, browser, shot, width):
    """The pages issue 17 fixed, at 390 px (a phone) and 1366 px: axe clean, no sideways
    scrolling, the in-page links of the public results at least 24 px tall and apart, and
    every chart sized in the HTML; screenshots in test-artifacts/browser/."""
    app, url, accounts = demo
    checker = Checker(require_axe())
    pages = {"public": [f"/hasil/{PUBLISHED}/"],
             accounts["draft"]: [f"/kuesioner/{CURRENT}/kelembagaan", f"/kuesioner/{CURRENT}/sdm"],
             accounts["judge"]: [f"/penilai/{CURRENT}/{accounts['judged_unit']}/kelembagaan",
                                 f"/penilai/{PUBLISHED}"],
             accounts["admin"]: [f"/pemantauan/{CURRENT}/", f"/admin/judging/{CURRENT}/pengaturan"],
             accounts["operator"]: [f"/umpan-balik/{PUBLISHED}/33"]}
    for username, paths in pages.items():
        with opened(browser, width=width, height=844 if width == 390 else 900) as page:
            if username != "public":
                login(page, url, username)
            for path in paths:
                page.goto(url + path)
                page.evaluate("() => document.querySelectorAll('img[loading=lazy]')"
                              ".forEach(img => img.loading = 'eager')")
                page.wait_for_function("() => [...document.images].every(i => i.complete)")
                broken = page.eval_on_selector_all("main img", "els => els.filter(i =>"
                                                   " !i.naturalWidth).map(i => i.src)")
                assert not broken, (path, broken)
                widths = page.evaluate("() => [document.documentElement.scrollWidth,"
                                       " document.documentElement.clientWidth]")
                assert widths[0] <= widths[1], (path, widths)
                unsized = page.eval_on_selector_all(
                    "main img", "els => els.filter(i => !i.getAttribute('width')"
                    " || !i.getAttribute('height') || !i.alt).map(i => i.src)")
                assert not unsized, (path, unsized)
                checker.check(page, f"{width}px {path}", None)
                shot(page, f"{width}-{path.strip('/').replace('/', '-')}")
        if username == "public":
            assert_in_page_links_are_targets(url, browser, width)
    checker.assert_clean()


def assert_in_page_links_are_targets(url: str, browser, width: int) -> None:
    """WCAG 2.5.8: each in-page link at least 24 x 24 px, or that far from its neighbours."""
    with opened(browser, width=width) as page:
        page.goto(f"{url}/hasil/{PUBLISHED}/")
        boxes = [page.locator(".page-toc a").nth(i).bounding_box()
                 for i in range(page.locator(".page-toc a").count())]
    assert len(boxes) >= 3, boxes
    for box in boxes:
        assert box["height"] >= 24 and box["width"] >= 24, box
