"""Issue 13 on the judge's page in a real browser (Debian's chromium through Playwright, CSRF
on): what the judge types is saved a few seconds after typing stops ("Tersimpan otomatis
HH.MM"), through the same merge as the Save button, and the page's marks and counts follow
without a reload; another window's save of another indicator reaches the page; on the
questionnaire the incomplete marks and counts follow an autosave too. Issue 19: the sampled
dates shown to the judge, ticked and recorded.

Elements are found by name, id, form action and data-* attributes only. Screenshots:
test-artifacts/browser/<test>/."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from assessment.models import JudgeAssignment, Period, Submission, User, Verification
from assessment.operations import verification as ops
from assessment.operations.periods import open_period
from assessment.rubric_store import rubric_for
from tests.browser_support import (browser, live_server, login, page,  # noqa: F401
                                   prepared_database, shot)
from tests.test_browser_autosave import conflict_page  # noqa: F401
from tests.test_browser_judge import SAVE, UNIT, seed_judging, stored

pytestmark = pytest.mark.slow

STATUS = "form#verify [data-autosave-status]"
SAVED_AT = re.compile(r"^Tersimpan otomatis \d{2}\.\d{2}$")


def sdm_url(live) -> str:
    return f"{live.url}/penilai/{live.slug}/{UNIT}/sdm"


def test_judge_autosave_merges_and_refreshes_the_marks(live_server, page, shot):
    live = live_server
    seed_judging(live)
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live)
    page.goto(sdm_url(live))
    mark = "#ind-jumlah-personel [data-fragment='mark-jumlah-personel'] [data-mark]"
    expect(page.locator(mark)).to_have_attribute("data-mark", "unverified")
    expect(page.locator("[data-fragment=progress] [data-count=verified]")).to_have_text("0")
    page.locator("input[name='verified-jumlah-personel']").fill("3")
    page.locator("input[name='verified-pranata-humas']").fill("dua")   # kept, not valid
    expect(page.locator(STATUS)).to_have_text(SAVED_AT, timeout=20_000)
    # the marks and counts follow without a reload
    expect(page.locator(mark)).to_have_attribute("data-mark", "verified")
    expect(page.locator("[data-fragment='mark-pranata-humas'] [data-mark]")).to_have_attribute(
        "data-mark", "invalid")
    expect(page.locator("[data-fragment=progress] [data-count=verified]")).to_have_text("1")
    expect(page.locator("[data-fragment=progress] [data-count=pending]")).to_be_visible()
    # the reason is written under the field, not only in the mark's tooltip, and the field
    # and its section are marked as a reload marks them
    typed = page.locator("input[name='verified-pranata-humas']")
    reason = page.locator("#ind-pranata-humas [data-fragment='error-pranata-humas'] #err-pranata-humas")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text("\u201cdua\u201d")
    # the same reason as the mark's tooltip ("isian tidak valid: <reason>")
    tooltip = page.locator("[data-fragment='mark-pranata-humas'] [data-mark]").get_attribute("title")
    why = tooltip.split(": ", 1)[1]
    assert why and reason.text_content().strip().endswith("\u2014 " + why)
    expect(typed).to_have_attribute("aria-invalid", "true")
    expect(typed).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(typed).to_have_attribute("aria-describedby", re.compile(r"^err-pranata-humas\b"))
    expect(page.locator("#ind-pranata-humas")).to_have_class(re.compile(r"\bborder-danger\b"))
    expect(page.locator("#err-jumlah-personel")).to_have_count(0)
    expect(page.locator("[data-fragment=nav] a[aria-current=page] + .aspect-meta")).to_contain_text("1/")
    expect(page.locator("form#verify [data-version]")).to_have_text("2")
    shot(page, "autosaved-1366")
    _, values, _, _ = stored(live)
    assert values["jumlah-personel"] == {"v": 3} and values["pranata-humas"]["raw"] == "dua"

    # another window of the same judge saves another indicator: merged, and it reaches this page
    other = page.context.new_page()
    other.goto(sdm_url(live))
    other.locator("textarea[name='comment-pelatihan-kehumasan']").fill("Sertifikat dicek.")
    expect(other.locator(STATUS)).to_have_text(SAVED_AT, timeout=20_000)
    other.close()
    page.locator("input[name='verified-pranata-humas']").fill("2")
    expect(page.locator("textarea[name='comment-pelatihan-kehumasan']")).to_have_value(
        "Sertifikat dicek.", timeout=20_000)
    expect(page.locator("[data-fragment='mark-pranata-humas'] [data-mark]")).to_have_attribute(
        "data-mark", "verified")
    expect(page.locator("[data-fragment=progress] [data-count=verified]")).to_have_text("2")
    # valid now: the reason and the field's marks go without a reload
    expect(reason).to_have_count(0)
    expect(typed).not_to_have_attribute("aria-invalid", "true")
    expect(typed).not_to_have_class(re.compile(r"\bis-invalid\b"))
    expect(typed).not_to_have_attribute("aria-describedby", re.compile(r"err-pranata-humas"))
    expect(page.locator("#ind-pranata-humas")).not_to_have_class(re.compile(r"\bborder-danger\b"))
    _, values, comments, _ = stored(live)
    assert values["pranata-humas"] == {"v": 2} and values["jumlah-personel"] == {"v": 3}
    assert comments["pelatihan-kehumasan"] == "Sertifikat dicek."
    page.reload()
    expect(page.locator("input[name='verified-jumlah-personel']")).to_have_value("3")
    expect(page.locator("[data-fragment=progress] [data-count=verified]")).to_have_text("2")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "after-reload-390")


def test_questionnaire_marks_and_counts_follow_an_autosave(live_server, page, shot):
    live = live_server
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live)
    page.goto(f"{live.url}/kuesioner/{live.slug}/kelembagaan")
    sk = "[data-fragment='mark-sk-bakohumas'] [data-mark]"
    expect(page.locator(sk)).to_have_attribute("data-mark", "unanswered")
    expect(page.locator("[data-fragment=progress] [data-count=answered]")).to_have_text("0")
    page.locator("label[for='answer-sk-bakohumas-0']").click()          # "Ya"
    expect(page.locator("form#answers [data-autosave-status]")).to_have_text(SAVED_AT,
                                                                             timeout=20_000)
    # "Ya" earns points, so its required evidence is now what is missing
    expect(page.locator(sk)).to_have_attribute("data-mark", "evidence")
    expect(page.locator("[data-fragment=progress] [data-count=answered]")).to_have_text("1")
    expect(page.locator("[data-fragment=nav] a[aria-current=page] + .aspect-meta")).to_contain_text("1/3")
    shot(page, "questionnaire-autosaved")


def seed_sampled(live) -> str:
    """A period of the 2026 edition (indicators with ``sample``) with penilai1 assigned to
    KPU Kota Semarang; the slug."""
    slug = "bakohumas-2026-uji"
    now = datetime.now(timezone.utc)
    with live.db() as session:
        open_period(session, slug=slug, title="Penilaian 2026 (uji)", rubric_id="bakohumas-2026",
                    opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7),
                    levels=["provinsi", "kabkota"])
        period = session.query(Period).filter_by(slug=slug).one()
        judge = session.query(User).filter_by(username="penilai1").one()
        session.add(Submission(period_id=period.id, unit_code=UNIT, status="submitted",
                               answers={}, pending={}))
        session.add(JudgeAssignment(period_id=period.id, unit_code=UNIT, judge_id=judge.id))
        session.commit()
    return slug


def test_sampled_dates_are_shown_ticked_and_recorded(live_server, page, shot):
    live = live_server
    seed_judging(live)
    slug = seed_sampled(live)
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live)
    page.goto(f"{live.url}/penilai/{slug}/{UNIT}/publikasi")
    boxes = page.locator("input[name='checked-publikasi-tepat-waktu']")
    expect(boxes).to_have_count(10)
    with live.db() as session:
        row = session.query(JudgeAssignment).join(Period).filter(Period.slug == slug).one()
        aspect = rubric_for(row.period).aspect("publikasi")
        drawn = ops.sampled_for(row, aspect)["publikasi-tepat-waktu"]
    assert [boxes.nth(i).get_attribute("value") for i in range(10)] == drawn
    page.locator("[data-sampled='publikasi-tepat-waktu']").scroll_into_view_if_needed()
    page.locator(f"label[for='{boxes.nth(0).get_attribute('id')}']").click()
    page.locator(f"label[for='{boxes.nth(4).get_attribute('id')}']").click()
    page.locator("input[name='verified-publikasi-tepat-waktu']").fill("7")
    expect(page.locator(STATUS)).to_have_text(SAVED_AT, timeout=20_000)
    shot(page, "sampled-dates")
    with live.db() as session:
        saved = session.query(Verification).filter_by(indicator_id="publikasi-tepat-waktu").one()
        assert saved.value == {"v": 7}
        assert saved.checked == {"dates": [drawn[0], drawn[4]]}


def saved_in_another_window(live, values: dict, comments: dict | None = None) -> None:
    """penilai1's other window (the operation itself) saves from the current version."""
    with live.db() as session:
        row = session.query(JudgeAssignment).join(Period).filter(
            Period.slug == live.slug, JudgeAssignment.unit_code == UNIT).one()
        judge = session.query(User).filter_by(username="penilai1").one()
        ops.save_verifications(session, row, values, {}, comments or {}, judge,
                               version=row.version)
        session.commit()


