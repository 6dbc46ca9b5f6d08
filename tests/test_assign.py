"""Judge assignment (admin): judging settings, automatic and manual assignment, ending an
assignment, a judge's drop-out, the overview, its workbook and the assignments API."""
from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timezone

import pytest
from openapi_schema_validator import OAS31Validator
from openpyxl import load_workbook

from assessment.assignment import Judge, UnitToJudge, assign
from assessment.models import (AuditLog, JudgeAssignment, Period, Submission, User, Verification,
                               WorkUnit)
from assessment.models.types import utcnow
from assessment.api.openapi import document
from assessment.operations import Conflict, Invalid, NotAllowed
from assessment.operations import assign as ops
from assessment.operations.judging import setting, wrap
from assessment.operations.tokens import create_token

from .conftest import english


@pytest.fixture(autouse=True)
def _english_messages(app):
    """Operations called outside a request speak the default language (Indonesian); these
    tests read their messages in English."""
    from flask_babel import force_locale
    with app.app_context(), force_locale("en"):
        yield


JATENG = ["33", "33.01", "33.02", "33.03"]
OTHERS = ["34", "34.01", "35", "35.01"]
MORE = OTHERS + ["36", "36.01", "51", "51.01", "52", "52.01"]


# -- helpers ---------------------------------------------------------------------------------

def submit(session, period, codes, status="submitted"):
    for code in codes:
        session.add(Submission(period_id=period.id, unit_code=code, status=status, answers={},
                               submitted_at=utcnow() if status != "draft" else None))
    session.commit()


def active_pairs(session, period) -> dict[str, set[str]]:
    session.expire_all()
    pairs: dict[str, set[str]] = {}
    for row in session.query(JudgeAssignment).filter_by(period_id=period.id, active=True):
        pairs.setdefault(row.unit_code, set()).add(row.judge.username)
    return pairs


def audit_actions(session, period=None) -> Counter:
    session.expire_all()
    query = session.query(AuditLog)
    if period is not None:
        query = query.filter_by(period_id=period.id)
    return Counter(entry.action for entry in query)


def fresh(session, period) -> Period:
    session.expire_all()
    return session.get(Period, period.id)


@pytest.fixture
def admin(client, auth, make_user):
    user = make_user("bureau", role="admin", unit_code=None)
    auth.login("bureau")
    english(client)
    return user


@pytest.fixture
def period(make_period):
    return make_period()


@pytest.fixture
def judges(make_user):
    """Four judges from KPU RI and one seconded from KPU Provinsi Jawa Tengah (33)."""
    made = {f"pusat{n}": make_user(f"pusat{n}", role="judge", unit_code="00", name=f"Penilai Pusat {n}")
            for n in range(1, 5)}
    made["jateng"] = make_user("jateng", role="judge", unit_code="33", name="Penilai Jateng")
    return made


def settings_form(**change) -> dict:
    form = {"judges_per_unit": "2", "judge_cap": "", "conflict_same_province": "y",
            "disagreement_threshold": "0,5", "min_shared_indicators": "10",
            "verification_closes_at": "", "objection_opens_at": "", "objection_closes_at": ""}
    return {**form, **change}


def base(period) -> str:
    return f"/admin/judging/{period.slug}"


# -- settings --------------------------------------------------------------------------------

def test_settings_are_saved_in_wib_and_audited(client, session, admin, period):
    page = client.get(base(period) + "/pengaturan")
    assert page.status_code == 200 and 'value="0,5"' in page.get_data(as_text=True)
    response = client.post(base(period) + "/pengaturan", data=settings_form(
        judges_per_unit="3", judge_cap="40", conflict_same_province="", disagreement_threshold="0,25",
        min_shared_indicators="12", verification_closes_at="2025-09-30T17:00",
        objection_opens_at="2025-10-01T08:00", objection_closes_at="2025-10-07T16:00"))
    assert response.status_code == 302
    stored = fresh(session, period)
    assert ops.judging_settings(stored) == {
        "judges_per_unit": 3, "judge_cap": 40, "conflict_same_province": False,
        "disagreement_threshold": 0.25, "min_shared_indicators": 12, "lead_judges": [],
        "verification_closes_at": datetime(2025, 9, 30, 10, 0, tzinfo=timezone.utc),
        "objection_opens_at": datetime(2025, 10, 1, 1, 0, tzinfo=timezone.utc),
        "objection_closes_at": datetime(2025, 10, 7, 9, 0, tzinfo=timezone.utc)}
    entry = session.query(AuditLog).filter_by(action="judging.settings").one()
    assert entry.user_id == admin.id and entry.period_id == period.id
    assert entry.detail["changes"]["judges_per_unit"] == [2, 3]
    assert entry.detail["changes"]["objection_opens_at"][1].startswith("2025-10-01T01:00")
    # the form shows what is stored, in WIB
    html = client.get(base(period) + "/pengaturan").get_data(as_text=True)
    assert 'value="2025-10-01T08:00"' in html and 'value="0,25"' in html


