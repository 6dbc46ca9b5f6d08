"""Dashboards per role, progress by province, the monitor's restriction and the .xlsx list."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import openpyxl
import pytest
from flask_babel import force_locale

from assessment.formatting import datetime_in_zones
from assessment.models import Notice, Submission, WorkUnit
from assessment.completeness import aspect_completeness
from assessment.progress import province_summary, unit_rows
from assessment.rubric_store import rubric_for
from tests.conftest import english

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def valid_answer(ind):
    return {"yesno": True, "scale": len(ind.levels) - 1, "number": 1,
            "choice": [ind.options[0]] if ind.options else [], "text": "ada"}[ind.type]


def make_sub(session, period, code, status="draft", answers=None):
    sub = Submission(period_id=period.id, unit_code=code, status=status, answers=answers or {})
    if status == "submitted":
        sub.submitted_at = datetime.now(timezone.utc)
    session.add(sub)
    session.commit()
    return sub


def login(client, auth, username):
    auth.login(username)
    english(client)


def listed(html):
    """The unit codes in the progress page's unit list (one page of it), in order."""
    units = html.split('class="table table-sm table-hover align-middle unit-list"', 1)[1]
    units = units.split("</table>", 1)[0]
    return re.findall(r'<span class="small text-muted">([\d.]+)</span></td>', units)


# ---- operator dashboard ------------------------------------------------------------------

def test_operator_dashboard_shows_status_deadline_in_own_zone_and_completeness(
        app, client, auth, session, make_user, make_period):
    period = make_period()
    period.closes_at = datetime.now(timezone.utc) + timedelta(days=3, hours=4, minutes=30)
    session.commit()
    rubric = rubric_for(period)
    aspect = rubric.aspects[0]
    scored = aspect.scored_indicators
    answers = {scored[0].id: valid_answer(scored[0]), scored[1].id: valid_answer(scored[1])}
    if scored[2].type == "yesno":
        answers[scored[2].id] = "not a boolean"  # invalid values never count as answered
    make_sub(session, period, "94.01", "draft", answers)
    make_user("op-94.01", unit_code="94.01")
    login(client, auth, "op-94.01")

    html = client.get("/dasbor/").get_data(as_text=True)
    assert "KPU Kabupaten Nabire" in html
    assert "3 days 4 hours left" in html
    with app.test_request_context(), force_locale("en"):
        expected = datetime_in_zones(period.closes_at, "WIT")
    assert "WIT)" in expected and expected in html
    assert 'class="badge status-draft"' in html
    assert f"{aspect.title}</span>" in html
    assert f'>2/{len(scored)}<span class="visually-hidden"> answered</span>' in html
    assert f'value="2" max="{len(scored)}"' in html
    total = sum(len(a.scored_indicators) for a in rubric.aspects)
    assert f"2 of {total} scored indicators answered" in html


def test_operator_without_a_submission_sees_not_started_and_start_link(
        client, auth, make_user, make_period):
    make_period()
    make_user("op-33.74", unit_code="33.74")
    login(client, auth, "op-33.74")
    html = client.get("/dasbor/").get_data(as_text=True)
    assert 'class="badge status-not_started"' in html
    assert "0 of " in html
    assert "KPU Kota Semarang" in html


def test_operator_of_a_level_outside_the_period_sees_no_period(client, auth, make_user, make_period):
    make_period(levels=["kabkota"])
    make_user("op-33", unit_code="33")
    login(client, auth, "op-33")
    html = client.get("/dasbor/").get_data(as_text=True)
    assert "No assessment period is open for your unit yet." in html


def test_completeness_counts_only_valid_scored_answers(session, make_period):
    rubric = rubric_for(make_period())
    aspect = rubric.aspects[1]
    first = aspect.scored_indicators[0]
    second = aspect.scored_indicators[1]
    sub = SimpleNamespace(answers={first.id: valid_answer(first), "unknown": 1}, evidence=[],
                          pending={second.id: {"raw": "?", "error": "x"}}, pending_links={},
                          unit=None)
    result = aspect_completeness(rubric, sub)
    assert [r["answered"] for r in result] == [0, 1] + [0] * (len(rubric.aspects) - 2)
    assert result[1]["total"] == len(aspect.scored_indicators)


