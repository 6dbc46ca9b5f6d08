"""The admin's season checklist (Tahapan musim) by keyboard alone, and its pages checked by
axe-core and the Nu HTML Checker (issue 17): from the checklist, Tab to the waiver page for
units not completely verified, Tab to a unit's reason, type it, submit with Enter, and the
page shows the unit excluded with that reason. The checklist, both waiver pages, a refused
waiver (no reason) and the stages index have no axe violation and no HTML error.

Uses the accessibility tests' demo (tests/test_accessibility.py); needs ``npm ci`` and Java
like them."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessment.models import Period, UnitExclusion
from tests.a11y_support import require_axe, require_vnu
from tests.browser_support import browser, shot  # noqa: F401
from tests.test_accessibility import (CURRENT, Checker, demo, demo_database,  # noqa: F401
                                      keyboard_login, login, opened)

pytestmark = pytest.mark.slow

FOCUSED = """() => { const e = document.activeElement;
  const target = e.form ? e.form.querySelector('input[name=target]') : null;
  return {tag: e.tagName, name: e.name || '', href: e.getAttribute('href') || '',
          target: target ? target.value : ''}; }"""
REASON = "Penilai tidak dapat dihubungi sampai batas verifikasi"


def tab_to(page, wanted, limit: int = 300) -> dict:
    """Press Tab until ``wanted(focused element)`` holds; the element's description."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if wanted(focused):
            return focused
    pytest.fail("Tab never reached the element")


def test_checklist_waiver_by_keyboard_alone(demo, browser, shot):
    app, url, accounts = demo
    checker = Checker(require_axe())
    require_vnu()
    checklist = f"/admin/periode/{CURRENT}/tahapan/"
    with opened(browser) as page:
        keyboard_login(page, url, accounts["admin"])
        response = page.goto(url + checklist)
        checker.check(page, "checklist", response.text())
        tab_to(page, lambda e: e["tag"] == "A" and e["href"].endswith("/tahapan/pengecualian"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/tahapan/pengecualian")
        checker.check(page, "exclusions", page.content())
        code = tab_to(page, lambda e: e["tag"] == "INPUT" and e["name"] == "reason")["target"]
        assert code, "the focused reason field belongs to a unit's form"
        page.keyboard.type(REASON)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator(".alert-success")).to_be_visible()
        excluded = page.locator("[data-testid=excluded]", has_text=REASON)
        expect(excluded).to_have_count(1)
        expect(excluded).to_contain_text(f"({code})")
        shot(page, "unit-excluded-by-keyboard")
        checker.check(page, "exclusions after the waiver", page.content())
    with app.app_context():
        from assessment.extensions import db
        period = db.session.query(Period).filter_by(slug=CURRENT).one()
        row = db.session.query(UnitExclusion).filter_by(period_id=period.id, unit_code=code).one()
        assert row.reason == REASON
        db.session.remove()
    checker.assert_clean()


def test_season_stage_pages_axe_and_html(demo, browser, shot):
    """The stages index, the checklist, both waiver pages and a waiver refused without a
    reason (422, the message shown)."""
    app, url, accounts = demo
    checker = Checker(require_axe())
    require_vnu()
    with opened(browser) as page:
        login(page, url, accounts["admin"])
        for name, path in [("stages index", "/admin/periode/tahapan/"),
                           ("checklist", f"/admin/periode/{CURRENT}/tahapan/"),
                           ("exclusions", f"/admin/periode/{CURRENT}/tahapan/pengecualian"),
                           ("acceptances", f"/admin/periode/{CURRENT}/tahapan/perbedaan")]:
            response = page.goto(url + path)
            assert response.status == 200, (path, response.status)
            checker.check(page, name, response.text())
            shot(page, name.replace(" ", "-"))
        page.goto(f"{url}/admin/periode/{CURRENT}/tahapan/pengecualian")
        form = page.locator("form:has(input[name=reason])").first
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            form.locator("button[type=submit]").click()
        assert posted.value.status == 422, posted.value.status
        page.wait_for_load_state()
        expect(page.locator(".alert-danger")).to_be_visible()
        checker.check(page, "refused waiver", posted.value.text())
    checker.assert_clean()
