"""One whole season in a real browser (Debian's chromium through Playwright) against the real
application with CSRF on: the admin opens a period through the period form and sets one judge
per unit; KPU Provinsi Jawa Tengah fills in and submits through the pages, KPU Provinsi Jawa
Barat through the Excel route (workbook downloaded, filled with openpyxl, uploaded); the admin
assigns automatically; the judge verifies both units and completes them; the admin walks the
season's checklist (Tahapan musim): the provisional ranking once the questionnaire has closed,
stage two, then the final ranking once verification has closed and a masa sanggah has been
held, and publication; the public results page shows the ranking; its workbook downloads and opens in
LibreOffice; Jawa Tengah sees its feedback page and downloads its scorecard PDF.

To keep it to a few minutes, data the browser does not exercise is prepared directly in the
database through the operations (the user accounts, the questionnaire answers outside the
first indicator Jawa Tengah types, and the evidence links of indicators nobody clicks through),
and the passing of time is a change of the period's dates in the database.
Elements are found by name, id, form action, href and data-* attributes only, never by their
visible text. Screenshots: test-artifacts/browser/<test>/NN-step.png."""
from __future__ import annotations

import csv
import io
import json
import random
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from assessment.models import (JudgeAssignment, Period, Publication, StageScore, Submission,
                               User)
from assessment.operations.evidence import add_link
from assessment.operations.answers import save_answers
from assessment.operations.questionnaire import get_or_create_submission
from assessment.rubric_store import rubric_for
from reports.questionnaire_xlsx import answer_cells
from scoring.synthetic import answer_for
from reports.indonesian import WIB
from tests.browser_support import (PASSWORD, browser, live_server, login, page,  # noqa: F401
                                   prepared_database, shot)

pytestmark = pytest.mark.slow

SLUG = "bakohumas-2026"
TITLE = "Penilaian Tata Kelola Bakohumas 2026"
HTML_UNIT, XLSX_UNIT = "33", "32"       # op-33 is the live server's own operator
JUDGE = ("penilai-satu", "Ratna Dewi Anggraini")
SAVED_FLASH = "main [aria-live=polite] .alert-success"
SUBMIT_FORM = "form[action$='/kirim']"


def wib(moment: datetime) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m-%dT%H:%M")


def answers_for(rubric, code: str) -> dict:
    """A complete, fairly strong questionnaire (synthetic, repeatable per unit)."""
    rnd = random.Random(f"browser-season-{code}")
    out = {}
    for ind in rubric.indicators:
        value = answer_for(ind, 0.85, rnd)
        out[ind.id] = [ind.options[0]] if ind.type == "choice" and not value else value
    out["sk-bakohumas"] = True
    return out


def earns(value) -> bool:
    return value not in (None, False, 0, [], "")


def as_user(page, live, username: str) -> None:
    """Log out (cookies cleared) and in again as ``username`` through the login form."""
    page.context.clear_cookies()
    live.username = username
    login(page, live)


def seed_accounts(live) -> None:
    """The admin, the judge and Jawa Barat's operator (accounts are not what this test is about)."""
    with live.db() as session:
        for username, role, unit, name in (("admin-biro", "admin", None, "Admin Biro"),
                                           (JUDGE[0], "judge", None, JUDGE[1]),
                                           (f"op-{XLSX_UNIT}", "operator", XLSX_UNIT,
                                            "Operator Jawa Barat")):
            user = User(username=username, role=role, unit_code=unit, name=name)
            user.set_password(PASSWORD)
            session.add(user)
        session.commit()


def prepare_questionnaire(live, code: str, answers: dict | None, skip=()) -> None:
    """Evidence links for every required indicator that earns points (except ``skip``) and,
    when given, the answers, through the operations (as a script or the API would)."""
    with live.db() as session:
        period = session.query(Period).filter_by(slug=SLUG).one()
        user = session.query(User).filter_by(role="operator", unit_code=code).first()
        sub = get_or_create_submission(session, period, code, user)
        rubric = rubric_for(period)
        full = answers_for(rubric, code)
        for ind in rubric.indicators:
            if ind.evidence == "required" and earns(full[ind.id]) and ind.id not in skip:
                add_link(session, sub, ind.id, f"https://kpu.go.id/bukti/{code}/{ind.id}", user)
        if answers:
            save_answers(session, sub, answers, {}, sub.version, user, strict=True, source="api")
        session.commit()


