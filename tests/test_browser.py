"""The questionnaire in a real browser (Debian's chromium through Playwright) against the
real application served on loopback with CSRF on: logging in, filling two aspects through
their pages (yes/no, scales, numbers with a decimal comma, multiple choice, text, a PDF and
links as evidence), reloading and finding everything still there with the self-score that
scoring/ gives, submitting with the head's statement; the keyboard alone; a phone screen.

Elements are found by name, id, form action, href and data-* attributes only, never by their
visible text (the interface is translated). Screenshots: test-artifacts/browser/<test>/."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessment.models import Period, User
from assessment.operations.answers import save_answers
from assessment.operations.questionnaire import get_submission, self_scores
from assessment.operations.submission import missing_items
from assessment.rubric_store import rubric_for
from assessment.scores import self_scores_for
from tests.browser_support import (browser, live_server, login, page, phone_page,  # noqa: F401
                                   prepared_database, shot)

pytestmark = pytest.mark.slow

HEAD_NIP = "19700101 199503 1 001"     # written in groups, as on the card: 18 digits
SUBMIT_FORM = "form[action$='/kirim']"
SAVE = "form#answers button[name=save]:not([aria-hidden=true])"
SAVED_FLASH = "main [aria-live=polite] .alert-success"


def minimal_pdf(text: str = "Surat Keputusan Tim Bakohumas") -> bytes:
    """A small valid one-page PDF (correct cross-reference offsets)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
               b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def indonesian(value: Decimal) -> str:
    """87.5 -> "87,50", written independently of the app's formatter (scores are < 1000)."""
    return f"{value:.2f}".replace(".", ",")


def aspect_url(live, aspect_id: str) -> str:
    return f"{live.url}/kuesioner/{live.slug}/{aspect_id}"


def stored(live):
    """(rubric, submission) as stored now."""
    with live.db() as session:
        period = session.query(Period).filter_by(slug=live.slug).one()
        rubric = rubric_for(period)
        sub = get_submission(session, period, live.unit)
        if sub is not None:
            sub.answers, sub.evidence, sub.unit   # load before the session closes  # noqa: B018
            session.expunge(sub)
        return rubric, sub


# ---- controls by stable attributes --------------------------------------------------------

def answer(page, indicator: str, value: str | None = None):
    selector = f"[name='answer-{indicator}']"
    return page.locator(f"{selector}[value='{value}']" if value is not None else selector)


def pick_yes_no(page, indicator: str, value: str) -> None:
    """Yes/no are button-styled radios: the person clicks the label."""
    radio = answer(page, indicator, value)
    page.locator(f"label[for='{radio.get_attribute('id')}']").click()
    expect(radio).to_be_checked()


def tick(page, indicator: str, options) -> None:
    for option in options:
        answer(page, indicator, option).check()


def add_link(page, indicator: str, url: str) -> None:
    page.locator(f"input[name='link-{indicator}']").fill(url)


def evidence_links(page, indicator: str):
    return page.locator(f"#ind-{indicator} a[href^='/bukti/'][href$='/unduh']")


def expect_saved_scores(page, live, aspect_id: str) -> None:
    """The self-score on the page is what scoring/ gives for the stored answers."""
    rubric, sub = stored(live)
    scores = self_scores(rubric, sub)
    expect(page.locator("[data-saved=aspect]")).to_have_text(indonesian(scores["aspects"][aspect_id]))
    expect(page.locator("[data-saved=total]")).to_have_text(indonesian(scores["total"]))


# ---- the two aspects filled in the browser -------------------------------------------------

def institution_answers(rubric) -> dict:
    options = rubric.indicator("sarana-kehumasan").options
    return {"sk-bakohumas": True, "struktur-tim": 3,
            "sarana-kehumasan": [options[0], options[2], options[4], options[6]]}


def social_media_answers(rubric) -> dict:
    options = rubric.indicator("kanal-aktif").options
    return {"kanal-aktif": [options[0], options[1], options[3]], "unggahan-mingguan": 7,
            "konsistensi-mingguan": 72.5, "tingkat-interaksi": 2.5, "respons-warganet": 2,
            "daftar-akun": "Instagram @kpujateng\nYouTube KPU Provinsi Jawa Tengah"}


