"""Disagreement flags and moderated values: flagged above the threshold and not at it, the
moderated value counts in the export and in the score, admin only, audited."""
from __future__ import annotations

import json
import re

import pytest

from assessment.models import AuditLog, JudgeAssignment, Moderation, Submission, Verification
from assessment.operations import Conflict, Invalid
from assessment.operations.judging import wrap
from assessment.operations.moderation import disagreements, moderate
from assessment.operations.runs import create_run, export_exchange
from assessment.rubric_store import rubric_for
from scoring import assessment_from_dict, score
from tests.browser_support import browser, live_server, prepared_database, shot  # noqa: F401
from tests.conftest import SLUG, english


def add_submission(session, period, unit_code, answers, status="submitted"):
    sub = Submission(period_id=period.id, unit_code=unit_code, status=status, answers=answers,
                     pending={})
    session.add(sub)
    session.flush()
    return sub


def verify(session, period, unit_code, judge, values, **times):
    """An assignment of ``judge`` to the unit with the given verified values."""
    assignment = JudgeAssignment(period_id=period.id, unit_code=unit_code, judge_id=judge.id, **times)
    session.add(assignment)
    session.flush()
    for indicator_id, value in values.items():
        session.add(Verification(assignment_id=assignment.id, indicator_id=indicator_id,
                                 value=wrap(value)))
    session.flush()
    return assignment


@pytest.fixture
def judged(session, make_user, make_period):
    """Unit 33 claims yes and the top level; judge A agrees on the first and gives level 2,
    judge B says no and level 2 as well; unit 11 has one judge only."""
    period = make_period(slug=SLUG)
    admin = make_user(username="kepala-biro", role="admin", unit_code=None, name="Kepala Biro")
    a = make_user(username="penilai1", role="judge", unit_code=None, name="Rina Penilai")
    b = make_user(username="penilai2", role="judge", unit_code=None, name="Budi Penilai")
    add_submission(session, period, "33", {"sk-bakohumas": True, "struktur-tim": 4})
    add_submission(session, period, "11", {"sk-bakohumas": True, "struktur-tim": 2})
    verify(session, period, "33", a, {"sk-bakohumas": True, "struktur-tim": 2})
    verify(session, period, "33", b, {"sk-bakohumas": False, "struktur-tim": 2})
    verify(session, period, "11", a, {"sk-bakohumas": False, "struktur-tim": 0})
    session.commit()
    return period, admin, a, b


def test_flagged_above_the_threshold_and_not_at_or_below(session, judged):
    period, admin, a, b = judged
    flags = disagreements(session, period)
    assert [(f.unit_code, f.indicator_id) for f in flags] == [("33", "sk-bakohumas")]
    [flag] = flags
    assert flag.spread == 1 and flag.self_value is True and not flag.resolved
    assert [(key, value) for key, value, _f in flag.judges] == [(f"J{a.id}", True), (f"J{b.id}", False)]

    # levels 0 and 2 of 5 are 1/2 apart: exactly the default threshold, so no flag ...
    first = session.query(Verification).filter_by(indicator_id="struktur-tim").order_by(Verification.id).first()
    first.value = wrap(0)
    session.commit()
    assert [f.indicator_id for f in disagreements(session, period)] == ["sk-bakohumas"]
    # ... until the period's threshold is lowered
    period.settings = {"disagreement_threshold": 0.25}
    session.commit()
    assert [f.indicator_id for f in disagreements(session, period)] == ["sk-bakohumas", "struktur-tim"]


def test_an_ended_judge_and_a_returned_unit_are_not_flagged(session, judged):
    period, admin, a, b = judged
    session.query(Submission).filter_by(unit_code="33").one().status = "returned"
    session.commit()
    assert disagreements(session, period) == []
    session.query(Submission).filter_by(unit_code="33").one().status = "submitted"
    session.query(JudgeAssignment).filter_by(judge_id=b.id).one().active = False
    session.commit()
    assert disagreements(session, period) == []