def fill_workbook(data: bytes, rubric, answers: dict) -> bytes:
    """The downloaded workbook filled in as a person would in Excel."""
    book = load_workbook(io.BytesIO(data))
    for ind in rubric.indicators:
        sheet, cell = answer_cells(rubric)[ind.id]
        value, ws = answers[ind.id], book[sheet]
        if ind.type == "choice":
            for index, option in enumerate(ind.options):
                ws[f"{cell[0]}{int(cell[1:]) + index}"] = "Ya" if option in value else "Tidak"
        elif ind.type == "yesno":
            ws[cell] = "Ya" if value else "Tidak"
        elif ind.type == "scale":
            ws[cell] = ind.levels[value].label
        else:
            ws[cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def submit_statement(page, head: str) -> None:
    page.locator("#head_name").fill(head)
    page.locator("#head_position").fill("Ketua")
    page.locator("#head_nip").fill("19700101 199503 2 001")
    page.locator("#agreed").check()
    page.locator(f"{SUBMIT_FORM} button[type=submit]").click()
    expect(page.locator("[data-testid=submitted-banner]")).to_be_visible()


def status_of(live, code: str) -> str | None:
    with live.db() as session:
        period = session.query(Period).filter_by(slug=SLUG).one()
        sub = session.query(Submission).filter_by(period_id=period.id, unit_code=code).first()
        return sub.status if sub else None


def open_in_libreoffice(data: bytes, folder: Path) -> str:
    """The workbook converted to CSV by LibreOffice (its own profile): the first sheet's text."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the workbook cannot be opened in it")
    source = folder / "peringkat.xlsx"
    source.write_bytes(data)
    profile = (folder / "lo-profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(folder),
                    str(source)], check=True, capture_output=True, timeout=180)
    return (folder / "peringkat.csv").read_text(encoding="utf-8")


def test_a_whole_season_in_the_browser(live_server, page, shot, tmp_path):
    live = live_server
    seed_accounts(live)
    start = datetime.now(timezone.utc)

    # 1. the admin opens the period through the period form, one judge per unit
    as_user(page, live, "admin-biro")
    page.goto(f"{live.url}/admin/periode/baru")
    page.locator("#title").fill(TITLE)
    page.locator("#slug").fill(SLUG)
    page.locator("#rubric_id").select_option("bakohumas-2025")
    page.locator("#opens_at").fill(wib(start - timedelta(hours=1)))
    page.locator("#closes_at").fill(wib(start + timedelta(days=14)))
    shot(page, "admin-period-form")
    page.locator("form:has(#slug) button[type=submit]").click()
    expect(page).to_have_url(f"{live.url}/admin/periode/{SLUG}/")
    shot(page, "admin-period-created")
    page.goto(f"{live.url}/admin/judging/{SLUG}/pengaturan")
    page.locator("#judges_per_unit").fill("1")
    page.locator("form:has(#judges_per_unit) button[type=submit]").click()
    expect(page).to_have_url(f"{live.url}/admin/judging/{SLUG}/")
    with live.db() as session:
        period = session.query(Period).filter_by(slug=SLUG).one()
        assert period.title == TITLE and (period.settings or {}).get("judges_per_unit") == 1
        rubric = rubric_for(period)

    # 2a. Jawa Tengah in the pages: the first indicator typed with its link, the rest prepared
    html_answers = answers_for(rubric, HTML_UNIT)
    prepare_questionnaire(live, HTML_UNIT, {k: v for k, v in html_answers.items()
                                            if k != "sk-bakohumas"}, skip={"sk-bakohumas"})
    as_user(page, live, f"op-{HTML_UNIT}")
    page.goto(f"{live.url}/kuesioner/{SLUG}/kelembagaan")
    radio = page.locator("[name='answer-sk-bakohumas'][value='ya']")
    page.locator(f"label[for='{radio.get_attribute('id')}']").click()
    expect(radio).to_be_checked()
    page.locator("input[name='link-sk-bakohumas']").fill("https://jateng.kpu.go.id/sk-bakohumas")
    shot(page, "jateng-aspect-filled")
    page.locator("form#answers button[name=save]:not([aria-hidden=true])").click()
    expect(page.locator(SAVED_FLASH)).to_be_visible()
    page.goto(f"{live.url}/kuesioner/{SLUG}")
    expect(page.locator("#missing a[href*='#ind-']")).to_have_count(0)
    submit_statement(page, "Dr. Handayani Setyaningsih")
    shot(page, "jateng-submitted")
    assert status_of(live, HTML_UNIT) == "submitted"

    # 2b. Jawa Barat by the Excel route: download, fill with openpyxl, upload, submit
    xlsx_answers = answers_for(rubric, XLSX_UNIT)
    prepare_questionnaire(live, XLSX_UNIT, None)
    as_user(page, live, f"op-{XLSX_UNIT}")
    page.goto(f"{live.url}/kuesioner/{SLUG}/excel/unggah")
    shot(page, "jabar-upload-page")
    with page.expect_download() as info:
        page.locator(f"a[href='/kuesioner/{SLUG}/excel']").first.click()
    blank = Path(info.value.path()).read_bytes()
    filled = tmp_path / "kuesioner-jabar.xlsx"
    filled.write_bytes(fill_workbook(blank, rubric, xlsx_answers))
    page.locator("input[name=file]").set_input_files(str(filled))
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    expect(page).to_have_url(f"{live.url}/kuesioner/{SLUG}")
    expect(page.locator(SAVED_FLASH)).to_be_visible()
    shot(page, "jabar-imported")
    submit_statement(page, "Drs. Ahmad Fauzi")
    shot(page, "jabar-submitted")
    assert status_of(live, XLSX_UNIT) == "submitted"

    # 3. the admin assigns the judge automatically
    as_user(page, live, "admin-biro")
    page.goto(f"{live.url}/admin/judging/{SLUG}/")
    page.locator(f"form[action='/admin/judging/{SLUG}/otomatis'] button[type=submit]").click()
    expect(page.locator(SAVED_FLASH)).to_be_visible()
    shot(page, "admin-assigned")
    with live.db() as session:
        rows = session.query(JudgeAssignment).filter_by(active=True).all()
        assert sorted(r.unit_code for r in rows) == sorted([HTML_UNIT, XLSX_UNIT])
        assert {r.judge.username for r in rows} == {JUDGE[0]}

    # 4. the judge verifies both units (the unit's answers copied, page by page) and completes
    as_user(page, live, JUDGE[0])
    page.goto(f"{live.url}/penilai/{SLUG}")
    for code in (HTML_UNIT, XLSX_UNIT):
        expect(page.locator(f"tr[data-unit='{code}'] [data-state]")).to_have_attribute(
            "data-state", "not_started")
    shot(page, "judge-workspace")
    for code in (HTML_UNIT, XLSX_UNIT):
        for n, aspect in enumerate(rubric.aspects):
            page.goto(f"{live.url}/penilai/{SLUG}/{code}/{aspect.id}")
            if n == 0:
                page.locator(f"textarea[name='comment-{aspect.indicators[0].id}']").fill(
                    "SK tim Bakohumas lengkap dan sah.")
            page.locator("button[data-action=copy-all]").click()
            expect(page.locator(SAVED_FLASH)).to_be_visible()
            if n == 0 and code == HTML_UNIT:
                shot(page, "judge-aspect-verified")
        page.goto(f"{live.url}/penilai/{SLUG}/{code}")
        expect(page.locator("[data-testid=verify-missing]")).to_have_count(0)
        page.locator("button[data-action=complete]").click()
        expect(page.locator("[data-testid=verify-completed]")).to_be_visible()
    page.goto(f"{live.url}/penilai/{SLUG}")
    for code in (HTML_UNIT, XLSX_UNIT):
        expect(page.locator(f"tr[data-unit='{code}'] [data-state]")).to_have_attribute(
            "data-state", "completed")
    shot(page, "judge-done")

    # 5. the checklist: no provisional ranking while the questionnaire is open; it closes
    #    (time passes) and the admin computes the provisional ranking from the checklist
    as_user(page, live, "admin-biro")
    checklist = f"{live.url}/admin/periode/{SLUG}/tahapan/"
    page.goto(checklist)
    expect(page.locator("[data-gate=questionnaire_closed].gate-fail")).to_have_count(1)
    shot(page, "admin-checklist-open")
    with live.db() as session:
        period = session.query(Period).filter_by(slug=SLUG).one()
        period.closes_at = datetime.now(timezone.utc) - timedelta(minutes=1)
        session.commit()
    page.goto(checklist)
    expect(page.locator("[data-gate=questionnaire_closed].gate-ok")).to_have_count(1)
    expect(page.locator("[data-testid=current-stage]")).to_have_count(1)
    page.locator(f"[data-testid=gates-provisional] a[href='/musim/{SLUG}/peringkat']").click()
    page.locator(f"form[action='/musim/{SLUG}/peringkat'] button[type=submit]").click()
    expect(page).to_have_url(f"{live.url}/musim/{SLUG}/peringkat/1")
    shot(page, "admin-provisional")
    as_user(page, live, JUDGE[0])
    page.goto(f"{live.url}/musim/{SLUG}/tahap-dua")
    for code, mark in ((HTML_UNIT, "80,5"), (XLSX_UNIT, "100")):
        form = page.locator(f"form[action='/musim/{SLUG}/tahap-dua/{code}']")
        form.locator("input[name=score]").fill(mark)     # edition 2025: one score, no criteria
        form.locator("textarea[name=notes]").fill("Paparan runtut dan didukung data.")
        form.locator("button[type=submit]").click()
        expect(page.locator(SAVED_FLASH)).to_be_visible()
    shot(page, "judge-stage-two")
    # 6. the checklist before the final ranking: verification still open, no masa sanggah;
    #    verification closes and the masa sanggah is held (time passes), then every gate holds
    as_user(page, live, "admin-biro")
    page.goto(checklist)
    for gate in ("verification_closed", "objection_period"):
        expect(page.locator(f"[data-gate={gate}].gate-fail")).to_have_count(1)
    expect(page.locator("[data-gate=stage_two].gate-ok")).to_have_count(1)
    shot(page, "admin-checklist-before-final")
    with live.db() as session:
        period = session.query(Period).filter_by(slug=SLUG).one()
        now = datetime.now(timezone.utc)
        period.verification_closes_at = now - timedelta(seconds=30)
        period.objection_opens_at = now - timedelta(seconds=20)
        period.objection_closes_at = now - timedelta(seconds=10)
        session.commit()
    page.goto(checklist)
    expect(page.locator("[data-testid=gates-final] .gate-fail")).to_have_count(0)
    expect(page.locator("[data-gate=final_run].gate-fail")).to_have_count(1)
    shot(page, "admin-checklist-ready")
    page.locator(f"[data-testid=gates-final] a[href='/admin/periode/{SLUG}/penghitungan/']").click()
    page.locator("#confirm").check()
    shot(page, "admin-finalise")
    page.locator("form:has(#confirm) button[type=submit]").first.click()
    expect(page).to_have_url(f"{live.url}/admin/periode/{SLUG}/penghitungan/2/")
    publish = page.locator(f"form[action='/admin/periode/{SLUG}/penghitungan/2/terbitkan']").first
    publish.locator("input[name=confirm]").check()
    # publishing builds the run's public files first: allow it a loaded machine's minute
    publish.locator("button[type=submit]").click(no_wait_after=True)
    expect(page.locator(SAVED_FLASH)).to_be_visible(timeout=60_000)
    shot(page, "admin-published")
    page.goto(checklist)
    expect(page.locator(".gate-fail")).to_have_count(0)
    expect(page.locator("[data-testid=current-stage]")).to_have_count(1)
    shot(page, "admin-checklist-published")
    with live.db() as session:
        assert session.query(Publication).count() == 1
        stages = session.query(StageScore).count()
        run = session.query(Publication).one().run
        names = {u["code"]: u["name"] for u in json.loads(run.exchange)["units"]}
        order = [(names[r["unit"]], r["total"]) for r in json.loads(run.result)["ranking"]]
    assert stages == 2

    # 7. anyone: the public results page shows the ranking; the workbook opens in LibreOffice
    page.context.clear_cookies()
    page.goto(f"{live.url}/hasil/{SLUG}/")
    body = page.locator("main")
    expect(body).to_contain_text("KPU Provinsi Jawa Tengah")
    expect(body).to_contain_text("KPU Provinsi Jawa Barat")
    # the rows in the published run's order: Jawa Barat's stronger presentation lifts it
    # above Jawa Tengah (0.7 x stage one + 0.3 x stage two)
    assert [name for name, _total in order] == ["KPU Provinsi Jawa Barat", "KPU Provinsi Jawa Tengah"]
    rows = page.locator("main table").first.locator("tbody tr")
    expect(rows).to_have_count(2)
    for row, (name, total) in zip(rows.all(), order):
        expect(row).to_contain_text(name)
        expect(row).to_contain_text(f"{total:.2f}".replace(".", ","))
    for image in page.locator("main img").all():     # the charts load lazily
        image.scroll_into_view_if_needed()
    page.wait_for_function("() => Array.from(document.querySelectorAll('main img'))"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    shot(page, "public-results")
    with page.expect_download() as info:
        page.locator(f"a[href^='/hasil/{SLUG}/peringkat-'][href$='.xlsx']").first.click()
    workbook = Path(info.value.path()).read_bytes()
    assert workbook[:2] == b"PK"
    table = open_in_libreoffice(workbook, tmp_path)
    cells = {cell for row in csv.reader(io.StringIO(table)) for cell in row}
    assert {"KPU Provinsi Jawa Tengah", "KPU Provinsi Jawa Barat"} <= cells, table[:2000]

    # 8. Jawa Tengah sees its feedback page and downloads its scorecard
    as_user(page, live, f"op-{HTML_UNIT}")
    page.goto(f"{live.url}/umpan-balik/{SLUG}/{HTML_UNIT}")
    expect(page.locator("a[data-scorecard]")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(JUDGE[1])
    shot(page, "jateng-feedback")
    with page.expect_download() as info:
        page.locator("a[data-scorecard]").click()
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")