def test_the_judge_conflict_view_at_desktop_and_phone_widths(live_server, conflict_page, shot):
    live, page = live_server, conflict_page
    seed_judging(live)
    login(page, live)
    page.goto(sdm_url(live))
    page.locator("form#verify").evaluate("form => form.removeAttribute('data-autosave-url')")
    saved_in_another_window(live, {"jumlah-personel": 3}, {"jumlah-personel": "Tiga nama di SK."})
    page.locator("input[name='verified-jumlah-personel']").fill("5")
    page.locator("textarea[name='comment-jumlah-personel']").fill("Lima nama di daftar hadir.")
    page.locator("input[name='verified-pranata-humas']").fill("1")
    page.locator(SAVE).click()
    conflict = page.locator("[data-conflict='jumlah-personel']")
    expect(conflict).to_be_visible()
    expect(conflict.locator(".conflict-theirs[data-field=value]")).to_contain_text("3")
    expect(conflict.locator(".conflict-yours[data-field=comment]")).to_contain_text("Lima nama")
    expect(page.locator("input[name='verified-jumlah-personel']")).to_have_value("5")
    shot(page, "conflict-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "conflict-390")
    _, values, _, _ = stored(live)
    assert values == {"jumlah-personel": {"v": 3}}          # nothing of the refused save
    # keep theirs for 2.1; the rest of the page (2.2) is saved
    conflict.locator("input[value=theirs]").check()
    page.locator(SAVE).click()
    expect(page.locator("[data-conflict]")).to_have_count(0)
    _, values, comments, _ = stored(live)
    assert values == {"jumlah-personel": {"v": 3}, "pranata-humas": {"v": 1}}
    assert comments["jumlah-personel"] == "Tiga nama di SK."