def test_closed_period_shows_closed(client, auth, make_user, make_period):
    make_period(opens=-10, closes=-1)
    make_user("op-33", unit_code="33")
    login(client, auth, "op-33")
    html = client.get("/dasbor/").get_data(as_text=True)
    assert "<strong>Closed</strong>" in html
    assert "left" not in html


# ---- notices -----------------------------------------------------------------------------

def test_notices_unread_first_and_mark_read(client, auth, session, make_user):
    user = make_user("op-33", unit_code="33")
    other = make_user("op-34", unit_code="34")
    old = datetime.now(timezone.utc) - timedelta(days=2)
    session.add_all([
        Notice(user_id=user.id, kind="x", title="Read one", created_at=old, read_at=old),
        Notice(user_id=user.id, kind="x", title="Unread <b>one</b>", created_at=old),
        Notice(user_id=other.id, kind="x", title="Not yours"),
    ])
    session.commit()
    login(client, auth, "op-33")
    html = client.get("/dasbor/").get_data(as_text=True)
    assert html.index("Unread &lt;b&gt;one&lt;/b&gt;") < html.index("Read one")
    assert "Not yours" not in html
    unread = session.query(Notice).filter_by(title="Unread <b>one</b>").one()
    theirs = session.query(Notice).filter_by(title="Not yours").one()
    assert client.post(f"/dasbor/pemberitahuan/{theirs.id}/dibaca").status_code == 404
    assert client.get(f"/dasbor/pemberitahuan/{unread.id}/dibaca").status_code == 405
    assert client.post(f"/dasbor/pemberitahuan/{unread.id}/dibaca").status_code == 302
    session.expire_all()
    assert session.get(Notice, unread.id).read_at is not None
    assert session.get(Notice, theirs.id).read_at is None


def test_mark_read_needs_csrf(app, client, auth, session, make_user):
    user = make_user("op-33", unit_code="33")
    session.add(Notice(user_id=user.id, kind="x", title="t"))
    session.commit()
    auth.login("op-33")
    app.config["WTF_CSRF_ENABLED"] = True
    notice = session.query(Notice).one()
    assert client.post(f"/dasbor/pemberitahuan/{notice.id}/dibaca").status_code == 400
    session.expire_all()
    assert session.get(Notice, notice.id).read_at is None


def test_notice_links_only_to_local_paths(client, auth, session, make_user):
    user = make_user("op-33", unit_code="33")
    session.add_all([Notice(user_id=user.id, kind="x", title="a", link="javascript:alert(1)"),
                     Notice(user_id=user.id, kind="x", title="b", link="/kuesioner/x/")])
    session.commit()
    login(client, auth, "op-33")
    html = client.get("/dasbor/").get_data(as_text=True)
    assert 'href="javascript:' not in html
    assert 'href="/kuesioner/x/"' in html


# ---- admin, monitor, judge dashboards ----------------------------------------------------

def test_admin_dashboard_counts_and_links_to_progress(client, auth, session, make_user, make_period):
    period = make_period()
    make_sub(session, period, "33", "draft")
    make_sub(session, period, "33.74", "submitted")
    make_user("bureau", role="admin", unit_code=None)
    login(client, auth, "bureau")
    html = client.get("/dasbor/").get_data(as_text=True)
    counts = dict(re.findall(r'status-count status-(\w+)"><span class="status-count-num">(\d+)', html))
    assert counts == {"not_started": "550", "draft": "1", "returned": "0", "submitted": "1"}
    assert f"/pemantauan/{period.slug}/" in html


def test_monitor_dashboard_counts_only_its_province(client, auth, session, make_user, make_period):
    period = make_period()
    make_sub(session, period, "33.74", "submitted")
    make_sub(session, period, "11.71", "submitted")
    make_user("mon-33", role="monitor", unit_code="33")
    login(client, auth, "mon-33")
    html = client.get("/dasbor/").get_data(as_text=True)
    jateng = session.query(WorkUnit).filter((WorkUnit.code == "33") | (WorkUnit.province_code == "33")).count()
    counts = dict(re.findall(r'status-count status-(\w+)"><span class="status-count-num">(\d+)', html))
    assert counts["submitted"] == "1" and counts["not_started"] == str(jateng - 1)