def test_the_moderated_value_counts_in_the_export_and_the_score(session, judged):
    period, admin, a, b = judged
    rubric = rubric_for(period)
    before = score(rubric, assessment_from_dict(export_exchange(session, period)), detail=True)
    row = next(r for r in before.ranking if r.unit.code == "33")
    assert row.indicators["sk-bakohumas"].verified == pytest.approx(0.5)

    mod = moderate(session, period, "33", "sk-bakohumas", "Ya", "SK terbukti ada di lampiran.", admin)
    session.commit()
    exchange = export_exchange(session, period)
    response = next(r for r in exchange["responses"] if r["unit"] == "33")
    assert response["moderated"] == {"sk-bakohumas": True}
    after = score(rubric, assessment_from_dict(exchange), detail=True)
    row = next(r for r in after.ranking if r.unit.code == "33")
    assert row.indicators["sk-bakohumas"].moderated == 1 and row.indicators["sk-bakohumas"].verified == 1
    assert [f.resolved for f in disagreements(session, period)] == [True]
    entry = session.query(AuditLog).filter_by(action="moderation.record").one()
    assert entry.detail["value"] is True and entry.detail["previous"] is None
    assert entry.unit_code == "33" and entry.object_id == str(mod.id)

    # a later moderation replaces it; the history keeps both; a run freezes what counts
    moderate(session, period, "33", "sk-bakohumas", "tidak", "SK belum ditandatangani.", admin)
    run = create_run(session, period, "provisional", admin)
    session.commit()
    assert session.query(Moderation).count() == 2
    frozen = next(r for r in json.loads(run.exchange)["responses"] if r["unit"] == "33")
    assert frozen["moderated"] == {"sk-bakohumas": False}


@pytest.mark.parametrize("raw, reason, error", [
    ("mungkin", "alasan", "neither Ya nor Tidak"), ("", "alasan", "moderated value"), ("Ya", "  ", "reason")])
def test_moderation_is_parsed_like_an_answer_and_needs_a_reason(app, session, judged, raw, reason, error):
    period, admin, a, b = judged
    from flask_babel import force_locale
    with force_locale("en"), pytest.raises(Invalid) as refused:
        moderate(session, period, "33", "sk-bakohumas", raw, reason, admin)
    assert error in refused.value.message


def test_only_submitted_questionnaires_are_moderated(session, judged):
    period, admin, a, b = judged
    session.query(Submission).filter_by(unit_code="33").one().status = "returned"
    session.commit()
    with pytest.raises(Conflict):
        moderate(session, period, "33", "sk-bakohumas", "ya", "alasan", admin)
    with pytest.raises(Invalid):
        moderate(session, period, "11", "kendala-dukungan", "teks", "alasan", admin)   # not scored


def test_flags_page_for_the_admin_with_a_form_that_counts(client, auth, session, judged):
    period, admin, a, b = judged
    auth.login("kepala-biro")
    english(client)
    page = client.get(f"/admin/moderation/{SLUG}/perbedaan").get_data(as_text=True)
    assert page.count('data-testid="flag"') == 1 and "Rina Penilai" in page and "Budi Penilai" in page
    url = f"/admin/moderation/{SLUG}/perbedaan/33/sk-bakohumas"
    bad = client.post(url, data={"value": "ya", "reason": ""})
    assert bad.status_code == 422 and session.query(Moderation).count() == 0
    done = client.post(url, data={"value": "ya", "reason": "Lampiran SK lengkap."})
    assert done.status_code == 302
    assert session.query(Moderation).one().value == {"v": True}
    page = client.get(f"/admin/moderation/{SLUG}/perbedaan").get_data(as_text=True)
    assert 'data-testid="flag"' not in page and "Every disagreement has been moderated or accepted." in page
    page = client.get(f"/admin/moderation/{SLUG}/perbedaan?show=all").get_data(as_text=True)
    assert "Moderated" in page and "Lampiran SK lengkap." in page
    assert client.get(f"/admin/moderation/{SLUG}/").status_code == 200
    assert client.get("/admin/moderation/").status_code == 200