@pytest.mark.parametrize("change, field, message", [
    ({"judges_per_unit": "0"}, "judges_per_unit", "Number must be between 1 and 10"),
    ({"judges_per_unit": "dua"}, "judges_per_unit", "Not a valid integer value"),
    ({"judge_cap": "0"}, "judge_cap", "Number must be at least 1"),
    ({"disagreement_threshold": "1,5"}, "disagreement_threshold", "Enter a number from 0 to 1"),
    ({"disagreement_threshold": "separuh"}, "disagreement_threshold", "Enter a number from 0 to 1"),
    ({"disagreement_threshold": "0,125"}, "disagreement_threshold", "Enter a number from 0 to 1"),
    ({"min_shared_indicators": "0"}, "min_shared_indicators", "Number must be at least 1"),
    ({"objection_opens_at": "2025-10-07T08:00", "objection_closes_at": "2025-10-01T08:00"},
     "objection_closes_at", "must close after it opens"),
    ({"verification_closes_at": "2025-10-05T08:00", "objection_opens_at": "2025-10-01T08:00",
      "objection_closes_at": "2025-10-09T08:00"}, "objection_opens_at",
     "cannot open before the verification closes"),
    ({"objection_opens_at": "2025-10-01T08:00"}, "objection_closes_at", "or neither"),
])
def test_bad_settings_are_refused_and_change_nothing(client, session, admin, period, change, field,
                                                      message):
    response = client.post(base(period) + "/pengaturan", data=settings_form(**change))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html and f'id="{field}-err"' in html
    stored = fresh(session, period)
    assert stored.settings == {} and stored.objection_opens_at is None
    assert "judging.settings" not in audit_actions(session)


def test_cap_below_a_current_load_is_refused(session, period, judges, make_user):
    admin = make_user("bureau", role="admin", unit_code=None)
    submit(session, period, OTHERS)
    for code in OTHERS[:3]:
        ops.add_assignment(session, period, session.get(WorkUnit, code), judges["pusat1"], admin)
    with pytest.raises(Invalid) as refused:
        ops.update_settings(session, period, admin, **{**ops.judging_settings(period), "judge_cap": 2})
    assert " 3 " in refused.value.details["judge_cap"]      # "holds 3 units" in either language
    assert setting(period, "judge_cap") is None


# -- automatic assignment --------------------------------------------------------------------

def test_auto_assignment_honours_k_cap_and_conflicts(client, session, admin, period, judges):
    submit(session, period, JATENG + OTHERS)
    submit(session, period, ["36"], status="draft")          # not submitted: no judges
    ops.update_settings(session, period, admin, **{**ops.judging_settings(period), "judge_cap": 4})
    session.commit()
    response = client.post(base(period) + "/otomatis")
    assert response.status_code == 302
    page = client.get(base(period) + "/").get_data(as_text=True)
    assert "16 assignments added for 8 submitted units" in page
    pairs = active_pairs(session, period)
    assert set(pairs) == set(JATENG + OTHERS)
    assert all(len(names) == 2 for names in pairs.values())
    assert all("jateng" not in pairs[code] for code in JATENG)   # same province: never
    loads = Counter(name for names in pairs.values() for name in names)
    assert max(loads.values()) <= 4 and max(loads.values()) - min(loads.values()) <= 1
    assert 'data-load="jateng">' in page
    actions = audit_actions(session, period)
    assert actions["assignment.auto"] == 1 and actions["assignment.add"] == 16


