"""The condition of entry on the judge's page in a real browser (Debian's chromium through
Playwright, CSRF on), edition bakohumas-2026: the "Syarat keikutsertaan" block at the top of
the aspect that holds sk-bakohumas shows the unit's answer and its decree; the judge chooses
Tidak, autosave says a comment is needed and saves nothing, the judge writes why and autosave
saves both; the mark turns verified and the unit overview says Tidak.

Elements are found by name, id and data-* attributes only. Screenshots:
test-artifacts/browser/<test>/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessment.models import JudgeAssignment, Period, Submission, User
from assessment.operations.evidence import add_file
from rubrics import load_rubric
from tests.browser_support import (PASSWORD, _opened, browser, live_server, login,  # noqa: F401
                                   prepared_database, shot)
from tests.test_verification import png

pytestmark = pytest.mark.slow

EDITION = load_rubric("rubrics/editions/bakohumas-2026.yaml")
ENTRY = "sk-bakohumas"
ASPECT = EDITION.indicator(ENTRY).aspect_id
UNIT = "33.74"
STATUS = "form#verify [data-autosave-status]"
REASON = "Keputusan yang diunggah berlaku untuk tahun 2024, bukan periode ini."


def answers_2026() -> dict:
    value = {"yesno": lambda i: True, "scale": lambda i: 2, "number": lambda i: 3,
             "choice": lambda i: [o for o in i.options if o != "-"][:1]}
    out = {i.id: value[i.type](i) for i in EDITION.indicators if i.scored and not i.allow_na}
    out.update({ENTRY: True, "sk-bakohumas-nomor": "Keputusan KPU Kota Semarang Nomor 12 Tahun "
                                                   "2026 tanggal 5 Januari 2026"})
    return out


def seed(live) -> None:
    """The period on edition 2026, KPU Kota Semarang's questionnaire submitted with its
    decree (a PNG), penilai1 assigned."""
    with live.db() as session:
        period = session.query(Period).filter_by(slug=live.slug).one()
        period.rubric_id = "bakohumas-2026"
        op = User(username="op-33.74", name="Operator Semarang", role="operator", unit_code=UNIT)
        judge = User(username="penilai1", name="Penilai Satu", role="judge")
        for user in (op, judge):
            user.set_password(PASSWORD)
            session.add(user)
        session.flush()
        sub = Submission(period_id=period.id, unit_code=UNIT, status="draft",
                         answers=answers_2026(), pending={}, updated_by=op.id)
        session.add(sub)
        session.flush()
        add_file(session, sub, ENTRY, "keputusan-tim-bakohumas.png", png(), op,
                 upload_dir=live.app.config["UPLOAD_DIR"], max_bytes=10_000_000)
        sub.status = "submitted"
        session.add(JudgeAssignment(period_id=period.id, unit_code=UNIT, judge_id=judge.id))
        session.commit()
    live.username = "penilai1"


@pytest.fixture
def page(browser):
    """A page whose only expected console error is the 422 of the refused autosave (a Tidak
    without its comment is answered with its status, which chromium reports)."""
    with _opened(browser, viewport={"width": 1366, "height": 900},
                 expected=lambda msg: "422" in msg.text
                 and msg.location.get("url", "").endswith("/simpan-otomatis")) as opened:
        yield opened


def stored(live):
    with live.db() as session:
        row = session.query(JudgeAssignment).filter_by(unit_code=UNIT).one()
        return {v.indicator_id: (v.value, v.comment) for v in row.verifications}


def test_judge_records_tidak_with_its_reason_through_autosave(live_server, page, shot):
    live = live_server
    seed(live)
    login(page, live)
    page.goto(f"{live.url}/penilai/{live.slug}/{UNIT}/{ASPECT}")
    block = page.locator("[data-testid=entry-condition]")
    expect(block).to_contain_text("Syarat keikutsertaan")
    section = block.locator(f"#ind-{ENTRY}")
    expect(section.locator(".claimed .answer-value")).to_have_text("Ya")
    expect(section.locator(".claimed .evidence-name")).to_have_text("keputusan-tim-bakohumas.png")
    mark = section.locator(f"[data-fragment='mark-{ENTRY}'] [data-mark]")
    expect(mark).to_have_attribute("data-mark", "unverified")
    shot(page, "entry-block")
    # Tidak alone: not saved, and the status says why
    tidak = section.locator(f"input[name='verified-{ENTRY}'][value='tidak']")
    section.locator(f"label[for='{tidak.get_attribute('id')}']").click()   # a button-styled radio
    expect(tidak).to_be_checked()
    expect(page.locator(STATUS)).to_contain_text("memerlukan komentar", timeout=20_000)
    assert ENTRY not in stored(live)
    # with the reason: both saved
    section.locator(f"textarea[name='comment-{ENTRY}']").fill(REASON)
    expect(page.locator(STATUS)).to_have_text(re.compile(r"^Tersimpan otomatis \d{2}\.\d{2}$"),
                                              timeout=20_000)
    expect(mark).to_have_attribute("data-mark", "verified")
    assert stored(live)[ENTRY] == ({"v": False}, REASON)
    shot(page, "entry-tidak-saved")
    page.goto(f"{live.url}/penilai/{live.slug}/{UNIT}")
    summary = page.locator("[data-testid=entry-summary]")
    expect(summary.locator("[data-entry-verified]")).to_have_attribute("data-entry-verified", "no")
    expect(summary).to_contain_text(REASON)
    shot(page, "unit-overview")