def test_a_choice_moderation_through_the_form(client, auth, session, judged):
    period, admin, a, b = judged
    rubric = rubric_for(period)
    options = list(rubric.indicator("sarana-kehumasan").options)
    auth.login("kepala-biro")
    url = f"/admin/moderation/{SLUG}/perbedaan/33/sarana-kehumasan"
    assert client.post(url, data={"options": options[:2], "reason": "dua"}).status_code == 302
    assert client.post(url, data={"reason": "tidak ada"}).status_code == 302
    values = [m.value["v"] for m in session.query(Moderation).order_by(Moderation.id)]
    assert values == [options[:2], []]


@pytest.mark.parametrize("path", ["/", "/{slug}/", "/{slug}/perbedaan", "/{slug}/selisih",
                                  "/{slug}/selisih.xlsx", "/{slug}/penilai"])
def test_admin_only(client, auth, make_user, judged, path):
    make_user(username="op-33", unit_code="33")
    url = "/admin/moderation" + path.format(slug=SLUG)
    for username in ("penilai1", "op-33"):
        auth.login(username)
        assert client.get(url).status_code == 403, (username, url)
        auth.logout()
    assert client.get(url).status_code in (302, 401)
    post = client.post(f"/admin/moderation/{SLUG}/perbedaan/33/sk-bakohumas",
                       data={"value": "ya", "reason": "x"})
    assert post.status_code in (302, 401)
    auth.login("penilai1")
    assert client.post(f"/admin/moderation/{SLUG}/perbedaan/33/sk-bakohumas",
                       data={"value": "ya", "reason": "x"}).status_code == 403


# ---- in a browser: the admin's pages and the unit's banner, desktop and phone ------------------

def _seed_season(session, slug):
    """Twelve submitted units with two judges each (values near or below the claims), one
    moderation, and unit 33 returned for revision."""
    import random
    from datetime import datetime, timedelta, timezone

    from assessment.models import Period, User, WorkUnit
    from assessment.operations.revision import return_for_revision
    from tests.browser_support import PASSWORD
    rnd = random.Random(7)
    period = session.query(Period).filter_by(slug=slug).one()
    rubric = rubric_for(period)
    now = datetime.now(timezone.utc)
    users = {}
    for n, name in enumerate(["Rina Kartika", "Budi Santoso", "Sari Wulandari", "Agus Pratama"], 1):
        users[n] = User(username=f"penilai{n}", name=name, role="judge")
        users[n].set_password(PASSWORD)
        session.add(users[n])
    admin = User(username="kepala-biro", name="Kepala Biro Parmas", role="admin")
    admin.set_password(PASSWORD)
    session.add(admin)
    session.flush()
    units = session.query(WorkUnit).filter(WorkUnit.code.in_(
        ["33", "11", "12", "13", "31", "32", "33.74", "33.01", "35", "35.78", "51", "73"])).all()

    def value(ind, level):
        if ind.type == "yesno":
            return level > 0.4
        if ind.type == "scale":
            return min(len(ind.levels) - 1, int(level * len(ind.levels)))
        if ind.type == "number":
            return int(level * 60)
        return list(ind.options[: int(level * len(ind.options))])
    for u_index, unit in enumerate(units):
        claims = {ind.id: value(ind, rnd.uniform(0.4, 1)) for ind in rubric.indicators if ind.scored}
        add_submission(session, period, unit.code, claims)
        for k in (0, 1):
            judge = users[(u_index + k) % 4 + 1]
            strict = 0.35 if judge.id == users[2].id else 0.1
            values = {ind.id: value(ind, max(0, rnd.uniform(0.3, 1) - strict))
                      for ind in rubric.indicators if ind.scored}
            start = now - timedelta(days=3, hours=rnd.randint(0, 30))
            verify(session, period, unit.code, judge, values, started_at=start,
                   completed_at=start + timedelta(hours=rnd.randint(2, 40)))
    session.flush()
    for row in session.query(Verification).order_by(Verification.id).limit(60):   # notes to show
        row.comment = "Lampiran tidak memuat tanggal terbit; dihitung dari arsip situs satuan kerja."
    flag = disagreements(session, period)[0]
    moderate(session, period, flag.unit_code, flag.indicator_id,
             {"yesno": "ya", "scale": "2", "number": "10", "choice": "-"}[rubric.indicator(flag.indicator_id).type],
             "Bukti pada lampiran kedua mendukung nilai ini.", admin)
    sub = session.query(Submission).filter_by(unit_code="33").one()
    return_for_revision(session, sub, {
        "sk-bakohumas": "SK tim Bakohumas yang dilampirkan belum ditandatangani kepala satuan kerja.",
        "jumlah-personel": "Jumlah personel tidak sesuai dengan SK; lampirkan daftar nama."},
        now + timedelta(days=5), admin)
    session.commit()