def test_without_the_province_rule_only_the_own_unit_is_excluded(session, admin, period, make_user):
    submit(session, period, JATENG)
    jateng = make_user("jateng", role="judge", unit_code="33")
    make_user("pusat1", role="judge", unit_code="00")
    make_user("pusat2", role="judge", unit_code="00")
    ops.update_settings(session, period, admin, **{**ops.judging_settings(period),
                                                   "conflict_same_province": False})
    ops.auto_assign(session, period, admin)
    pairs = active_pairs(session, period)
    assert pairs["33"] == {"pusat1", "pusat2"}
    # the regencies of Jawa Tengah may now have the judge from the province office
    assert sum("jateng" in pairs[code] for code in JATENG[1:]) >= 2   # loads 3, 3, 2
    assert jateng.id not in {a.judge_id for a in ops.assignments(session, period) if a.unit_code == "33"}


def test_auto_assignment_keeps_existing_assignments(session, admin, period, judges):
    submit(session, period, OTHERS)
    first = ops.add_assignment(session, period, session.get(WorkUnit, "34"), judges["jateng"], admin)
    session.commit()
    result = ops.auto_assign(session, period, admin)
    session.commit()
    assert len(result.added) == 2 * len(OTHERS) - 1
    assert session.get(JudgeAssignment, first.id).active
    assert "jateng" in active_pairs(session, period)["34"]
    # a second run has nothing to add
    assert ops.auto_assign(session, period, admin).added == []


