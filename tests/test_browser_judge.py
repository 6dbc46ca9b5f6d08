"""A judge (penilai) verifying one unit in a real browser (Debian's chromium through
Playwright) against the real application with CSRF on: logging in, opening the assigned unit
from the workspace, verifying one aspect's indicators (copying the unit's answer, choosing a
different level, typing a comment), saving, reloading and finding it all again, verifying the
rest, completing the unit; and the workspace and verify pages on a 390 px phone.

Elements are found by name, id, form action, href and data-* attributes only, never by their
visible text (the interface is translated). Screenshots: test-artifacts/browser/<test>/."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessment.models import JudgeAssignment, Period, Submission, User
from assessment.operations.evidence import add_file, add_link
from assessment.operations.judging import unwrap
from assessment.rubric_store import rubric_for
from tests.browser_support import (PASSWORD, browser, live_server, login, page,  # noqa: F401
                                   phone_page, prepared_database, shot)
from tests.test_verification import answers, png

pytestmark = pytest.mark.slow

UNIT = "33.74"
SAVE = "form#verify button[name=save]:not([aria-hidden=true])"
SAVED_FLASH = "main [aria-live=polite] .alert-success"


def seed_judging(live) -> None:
    """KPU Kota Semarang's questionnaire, submitted with a PNG and a link as evidence, and
    penilai1 assigned to it; the browser logs in as penilai1."""
    with live.db() as session:
        period = session.query(Period).filter_by(slug=live.slug).one()
        op = User(username="op-33.74", name="Operator Semarang", role="operator", unit_code=UNIT)
        judge = User(username="penilai1", name="Penilai Satu", role="judge")
        for user in (op, judge):
            user.set_password(PASSWORD)
            session.add(user)
        session.flush()
        sub = Submission(period_id=period.id, unit_code=UNIT, status="draft", answers=answers(),
                         pending={}, updated_by=op.id)
        session.add(sub)
        session.flush()
        add_file(session, sub, "sk-bakohumas", "sk-tim.png", png(), op,
                 upload_dir=live.app.config["UPLOAD_DIR"], max_bytes=10_000_000)
        add_link(session, sub, "sk-bakohumas", "https://kota-semarang.kpu.go.id/sk", op)
        sub.status = "submitted"
        session.add(JudgeAssignment(period_id=period.id, unit_code=UNIT, judge_id=judge.id))
        session.commit()
    live.username = "penilai1"


def stored(live):
    """(rubric, {indicator: stored value}, {indicator: comment}, completed_at)."""
    with live.db() as session:
        period = session.query(Period).filter_by(slug=live.slug).one()
        row = session.query(JudgeAssignment).filter_by(unit_code=UNIT).one()
        values = {v.indicator_id: v.value for v in row.verifications}
        comments = {v.indicator_id: v.comment for v in row.verifications}
        return rubric_for(period), values, comments, row.completed_at


def value(page, indicator: str, option: str | None = None):
    selector = f"[name='verified-{indicator}']"
    return page.locator(f"{selector}[value='{option}']" if option is not None else selector)


def save(page) -> None:
    page.locator(SAVE).click()
    expect(page.locator(SAVED_FLASH)).to_be_visible()


def test_judge_verifies_one_unit_and_completes_it(live_server, page, shot):
    live = live_server
    seed_judging(live)
    login(page, live)
    page.goto(f"{live.url}/penilai/")
    row = page.locator(f"tr[data-unit='{UNIT}']")
    expect(row).to_be_visible()
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "not_started")
    shot(page, "workspace")
    row.locator("a.unit-link").click()
    expect(page.locator("[data-testid=verify-aspects]")).to_be_visible()
    shot(page, "unit")

    page.locator(f"a[href$='/penilai/{live.slug}/{UNIT}/kelembagaan']").first.click()
    expect(page.locator("#ind-sk-bakohumas img.evidence-thumb")).to_be_visible()
    link = "#ind-sk-bakohumas a[href='https://kota-semarang.kpu.go.id/sk']"
    expect(page.locator(link)).to_have_count(1)
    # copy the unit's "yes" in the page (JavaScript: nothing saved yet)
    page.locator("#ind-sk-bakohumas button.copy-answer").click()
    expect(value(page, "sk-bakohumas", "ya")).to_be_checked()
    # the unit claimed level 3 (index 2); the judge verifies level 2 (index 1)
    page.locator(f"label[for='{value(page, 'struktur-tim', '1').get_attribute('id')}']").click()
    expect(value(page, "struktur-tim", "1")).to_be_checked()
    page.locator("#ind-sarana-kehumasan button.copy-answer").click()
    claimed = answers()["sarana-kehumasan"]
    for option in claimed:
        expect(value(page, "sarana-kehumasan", option)).to_be_checked()
    page.locator("textarea[name='comment-struktur-tim']").fill(
        "Struktur tim ada, tetapi belum ditetapkan dengan SK.")
    shot(page, "aspect-filled")
    save(page)

    page.reload()
    expect(value(page, "sk-bakohumas", "ya")).to_be_checked()
    expect(value(page, "struktur-tim", "1")).to_be_checked()
    expect(page.locator("textarea[name='comment-struktur-tim']")).to_have_value(
        "Struktur tim ada, tetapi belum ditetapkan dengan SK.")
    expect(page.locator("[data-verified='struktur-tim']")).to_be_visible()
    shot(page, "aspect-saved")
    rubric, values, comments, completed = stored(live)
    assert {k: unwrap(v) for k, v in values.items()} == {
        "sk-bakohumas": True, "struktur-tim": 1, "sarana-kehumasan": claimed}
    assert comments["struktur-tim"].startswith("Struktur tim ada")

    # the other aspects: the unit's answers copied into every empty value
    for aspect in rubric.aspects[1:]:
        page.goto(f"{live.url}/penilai/{live.slug}/{UNIT}/{aspect.id}")
        page.locator("button[data-action=copy-all]").click()
        expect(page.locator(SAVED_FLASH)).to_be_visible()
    page.goto(f"{live.url}/penilai/{live.slug}/{UNIT}")
    expect(page.locator("[data-testid=verify-missing]")).to_have_count(0)
    page.locator("button[data-action=complete]").click()
    expect(page.locator("[data-testid=verify-completed]")).to_be_visible()
    shot(page, "completed")
    _, values, _, completed = stored(live)
    assert completed is not None
    assert all(unwrap(values.get(i.id)) is not None for i in rubric.indicators if i.scored)
    page.goto(f"{live.url}/penilai/")
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "completed")
    shot(page, "workspace-done")


def test_phone_width_workspace_and_verify_page(live_server, phone_page, shot):
    live, page = live_server, phone_page
    seed_judging(live)
    login(page, live)
    wide = {}
    for name, url in (("workspace", f"{live.url}/penilai/{live.slug}"),
                      ("unit", f"{live.url}/penilai/{live.slug}/{UNIT}"),
                      ("kelembagaan", f"{live.url}/penilai/{live.slug}/{UNIT}/kelembagaan"),
                      ("sdm", f"{live.url}/penilai/{live.slug}/{UNIT}/sdm")):
        page.goto(url)
        expect(page.locator("#main")).to_be_visible()
        widths = page.evaluate("() => [document.documentElement.scrollWidth,"
                               " document.documentElement.clientWidth]")
        assert widths[1] == 390, widths
        if widths[0] > widths[1]:
            wide[name] = widths
        shot(page, name)
    assert not wide, f"pages wider than the phone screen (scrollWidth, clientWidth): {wide}"
