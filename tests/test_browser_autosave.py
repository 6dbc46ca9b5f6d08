"""Issue 13 in a real browser (Debian's chromium through Playwright, CSRF on): the
questionnaire page autosaves what is typed a few seconds after typing stops, and nothing is
lost when the login has ended before a save; the conflict view at desktop and phone widths.

Elements are found by name, id, form action and data-* attributes only. Screenshots:
test-artifacts/browser/<test>/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessment.models import Period, User
from assessment.operations.answers import save_answers
from assessment.operations.questionnaire import get_or_create_submission, get_submission
from tests.browser_support import (_opened, browser, live_server, login, page, phone_page,  # noqa: F401
                                   prepared_database, shot)

pytestmark = pytest.mark.slow

SAVE = "form#answers button[name=save]:not([aria-hidden=true])"
STATUS = "form#answers [data-autosave-status]"


def aspect_url(live, aspect_id: str) -> str:
    return f"{live.url}/kuesioner/{live.slug}/{aspect_id}"


def answers_now(live) -> dict:
    with live.db() as session:
        period = session.query(Period).filter_by(slug=live.slug).one()
        sub = get_submission(session, period, live.unit)
        return dict(sub.answers or {}) if sub else {}


def saved_elsewhere(live, answers: dict) -> None:
    """A colleague of the unit saves ``answers`` (from the questionnaire's current version)."""
    with live.db() as session:
        period = session.query(Period).filter_by(slug=live.slug).one()
        user = session.query(User).filter_by(username=live.username).one()
        sub = get_or_create_submission(session, period, live.unit, user)
        save_answers(session, sub, answers, {}, sub.version, user)
        session.commit()


def test_autosave_keeps_what_is_typed_without_pressing_save(live_server, page, shot):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server)
    page.goto(aspect_url(live_server, "sdm"))
    page.locator("input[name='answer-jumlah-personel']").fill("4")
    page.locator("input[name='answer-pranata-humas']").fill("2,5")   # a head count: kept, invalid
    # "Tersimpan otomatis 12.35" a few seconds after typing stops
    expect(page.locator(STATUS)).to_have_text(re.compile(r"\d{2}\.\d{2}"), timeout=20_000)
    expect(page.locator("form#answers [data-version]")).to_have_text("2")
    shot(page, "autosaved-1366")
    assert answers_now(live_server) == {"jumlah-personel": 4}
    page.reload()
    expect(page.locator("input[name='answer-jumlah-personel']")).to_have_value("4")
    expect(page.locator("input[name='answer-pranata-humas']")).to_have_value("2,5")
    expect(page.locator("#err-pranata-humas")).to_contain_text("2,5")
    # another answer saved elsewhere meanwhile reaches the page with the next autosave
    saved_elsewhere(live_server, {"pelatihan-kehumasan": 3})
    page.locator("input[name='answer-jumlah-personel']").fill("5")
    expect(page.locator("input[name='answer-pelatihan-kehumasan']")).to_have_value(
        "3", timeout=20_000)
    assert answers_now(live_server)["jumlah-personel"] == 5
    assert answers_now(live_server)["pelatihan-kehumasan"] == 3
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "autosaved-390")


def test_a_save_after_the_login_ended_loses_nothing(live_server, page, shot):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server)
    page.goto(aspect_url(live_server, "kelembagaan"))
    page.locator("form#answers").evaluate(
        "form => form.removeAttribute('data-autosave-url')")   # this test is about the button
    page.locator("label[for='answer-sk-bakohumas-0']").click()
    page.context.clear_cookies()                               # the session ends
    page.locator(SAVE).click()
    expect(page.locator("form[action$='/kelembagaan'] button[name=save]")).to_be_visible()
    shot(page, "session-ended-1366")
    assert answers_now(live_server) == {}
    # logging in again in another tab of the same browser, then "Simpan lagi" in this one
    other = page.context.new_page()
    login(other, live_server)
    other.close()
    page.locator("form[action$='/kelembagaan'] button[name=save]").click()
    expect(page.locator("input[name='answer-sk-bakohumas'][value='ya']")).to_be_checked()
    assert answers_now(live_server) == {"sk-bakohumas": True}


@pytest.fixture
def conflict_page(browser):
    """A page whose only expected console error is the 409 of the refused save (the
    conflict view is answered with its status, which chromium reports)."""
    with _opened(browser, expected=lambda msg: "409" in msg.text,
                 viewport={"width": 1366, "height": 900}) as opened:
        yield opened


def test_the_conflict_view_at_desktop_and_phone_widths(live_server, conflict_page, shot):
    page = conflict_page
    login(page, live_server)
    page.goto(aspect_url(live_server, "kelembagaan"))
    page.locator("form#answers").evaluate("form => form.removeAttribute('data-autosave-url')")
    saved_elsewhere(live_server, {"struktur-tim": 3})
    page.locator("input[name='answer-struktur-tim'][value='1']").check()
    page.locator(SAVE).click()
    expect(page.locator("[data-conflict='struktur-tim']")).to_be_visible()
    shot(page, "conflict-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "conflict-390")
    assert answers_now(live_server) == {"struktur-tim": 3}