WIDEST = """[...document.querySelectorAll('main *')].filter(e => {
  if (e.getBoundingClientRect().right <= document.documentElement.clientWidth + 1) return false;
  for (let p = e.parentElement; p && p !== document.body; p = p.parentElement)
    if (getComputedStyle(p).overflowX !== 'visible') return false;
  return true; }).slice(0, 5).map(e => e.tagName + '.' + e.className)"""


@pytest.mark.slow
def test_browser_moderation_pages(live_server, browser, shot):
    from tests.browser_support import _opened, login
    with live_server.db() as session:
        _seed_season(session, live_server.slug)
    too_wide = []
    pages = [("flags", "perbedaan"), ("gaps", "selisih"), ("gaps-indicator", "selisih?by=indicator"),
             ("quality", "penilai"), ("hub", "")]
    for size, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
        with _opened(browser, viewport=viewport) as page:
            live_server.username = "kepala-biro"
            login(page, live_server)
            for name, path in pages:
                page.goto(f"{live_server.url}/admin/moderation/{live_server.slug}/{path}")
                assert page.locator("h1").count() == 1
                shot(page, f"{size}-{name}")
                # the page's own content fits (the admin's long menu is base.html's matter)
                if page.evaluate(WIDEST):
                    too_wide.append((size, name, page.evaluate(WIDEST)))
            page.goto(f"{live_server.url}/admin/moderation/{live_server.slug}/unit/33/versi")
            shot(page, f"{size}-versions")
        with _opened(browser, viewport=viewport) as page:
            live_server.username = "op-33"
            login(page, live_server)
            page.goto(f"{live_server.url}/kuesioner/{live_server.slug}")
            assert page.get_by_test_id("revision-banner").is_visible()
            shot(page, f"{size}-unit-banner")
    assert not too_wide