def test_judge_dashboard_says_when_verification_opens(client, auth, make_user, make_period):
    period = make_period()
    make_user("penilai1", role="judge", unit_code=None)
    login(client, auth, "penilai1")
    html = client.get("/dasbor/").get_data(as_text=True)
    assert "Verification opens after the submission deadline" in html
    assert period.title in html


# ---- progress ----------------------------------------------------------------------------

@pytest.fixture
def progress_period(session, make_period):
    period = make_period()
    make_sub(session, period, "33", "draft")
    make_sub(session, period, "33.74", "submitted")
    make_sub(session, period, "33.01", "returned")
    make_sub(session, period, "11.71", "draft")
    make_sub(session, period, "94.01", "submitted")
    return period


def test_progress_counts_by_province_and_nationally(session, progress_period):
    rows = unit_rows(session, progress_period)
    summary, totals = province_summary(rows)
    assert totals == {"not_started": 547, "draft": 2, "returned": 1, "submitted": 2, "total": 552}
    by_code = {s["code"]: s for s in summary}
    assert "00" not in by_code  # KPU RI does not take part in this period
    jateng = session.query(WorkUnit).filter((WorkUnit.code == "33") | (WorkUnit.province_code == "33")).count()
    assert by_code["33"] == {"code": "33", "name": "KPU Provinsi Jawa Tengah", "short_name": "Jawa Tengah",
                             "not_started": jateng - 3,
                             "draft": 1, "returned": 1, "submitted": 1, "total": jateng}
    assert by_code["11"]["name"] == "KIP Aceh" and by_code["11"]["draft"] == 1
    assert by_code["94"]["submitted"] == 1
    assert len(summary) == 38


def test_progress_page_for_admin(client, auth, make_user, progress_period):
    make_user("bureau", role="admin", unit_code=None)
    login(client, auth, "bureau")
    html = client.get(f"/pemantauan/{progress_period.slug}/").get_data(as_text=True)
    totals = dict(re.findall(r'data-total="(\w+)">(\d+)<', html))
    assert totals == {"not_started": "547", "draft": "2", "returned": "1", "submitted": "2"}
    assert "National total" in html
    assert html.count("<tr>") >= 38 + 50                    # provinces + a page of 50 units
    # the list is cut into pages of 50: walking them lists every unit exactly once
    assert "552 units shown · page 1 of 12" in html
    pages = [html] + [client.get(f"/pemantauan/{progress_period.slug}/", query_string={"page": n})
                      .get_data(as_text=True) for n in range(2, 13)]
    codes = [code for page in pages for code in listed(page)]
    assert [len(listed(page)) for page in pages] == [50] * 11 + [2]
    assert len(codes) == len(set(codes)) == 552
    # each unit leads to its questionnaire, read-only for the bureau
    link = f'/kuesioner/{progress_period.slug}/unit/33.74"'
    assert sum(link in page for page in pages) == 1
    assert client.get(link.rstrip('"')).status_code == 200


def test_progress_list_filters(client, auth, make_user, progress_period):
    make_user("bureau", role="admin", unit_code=None)
    login(client, auth, "bureau")
    url = f"/pemantauan/{progress_period.slug}/"
    html = client.get(url, query_string={"status": "submitted"}).get_data(as_text=True)
    assert listed(html) == ["33.74", "94.01"]
    html = client.get(url, query_string={"province": "33", "level": "provinsi"}).get_data(as_text=True)
    assert listed(html) == ["33"]
    html = client.get(url, query_string={"province": "33", "status": "draft"}).get_data(as_text=True)
    assert listed(html) == ["33"]


def test_monitor_sees_only_its_province(client, auth, make_user, progress_period):
    make_user("mon-33", role="monitor", unit_code="33")
    login(client, auth, "mon-33")
    url = f"/pemantauan/{progress_period.slug}/"
    html = client.get(url).get_data(as_text=True)
    codes = listed(html)
    assert codes and all(code == "33" or code.startswith("33.") for code in codes)
    assert "KIP Aceh" not in html
    assert listed(client.get(url, query_string={"q": "aceh"}).get_data(as_text=True)) == []
    assert client.get(url, query_string={"province": "11"}).status_code == 403
    assert client.get(url + "progres.xlsx", query_string={"province": "11"}).status_code == 403
    assert client.get(url, query_string={"province": "33"}).status_code == 200