def test_auto_assignment_error_names_the_units_and_changes_nothing(client, session, admin, period,
                                                                   make_user):
    submit(session, period, JATENG + ["34"])
    make_user("jateng", role="judge", unit_code="33")
    make_user("pusat1", role="judge", unit_code="00")
    response = client.post(base(period) + "/otomatis", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "cannot get 2 judges without a conflict of interest" in html
    for name in ("KPU Provinsi Jawa Tengah", "KPU Kabupaten Cilacap", "KPU Kabupaten Banyumas"):
        assert name in html
    assert active_pairs(session, period) == {}
    assert "assignment.auto" not in audit_actions(session, period)


def test_auto_assignment_error_for_a_cap_too_low(session, admin, period, judges):
    submit(session, period, OTHERS)
    ops.update_settings(session, period, admin, **{**ops.judging_settings(period), "judge_cap": 1})
    from flask_babel import force_locale
    with pytest.raises(Invalid) as refused, force_locale("en"):
        ops.auto_assign(session, period, admin)
    assert "The cap of 1 units per judge is too low" in refused.value.message
    assert set(refused.value.details["units"]) <= set(OTHERS)


def test_needs_lowers_the_number_for_single_units():
    units = [UnitToJudge("34"), UnitToJudge("35")]
    judges = [Judge("a"), Judge("b"), Judge("c")]
    result = assign(units, judges, per_unit=2, needs={"35": 1})
    assert len(result["34"]) == 2 and len(result["35"]) == 1


# -- by hand ---------------------------------------------------------------------------------

@pytest.mark.parametrize("who, code, status, message", [
    ("jateng", "33.01", 403, "has a conflict of interest with KPU Kabupaten Cilacap"),
    ("operator", "34", 422, "is not a judge"),
    ("retired", "34", 422, "is deactivated"),
    ("pusat1", "35", 422, "KPU Provinsi Jawa Timur has not submitted its questionnaire"),
    ("pusat2", "34", 409, "is already assigned to KPU Provinsi Daerah Istimewa Yogyakarta"),
    ("pusat3", "34.01", 422, "the cap of this period"),
])
def test_manual_assignment_refusals(client, session, admin, period, judges, make_user, who, code,
                                    status, message):
    submit(session, period, ["33.01", "34", "34.01", "33.02"])
    submit(session, period, ["35"], status="draft")
    make_user("operator", role="operator", unit_code="34")
    make_user("retired", role="judge", unit_code="00", active=False)
    ops.add_assignment(session, period, session.get(WorkUnit, "34"), judges["pusat2"], admin)
    ops.update_settings(session, period, admin, **{**ops.judging_settings(period), "judge_cap": 1})
    ops.add_assignment(session, period, session.get(WorkUnit, "33.02"), judges["pusat3"], admin)
    session.commit()
    before = session.query(JudgeAssignment).count()
    user = session.query(User).filter_by(username=who).one()
    response = client.post(f"{base(period)}/satker/{code}", data={"judge_id": user.id})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert session.query(JudgeAssignment).count() == before
    with pytest.raises({403: NotAllowed, 409: Conflict, 422: Invalid}[status]):
        ops.add_assignment(session, period, session.get(WorkUnit, code), user, admin)


def test_manual_assignment_and_ending_it(client, session, admin, period, judges):
    submit(session, period, ["34"])
    page = client.get(f"{base(period)}/satker/34").get_data(as_text=True)
    assert "Penilai Pusat 1" in page and "Penilai Jateng" in page   # 34 is not in Jawa Tengah
    response = client.post(f"{base(period)}/satker/34", data={"judge_id": judges["pusat1"].id})
    assert response.status_code == 302
    row = session.query(JudgeAssignment).one()
    assert row.active and row.created_by == admin.id
    # ending needs a reason
    client.post(f"{base(period)}/penugasan/{row.id}/akhiri", data={"reason": " "})
    session.expire_all()
    assert session.get(JudgeAssignment, row.id).active
    client.post(f"{base(period)}/penugasan/{row.id}/akhiri", data={"reason": "Sakit"})
    session.expire_all()
    ended = session.get(JudgeAssignment, row.id)
    assert not ended.active and ended.ended_reason == "Sakit" and ended.ended_at is not None
    # the same pair can be made again: the row comes back
    client.post(f"{base(period)}/satker/34", data={"judge_id": judges["pusat1"].id})
    session.expire_all()
    assert session.query(JudgeAssignment).one().active
    entries = session.query(AuditLog).filter(AuditLog.action.like("assignment.%")).order_by(AuditLog.id).all()
    assert [e.action for e in entries] == ["assignment.add", "assignment.end", "assignment.add"]
    assert entries[1].detail["reason"] == "Sakit" and entries[1].unit_code == "34"


def test_assignment_of_another_period_is_not_found(client, session, admin, period, make_period, judges):
    other = make_period(slug="lain-2025")
    submit(session, other, ["34"])
    row = ops.add_assignment(session, other, session.get(WorkUnit, "34"), judges["pusat1"], admin)
    session.commit()
    response = client.post(f"{base(period)}/penugasan/{row.id}/akhiri", data={"reason": "x"})
    assert response.status_code == 404
    assert session.get(JudgeAssignment, row.id).active


# -- drop-out --------------------------------------------------------------------------------

def test_drop_out_keeps_completed_units_and_the_values(client, session, admin, period, judges):
    submit(session, period, MORE)   # 20 assignments, 4 per judge
    result = ops.auto_assign(session, period, admin)
    session.commit()
    leaving = judges["pusat1"]
    own = [a for a in result.added if a.judge_id == leaving.id]
    assert len(own) >= 2
    done, started = own[0], own[1]
    done.completed_at = utcnow()
    session.add_all([Verification(assignment_id=done.id, indicator_id="sk-bakohumas", value=wrap(True)),
                     Verification(assignment_id=started.id, indicator_id="sk-bakohumas", value=wrap(False))])
    session.commit()
    response = client.post(f"{base(period)}/penilai/{leaving.id}", data={"reason": "Tugas luar negeri"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(JudgeAssignment, done.id).active
    for row in own[1:]:
        row = session.get(JudgeAssignment, row.id)
        assert not row.active and row.ended_reason == "Tugas luar negeri"
    assert session.query(Verification).count() == 2            # values stay stored
    # the gaps are filled by others; the completed unit keeps exactly K judges
    refill = ops.auto_assign(session, fresh(session, period), admin)
    session.commit()
    assert len(refill.added) == len(own) - 1
    assert leaving.id not in {a.judge_id for a in refill.added}
    pairs = active_pairs(session, period)
    assert all(len(names) == 2 for names in pairs.values())
    assert "pusat1" in pairs[done.unit_code]
    actions = audit_actions(session, period)
    assert actions["assignment.drop_out"] == 1 and actions["assignment.end"] == len(own) - 1
    # a second drop-out is refused; the judge page says they dropped out
    page = client.get(f"{base(period)}/penilai/{leaving.id}").get_data(as_text=True)
    assert "dropped out of the period" in page
    with pytest.raises(Conflict):
        ops.drop_out(session, fresh(session, period), leaving, "lagi", admin)


def test_adding_a_dropped_judge_by_hand_brings_them_back(session, admin, period, judges):
    submit(session, period, ["34", "35"])
    ops.drop_out(session, period, judges["pusat1"], "Cuti", admin)
    assert judges["pusat1"].id in ops.dropped_ids(period)
    ops.add_assignment(session, period, session.get(WorkUnit, "34"), judges["pusat1"], admin)
    assert judges["pusat1"].id not in ops.dropped_ids(period)
    entry = session.query(AuditLog).filter_by(action="assignment.add").one()
    assert entry.detail["reinstated"] is True


# -- overview and workbook -------------------------------------------------------------------

def test_overview_filters_and_progress(client, session, admin, period, judges):
    submit(session, period, JATENG + OTHERS)
    row = ops.add_assignment(session, period, session.get(WorkUnit, "34"), judges["pusat1"], admin)
    session.add(Verification(assignment_id=row.id, indicator_id="sk-bakohumas", value=wrap(True)))
    session.add(Verification(assignment_id=row.id, indicator_id="struktur-tim", value=None))
    session.add(Verification(assignment_id=row.id, indicator_id="jumlah-personel", value=wrap(None)))
    session.add(Verification(assignment_id=row.id, indicator_id="kendala-dukungan", value=wrap("teks")))
    session.commit()
    scored = ops.scored_count(period)
    html = client.get(base(period) + "/").get_data(as_text=True)
    assert "8 units shown" in html and f"1/{scored}" in html
    assert "1 judge missing" in html and "2 judges missing" in html
    only_jateng = client.get(base(period) + "/?province=33").get_data(as_text=True)
    assert "4 units shown" in only_jateng and "Kulon Progo" not in only_jateng
    regencies = client.get(base(period) + "/?level=kabkota&province=34").get_data(as_text=True)
    assert "1 unit shown" in regencies and "Kulon Progo" in regencies
    ops.auto_assign(session, period, admin)
    session.commit()
    assert "0 units shown" in client.get(base(period) + "/?unassigned=1").get_data(as_text=True)


def test_workbook_lists_every_assignment_with_text_kept_as_text(client, session, admin, period,
                                                                 judges):
    submit(session, period, ["34", "35"])
    ops.auto_assign(session, period, admin)
    row = session.query(JudgeAssignment).filter_by(unit_code="35").first()
    ops.end_assignment(session, row, "=HYPERLINK(\"http://x\")", admin)
    session.commit()
    response = client.get(base(period) + "/penugasan.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Code", "Work unit")
    assert len(rows) == 1 + 4
    assert {r[1] for r in rows[1:]} == {"KPU Provinsi Daerah Istimewa Yogyakarta",
                                        "KPU Provinsi Jawa Timur"}
    ended = [r for r in rows[1:] if r[7] == "Ended"]
    assert len(ended) == 1 and ended[0][13] == "=HYPERLINK(\"http://x\")"
    cell = [c for c in sheet.iter_rows() if c[7].value == "Ended"][0][13]
    assert cell.data_type == "s"


# -- authorisation ---------------------------------------------------------------------------

@pytest.mark.parametrize("role, unit", [("operator", "33"), ("judge", "00"), ("monitor", "33")])
def test_assignment_pages_are_refused_to_others(client, session, auth, make_user, period, judges,
                                                role, unit):
    submit(session, period, ["34"])
    bureau = make_user("bureau", role="admin", unit_code=None)
    row = ops.add_assignment(session, period, session.get(WorkUnit, "34"), judges["pusat1"], bureau)
    session.commit()
    make_user("someone", role=role, unit_code=unit)
    auth.login("someone")
    gets = ["/admin/judging/", base(period) + "/", base(period) + "/pengaturan",
            base(period) + "/satker/34", f"{base(period)}/penilai/{judges['pusat1'].id}",
            base(period) + "/penugasan.xlsx"]
    for url in gets:
        assert client.get(url).status_code == 403, url
    posts = [(base(period) + "/otomatis", {}), (base(period) + "/pengaturan", settings_form()),
             (base(period) + "/satker/34", {"judge_id": judges["pusat2"].id}),
             (f"{base(period)}/penugasan/{row.id}/akhiri", {"reason": "x"}),
             (f"{base(period)}/penilai/{judges['pusat1'].id}", {"reason": "x"})]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, url
    session.expire_all()
    assert session.query(JudgeAssignment).filter_by(active=True).count() == 1
    assert fresh(session, period).settings == {}


def test_anonymous_visitors_are_sent_to_the_login(client, period):
    response = client.get(base(period) + "/")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]


def test_unknown_objects_are_not_found(client, admin, period, make_user):
    operator = make_user("op-34", unit_code="34")
    assert client.get("/admin/judging/tidak-ada/").status_code == 404
    assert client.get(base(period) + "/satker/99.99").status_code == 404
    assert client.get(f"{base(period)}/penilai/{operator.id}").status_code == 404   # not a judge
    assert client.get(f"{base(period)}/penilai/999999").status_code == 404


def test_period_page_links_to_the_assignment_pages(client, admin, period):
    html = client.get(f"/admin/periode/{period.slug}/").get_data(as_text=True)
    assert f'href="{base(period)}/"' in html and f'href="{base(period)}/pengaturan"' in html


# -- API -------------------------------------------------------------------------------------

def bearer(session, user) -> dict:
    _, secret = create_token(session, user, "test")
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def validate(name: str, instance) -> None:
    OAS31Validator({"$ref": f"#/components/schemas/{name}",
                    "components": document()["components"]}).validate(instance)


def test_api_lists_all_for_admins_and_their_own_for_judges(client, session, period, judges,
                                                           make_user):
    submit(session, period, OTHERS)
    admin = make_user("bureau", role="admin", unit_code=None)
    ops.auto_assign(session, period, admin)
    ended = session.query(JudgeAssignment).filter_by(unit_code="34").first()
    ops.end_assignment(session, ended, "Sakit", admin)
    session.commit()
    url = f"/api/v1/periods/{period.slug}/assignments"
    everything = client.get(url, headers=bearer(session, admin))
    assert everything.status_code == 200
    body = everything.get_json()
    validate("AssignmentList", body)
    assert body["judges_per_unit"] == 2 and len(body["assignments"]) == 2 * len(OTHERS)
    assert [a["ended_reason"] for a in body["assignments"] if not a["active"]] == ["Sakit"]
    judge = judges["pusat2"]
    own = client.get(url, headers=bearer(session, judge)).get_json()
    validate("AssignmentList", own)
    assert own["assignments"] and {a["judge"]["id"] for a in own["assignments"]} == {judge.id}
    assert len(own["assignments"]) == sum(1 for a in body["assignments"] if a["judge"]["id"] == judge.id)


@pytest.mark.parametrize("role, unit", [("operator", "34"), ("monitor", "34")])
def test_api_refuses_operators_and_monitors(client, session, period, make_user, role, unit):
    user = make_user("someone", role=role, unit_code=unit)
    response = client.get(f"/api/v1/periods/{period.slug}/assignments", headers=bearer(session, user))
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    validate("Error", response.get_json())


def test_api_needs_a_token_and_a_known_period(client, session, judges):
    assert client.get("/api/v1/periods/bakohumas-2025/assignments").status_code == 401
    response = client.get("/api/v1/periods/tidak-ada/assignments",
                          headers=bearer(session, judges["pusat1"]))
    assert response.status_code == 404


def test_switching_the_province_rule_on_warns_about_conflicting_assignments(client, session, admin,
                                                                            period, judges):
    submit(session, period, ["33.01"])
    ops.update_settings(session, period, admin, **{**ops.judging_settings(period),
                                                   "conflict_same_province": False})
    ops.add_assignment(session, period, session.get(WorkUnit, "33.01"), judges["jateng"], admin)
    session.commit()
    response = client.post(base(period) + "/pengaturan", data=settings_form(), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "1 active assignment is now a conflict of interest" in html
    assert "Conflict of interest" in html                       # the badge in the overview
    assert ops.overview(session, fresh(session, period))[0][0]["missing"] == 2