TYPED = {"unggahan-mingguan": "7", "konsistensi-mingguan": "72,5", "tingkat-interaksi": "2,5"}


def fill_institution(page, rubric, pdf: bytes) -> None:
    wanted = institution_answers(rubric)
    pick_yes_no(page, "sk-bakohumas", "ya")
    answer(page, "struktur-tim", "3").check()
    tick(page, "sarana-kehumasan", wanted["sarana-kehumasan"])
    page.locator("input[name='file-sk-bakohumas']").set_input_files(
        files=[{"name": "SK Tim Bakohumas 2025.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    add_link(page, "struktur-tim", "https://jateng.kpu.go.id/bakohumas/struktur")
    add_link(page, "sarana-kehumasan", "https://jateng.kpu.go.id/bakohumas/sarana")


def check_institution(page, live, rubric, pdf: bytes) -> None:
    wanted = institution_answers(rubric)
    expect(answer(page, "sk-bakohumas", "ya")).to_be_checked()
    expect(answer(page, "sk-bakohumas", "tidak")).not_to_be_checked()
    expect(answer(page, "struktur-tim", "3")).to_be_checked()
    for option in rubric.indicator("sarana-kehumasan").options:
        box = expect(answer(page, "sarana-kehumasan", option))
        box.to_be_checked() if option in wanted["sarana-kehumasan"] else box.not_to_be_checked()
    files = evidence_links(page, "sk-bakohumas")
    expect(files).to_have_count(1)
    expect(files).to_have_text("SK Tim Bakohumas 2025.pdf")
    download = page.request.get(live.url + files.get_attribute("href"))
    assert download.ok and download.body() == pdf
    assert download.headers["content-disposition"].startswith("attachment")
    for indicator, url in (("struktur-tim", "https://jateng.kpu.go.id/bakohumas/struktur"),
                           ("sarana-kehumasan", "https://jateng.kpu.go.id/bakohumas/sarana")):
        expect(page.locator(f"#ind-{indicator} a[href='{url}']")).to_have_count(1)


def fill_social_media(page, rubric) -> None:
    wanted = social_media_answers(rubric)
    tick(page, "kanal-aktif", wanted["kanal-aktif"])
    for indicator, text in TYPED.items():
        answer(page, indicator).press_sequentially(text)
    answer(page, "respons-warganet", "2").check()
    answer(page, "daftar-akun").fill(wanted["daftar-akun"])
    for indicator in ("kanal-aktif", "unggahan-mingguan", "konsistensi-mingguan",
                      "tingkat-interaksi"):
        add_link(page, indicator, f"https://jateng.kpu.go.id/medsos/{indicator}")


def check_social_media(page, rubric) -> None:
    wanted = social_media_answers(rubric)
    for option in rubric.indicator("kanal-aktif").options:
        box = expect(answer(page, "kanal-aktif", option))
        box.to_be_checked() if option in wanted["kanal-aktif"] else box.not_to_be_checked()
    for indicator, text in TYPED.items():
        expect(answer(page, indicator)).to_have_value(text)
    expect(answer(page, "respons-warganet", "2")).to_be_checked()
    expect(answer(page, "daftar-akun")).to_have_value(wanted["daftar-akun"])
    for indicator in ("kanal-aktif", "unggahan-mingguan", "konsistensi-mingguan",
                      "tingkat-interaksi"):
        url = f"https://jateng.kpu.go.id/medsos/{indicator}"
        expect(page.locator(f"#ind-{indicator} a[href='{url}']")).to_have_count(1)


def check_stored(live, rubric, wanted: dict) -> None:
    _, sub = stored(live)
    for key, value in wanted.items():
        got = sub.answers.get(key)
        # a browser sends text-area line breaks as CR LF; they are stored as LF, as the API's
        assert got == value, (key, got, value)
    assert not (sub.pending or {})
    blocking = {key for key, _ in missing_items(rubric, sub)}
    assert not blocking & set(wanted), blocking & set(wanted)


def save(page) -> None:
    page.locator(SAVE).click()
    expect(page.locator(SAVED_FLASH)).to_be_visible()


# ---- the tests -------------------------------------------------------------------------------

def test_fill_two_aspects_reload_and_submit(live_server, page, shot):
    live = live_server
    rubric, _ = stored(live)
    pdf = minimal_pdf()

    login(page, live)
    shot(page, "dashboard")
    page.locator("a[href='/kuesioner/']").first.click()          # the menu entry
    expect(page).to_have_url(f"{live.url}/kuesioner/{live.slug}")
    shot(page, "overview-empty")

    # aspect 1: yes/no, scale, multiple choice, a PDF and links
    page.locator(f"a[href='/kuesioner/{live.slug}/kelembagaan']").first.click()
    expect(page).to_have_url(aspect_url(live, "kelembagaan"))
    fill_institution(page, rubric, pdf)
    shot(page, "kelembagaan-filled")
    save(page)
    expect(page).to_have_url(aspect_url(live, "kelembagaan"))
    check_stored(live, rubric, institution_answers(rubric))
    page.reload()
    check_institution(page, live, rubric, pdf)
    expect_saved_scores(page, live, "kelembagaan")
    shot(page, "kelembagaan-reloaded")

    # aspect 2: numbers typed with a decimal comma, choices, scale, text; the live estimate
    page.locator(f"aside a[href='/kuesioner/{live.slug}/media-sosial']").click()
    expect(page).to_have_url(aspect_url(live, "media-sosial"))
    fill_social_media(page, rubric)
    _, sub = stored(live)    # the estimate: scoring/ on the saved answers plus those typed
    estimate = self_scores_for(rubric, live.unit, {**sub.answers, **social_media_answers(rubric)})
    expect(page.locator("[data-estimate=aspect]")).to_have_text(
        indonesian(estimate["aspects"]["media-sosial"]))
    expect(page.locator("[data-estimate=total]")).to_have_text(indonesian(estimate["total"]))
    shot(page, "media-sosial-filled")
    save(page)
    check_stored(live, rubric, social_media_answers(rubric))
    page.reload()
    check_social_media(page, rubric)
    expect_saved_scores(page, live, "media-sosial")
    shot(page, "media-sosial-reloaded")
    assert self_scores(rubric, stored(live)[1])["aspects"]["media-sosial"] > 0

    # the first aspect is untouched by the second save
    page.goto(aspect_url(live, "kelembagaan"))
    check_institution(page, live, rubric, pdf)
    expect_saved_scores(page, live, "kelembagaan")

    # the other aspects quickly, through the operation, then submission in the browser
    fill_the_rest(live, rubric)
    page.locator(f"a[href='/kuesioner/{live.slug}']").first.click()
    expect(page).to_have_url(f"{live.url}/kuesioner/{live.slug}")
    expect(page.locator("#missing a[href*='#ind-']")).to_have_count(0)
    rubric, sub = stored(live)
    scores = self_scores(rubric, sub)
    expect(page.locator("[data-saved=total]")).to_have_text(indonesian(scores["total"]))
    for aspect in rubric.aspects:
        expect(page.locator(f"[data-saved='aspect-{aspect.id}']")).to_have_text(
            indonesian(scores["aspects"][aspect.id]))
    page.locator("#head_name").fill("Dr. Handayani Setyaningsih, S.Sos., M.Si.")
    page.locator("#head_position").fill("Ketua KPU Provinsi Jawa Tengah")
    page.locator("#head_nip").fill(HEAD_NIP)
    page.locator("#agreed").check()
    shot(page, "statement-filled")
    page.locator(f"{SUBMIT_FORM} button[type=submit]").click()

    banner = page.locator("[data-testid=submitted-banner]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("197001011995031001")
    expect(banner).to_contain_text("Dr. Handayani Setyaningsih")
    expect(page.locator(SUBMIT_FORM)).to_have_count(0)
    expect(page.locator(".status-submitted")).to_be_visible()
    shot(page, "submitted")
    _, sub = stored(live)
    assert sub.status == "submitted" and sub.head_nip == "197001011995031001"
    assert sub.head_position == "Ketua KPU Provinsi Jawa Tengah"

    # locked: the aspect page shows the answers without controls
    page.goto(aspect_url(live, "kelembagaan"))
    expect(page.locator("[data-testid=submitted-banner]")).to_be_visible()
    expect(page.locator("form#answers")).to_have_count(0)
    expect(page.locator("input[name^='answer-']")).to_have_count(0)
    expect(evidence_links(page, "sk-bakohumas")).to_have_count(1)
    shot(page, "kelembagaan-locked")


def fill_the_rest(live, rubric) -> None:
    """Every scored indicator of the other aspects answered so that it earns nothing (no
    evidence needed), through save_answers like the API does."""
    done = set(institution_answers(rubric)) | set(social_media_answers(rubric))
    rest = {"yesno": False, "scale": 0, "number": 0, "choice": []}
    answers = {ind.id: rest[ind.type] for ind in rubric.indicators
               if ind.scored and ind.id not in done}
    with live.db() as session:
        period = session.query(Period).filter_by(slug=live.slug).one()
        sub = get_submission(session, period, live.unit)
        user = session.query(User).filter_by(username=live.username).one()
        save_answers(session, sub, answers, {}, sub.version, user, strict=True, source="api")
        session.commit()


FOCUS_RING = """(el) => {
  const visible = (node) => { const r = node.getBoundingClientRect(); return r.width > 2 && r.height > 2; };
  const ring = (node) => { const s = getComputedStyle(node);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    return outline || (s.boxShadow && s.boxShadow !== 'none'); };
  if (visible(el)) return ring(el);
  // a visually hidden control (button-styled radio) shows its focus on its label
  const label = el.id && document.querySelector(`label[for="${el.id}"]`);
  return Boolean(label && visible(label) && ring(label));
}"""

DESCRIBE = "(el) => el.tagName + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '')"


def focused(page):
    return page.locator("*:focus")


def expect_focus_ring(page) -> None:
    element = focused(page)
    assert element.evaluate(FOCUS_RING), f"no visible focus indicator on {element.evaluate(DESCRIBE)}"


def test_keyboard_only(live_server, page, shot):
    live = live_server
    page.goto(f"{live.url}/akun/masuk")
    expect(page.locator("#username")).to_be_focused()     # autofocus
    page.keyboard.type(live.username)
    expect_focus_ring(page)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(live.password)
    expect_focus_ring(page)
    page.keyboard.press("Tab")
    expect(page.locator("form:has(#password) button[type=submit]")).to_be_focused()
    expect_focus_ring(page)
    shot(page, "login-button-focused")
    page.keyboard.press("Enter")
    expect(page.locator("form[action='/akun/keluar']")).to_be_attached()

    # the first Tab on a page reaches the skip link, which shows itself and works
    page.goto(aspect_url(live, "kelembagaan"))
    page.keyboard.press("Tab")
    skip = page.locator("body > a[href='#main']")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["width"] > 2 and box["height"] > 2, box
    expect_focus_ring(page)
    shot(page, "skip-link-focused")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("#main")).to_be_focused()

    # from there Tab walks through the page, every stop showing focus, to the first answer;
    # Space chooses it
    target = answer(page, "sk-bakohumas", "ya")
    for _ in range(60):
        page.keyboard.press("Tab")
        expect_focus_ring(page)
        if target.evaluate("(el) => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the first answer of the aspect page")
    page.keyboard.press("Space")
    expect(target).to_be_checked()
    shot(page, "first-answer-by-keyboard")


def test_phone_width_has_no_horizontal_scroll(live_server, phone_page, shot):
    live, page = live_server, phone_page
    login(page, live)
    rubric, _ = stored(live)
    pages = [f"{live.url}/kuesioner/{live.slug}"] + [aspect_url(live, a.id) for a in rubric.aspects]
    wide = {}
    for url in pages:
        page.goto(url)
        expect(page.locator("#main")).to_be_visible()
        widths = page.evaluate("() => [document.documentElement.scrollWidth,"
                               " document.documentElement.clientWidth]")
        assert widths[1] == 390, widths     # laid out at the phone's width, not zoomed out
        if widths[0] > widths[1]:
            wide[url] = widths
        shot(page, url.rsplit("/", 1)[-1])
    assert not wide, f"pages wider than the phone screen (scrollWidth, clientWidth): {wide}"