def test_a_lead_judge_moderates_but_never_a_conflicted_unit(client, auth, session, make_user, judged):
    """The admin names lead judges in the settings; a lead judge sees the flags and records
    moderated values, except for units they have a conflict with; other judges get 403."""
    from assessment.models import WorkUnit
    from assessment.operations.assign import judging_settings, update_settings
    from assessment.permissions import can_moderate
    period = judged[0]
    lead = make_user(username="penilai-utama", role="judge", unit_code="33.74")   # Jawa Tengah
    update_settings(session, period, judged[1], **{**judging_settings(period), "lead_judges": [lead.id]})
    verify(session, period, "11", judged[3], {"sk-bakohumas": True, "struktur-tim": 0})  # a flag on 11
    session.commit()
    assert can_moderate(lead, period) and not can_moderate(judged[2], period)
    assert not can_moderate(lead, period, session.get(WorkUnit, "33"))
    assert can_moderate(lead, period, session.get(WorkUnit, "11"))
    auth.login("penilai-utama")
    english(client)
    page = client.get(f"/admin/moderation/{SLUG}/perbedaan")
    assert page.status_code == 200 and 'id="flag-33-' not in page.get_data(as_text=True)
    assert client.get(f"/admin/moderation/{SLUG}/").status_code == 403     # the admin's overview
    form = {"value": "ya", "reason": "Bukti SK sah."}
    assert client.post(f"/admin/moderation/{SLUG}/perbedaan/33/sk-bakohumas", data=form).status_code == 403
    # outside a flagged disagreement (both judges gave 0 for struktur-tim on 11): the admin only
    assert client.post(f"/admin/moderation/{SLUG}/perbedaan/11/struktur-tim",
                       data={"value": "2", "reason": "Koreksi."}).status_code in (403, 422)
    assert session.query(Moderation).filter_by(unit_code="11").count() == 0
    assert client.post(f"/admin/moderation/{SLUG}/perbedaan/11/sk-bakohumas", data=form).status_code == 302
    assert session.query(Moderation).filter_by(unit_code="11").one().created_by == lead.id
    with pytest.raises(Invalid):
        update_settings(session, period, judged[1], **{**judging_settings(period), "lead_judges": [999999]})


def test_the_flags_page_shows_each_judges_comment_and_checked_sample_dates(
        client, auth, session, make_user, make_period):
    """A moderator reads why the judges differ: each judge's comment and, for an indicator
    with sampled dates, which of the drawn dates they checked (in the interface's format)."""
    period = make_period(slug="bakohumas-2026-moderasi", rubric_id="bakohumas-2026",
                         levels=["provinsi", "kabkota"])
    make_user(username="kepala-biro", role="admin", unit_code=None)
    a = make_user(username="penilai1", role="judge", unit_code=None, name="Rina Penilai")
    b = make_user(username="penilai2", role="judge", unit_code=None, name="Budi Penilai")
    add_submission(session, period, "33", {"publikasi-tepat-waktu": 9})
    first = verify(session, period, "33", a, {"publikasi-tepat-waktu": 9})
    second = verify(session, period, "33", b, {"publikasi-tepat-waktu": 2})
    rows = {row.assignment_id: row for row in session.query(Verification)}
    rows[first.id].comment = "Sembilan berita terbit di hari yang sama."
    rows[first.id].checked = {"dates": ["2025-03-14", "2025-02-03"]}
    rows[second.id].checked = {"dates": ["2025-02-03"]}
    session.commit()
    assert [f.indicator_id for f in disagreements(session, period)] == ["publikasi-tepat-waktu"]

    auth.login("kepala-biro")
    page = client.get("/admin/moderation/bakohumas-2026-moderasi/perbedaan").get_data(as_text=True)
    notes = re.findall(r'data-testid="judge-note">(.*?)</tr>', page, re.S)
    assert len(notes) == 2    # one per judge, below the judge's value
    assert "Sembilan berita terbit di hari yang sama." in notes[0]
    assert "Tanggal sampel yang diperiksa: 2 dari 10" in notes[0]
    assert notes[0].index("3 Februari 2025") < notes[0].index("14 Maret 2025")   # in date order
    assert "Catatan" not in notes[1] and "Tanggal sampel yang diperiksa: 1 dari 10" in notes[1]
    english(client)
    page = client.get("/admin/moderation/bakohumas-2026-moderasi/perbedaan").get_data(as_text=True)
    assert "Sampled dates checked: 2 of 10" in page and "3 February 2025" in page


def test_a_calendar_day_is_formatted_as_it_is(app):
    """The ``date`` filter takes a day (a sampled date) as well as a moment."""
    from datetime import date as day, datetime, timezone

    from assessment.formatting import date
    with app.test_request_context():
        assert date(day(2025, 8, 21)) == "21 Agustus 2025"
        # 23.30 UTC is the next day in WIB
        assert date(datetime(2025, 8, 20, 23, 30, tzinfo=timezone.utc)) == "21 Agustus 2025"