@pytest.mark.parametrize("role, unit", [("operator", "33"), ("judge", None)])
def test_progress_is_refused_to_operators_and_judges(client, auth, make_user, progress_period, role, unit):
    make_user("someone", role=role, unit_code=unit)
    auth.login("someone")
    assert client.get("/pemantauan/").status_code == 403
    assert client.get(f"/pemantauan/{progress_period.slug}/").status_code == 403
    assert client.get(f"/pemantauan/{progress_period.slug}/progres.xlsx").status_code == 403


def test_progress_needs_login_and_a_known_period(client, auth, make_user, progress_period):
    assert client.get(f"/pemantauan/{progress_period.slug}/").status_code == 302
    make_user("bureau", role="admin", unit_code=None)
    auth.login("bureau")
    assert client.get("/pemantauan/nope/").status_code == 404


def test_xlsx_download_counts_and_literal_text(client, auth, session, make_user, progress_period):
    unit = session.get(WorkUnit, "33.74")
    unit.name = '=HYPERLINK("http://evil.example","Semarang")'
    session.commit()
    make_user("bureau", role="admin", unit_code=None)
    login(client, auth, "bureau")
    response = client.get(f"/pemantauan/{progress_period.slug}/progres.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    units, summary = book.worksheets
    assert units.freeze_panes == "A2" and units.auto_filter.ref == "A1:I553"
    rows = list(units.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 552
    statuses = [r[5] for r in rows]
    assert statuses.count("Submitted") == 2 and statuses.count("Not started") == 547
    semarang = next(c for c in units["B"] if c.value == unit.name)
    assert semarang.data_type == "s"
    code_cell = units.cell(row=semarang.row, column=1)
    assert code_cell.value == "33.74" and code_cell.data_type == "s"
    last = [c.value for c in list(summary.iter_rows())[-1]]
    assert last[1:] == ["Total", 547, 2, 1, 2, 552]
    assert units.column_dimensions["B"].width > 20


def test_monitor_xlsx_holds_only_its_province(client, auth, session, make_user, progress_period):
    make_user("mon-33", role="monitor", unit_code="33")
    auth.login("mon-33")
    response = client.get(f"/pemantauan/{progress_period.slug}/progres.xlsx", query_string={"status": "submitted"})
    units = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [r[0] for r in units.iter_rows(min_row=2, values_only=True)] == ["33.74"]


def test_operator_dashboard_shows_self_score_and_questionnaire_link(
        client, auth, session, make_user, make_period):
    from assessment.operations.questionnaire import self_scores
    period = make_period()
    rubric = rubric_for(period)
    answers = {ind.id: valid_answer(ind) for ind in rubric.aspects[0].scored_indicators}
    sub = make_sub(session, period, "33.74", "draft", answers)
    expected = self_scores(rubric, sub)
    assert expected["total"] > 0
    make_user("op-33.74", unit_code="33.74")
    login(client, auth, "op-33.74")
    html = client.get("/dasbor/").get_data(as_text=True)
    assert f'<strong class="self-score">{expected["total"]:.2f}</strong>' in html
    first = rubric.aspects[0]
    n = len(first.scored_indicators)
    assert re.search(rf'{n}/{n}<span class="visually-hidden"> answered</span> · '
                     rf'<span class="visually-hidden">self-score </span>{expected["aspects"][first.id]:.2f}<', html)
    assert f'href="/kuesioner/{period.slug}"' in html


def test_mark_all_read_touches_only_own_notices(client, auth, session, make_user):
    user = make_user("op-33", unit_code="33")
    other = make_user("op-34", unit_code="34")
    session.add_all([Notice(user_id=user.id, kind="x", title=f"n{i}") for i in range(3)]
                    + [Notice(user_id=other.id, kind="x", title="theirs")])
    session.commit()
    login(client, auth, "op-33")
    response = client.post("/dasbor/pemberitahuan/dibaca-semua", follow_redirects=True)
    assert "3 notices marked as read." in response.get_data(as_text=True)
    session.expire_all()
    assert session.query(Notice).filter(Notice.read_at.is_(None)).one().title == "theirs"
