"""Claimed versus verified gaps and judge quality, checked against numbers worked out by hand."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from fractions import Fraction as F

import pytest
from openpyxl import load_workbook

from assessment.operations.moderation import moderate
from assessment.operations.quality import (AssignmentTimes, claim_gaps, judge_quality, judge_stats,
                                           median_duration)
from tests.conftest import SLUG, english
from tests.test_moderation import add_submission, verify

T0 = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


# ---- judge quality: the pure computation ----------------------------------------------------

ITEMS = {
    ("u1", "i1"): {1: F(1), 2: F(0)},
    ("u1", "i2"): {1: F(1, 2), 2: F(1, 2)},
    ("u2", "i1"): {1: F(3, 4), 3: F(1, 4)},
    ("u2", "i2"): {1: F(1)},                          # one judge only: not shared
    ("u3", "i1"): {1: F(1), 2: F(1, 2), 3: F(0)},
}
TIMES = [AssignmentTimes(1, "u1", T0, T0 + 2 * H), AssignmentTimes(1, "u2", T0, T0 + 4 * H),
         AssignmentTimes(1, "u3", T0, None), AssignmentTimes(2, "u1", T0, T0 + H),
         AssignmentTimes(2, "u3"), AssignmentTimes(3, "u2", T0), AssignmentTimes(3, "u3")]


def test_judge_stats_by_hand():
    stats = judge_stats(ITEMS, TIMES, threshold=F(1, 2), min_shared=3)
    one, two, three = stats[1], stats[2], stats[3]
    # judge 1: differences 1, 0, 1/2 and 1 - (1/2 + 0)/2 = 3/4; within 1/2 of everyone on i2 of u1 and u2
    assert (one.assigned, one.completed, one.shared) == (3, 2, 4)
    assert one.leniency == F(9, 16) and one.agreement == F(1, 2) and one.verdict == "lenient"
    assert one.median_time == 3 * H
    # judge 2: differences -1, 0 and 1/2 - (1 + 0)/2 = 0; disagrees only on i1 of u1
    assert (two.assigned, two.completed, two.shared) == (2, 1, 3)
    assert two.leniency == F(-1, 3) and two.agreement == F(2, 3) and two.verdict == "strict"
    assert two.median_time == H
    # judge 3: two shared indicators, under the guard of three
    assert (three.assigned, three.completed, three.shared) == (2, 0, 2)
    assert three.leniency is None and three.agreement is None and three.verdict == "too_few"
    assert three.median_time is None


def test_the_guard_and_the_verdict_margin():
    lowered = judge_stats(ITEMS, TIMES, threshold=F(1, 2), min_shared=2)[3]
    assert lowered.leniency == F(-5, 8) and lowered.agreement == F(1, 2) and lowered.verdict == "strict"
    close = judge_stats({("u", "i"): {1: F(1, 2), 2: F(9, 20)}}, [], F(1, 2), 1)
    assert close[1].leniency == F(1, 20) and close[1].verdict == "in_line"
    assert judge_stats({}, [AssignmentTimes(5, "u")], F(1, 2), 0)[5].verdict == "too_few"


def test_median_duration():
    assert median_duration([]) is None
    assert median_duration([3 * H, H, 2 * H]) == 2 * H
    assert median_duration([H, 4 * H]) == timedelta(hours=2, minutes=30)


# ---- from the database ---------------------------------------------------------------------

@pytest.fixture
def season(session, make_user, make_period):
    """33 claims yes and the top level; judges A and B verify yes/no and level 2 (1/2).
    11 claims yes and level 2; judge A agrees, then the level is moderated to the first (0).
    33.74 claims yes and level 0; judge A agrees."""
    period = make_period(slug=SLUG)
    admin = make_user(username="kepala-biro", role="admin", unit_code=None)
    a = make_user(username="penilai1", role="judge", unit_code=None, name="Rina Penilai")
    b = make_user(username="penilai2", role="judge", unit_code=None, name="Budi Penilai")
    add_submission(session, period, "33", {"sk-bakohumas": True, "struktur-tim": 4})
    add_submission(session, period, "11", {"sk-bakohumas": True, "struktur-tim": 2})
    add_submission(session, period, "33.74", {"sk-bakohumas": True, "struktur-tim": 0})
    verify(session, period, "33", a, {"sk-bakohumas": True, "struktur-tim": 2},
           started_at=T0, completed_at=T0 + 2 * H)
    verify(session, period, "33", b, {"sk-bakohumas": False, "struktur-tim": 2},
           started_at=T0, completed_at=T0 + 6 * H)
    verify(session, period, "11", a, {"sk-bakohumas": True, "struktur-tim": 2})
    verify(session, period, "33.74", a, {"sk-bakohumas": True, "struktur-tim": 0})
    moderate(session, period, "11", "struktur-tim", "0", "Struktur belum ditetapkan.", admin)
    session.commit()
    return period, admin, a, b


def test_gaps_by_unit_indicator_and_province_by_hand(session, season):
    period, *_ = season
    gaps = claim_gaps(session, period)
    units = {g.key: g for g in gaps["units"]}
    assert [g.key for g in gaps["units"]] == ["33", "11", "33.74"]       # largest over-claim first
    assert (units["33"].count, units["33"].claimed, units["33"].verified) == (2, 1, F(1, 2))
    assert (units["11"].claimed, units["11"].verified, units["11"].gap) == (F(3, 4), F(1, 2), F(1, 4))
    assert units["33.74"].gap == 0 and units["33.74"].province == "KPU Provinsi Jawa Tengah"
    indicators = {g.key: g for g in gaps["indicators"]}
    assert [g.key for g in gaps["indicators"]] == ["struktur-tim", "sk-bakohumas"]
    assert (indicators["sk-bakohumas"].claimed, indicators["sk-bakohumas"].verified) == (1, F(5, 6))
    assert (indicators["struktur-tim"].claimed, indicators["struktur-tim"].verified) == (F(1, 2), F(1, 6))
    provinces = {g.key: g for g in gaps["provinces"]}
    assert (provinces["KPU Provinsi Jawa Tengah"].count, provinces["KPU Provinsi Jawa Tengah"].claimed,
            provinces["KPU Provinsi Jawa Tengah"].verified) == (4, F(3, 4), F(1, 2))
    assert (provinces["KIP Aceh"].claimed, provinces["KIP Aceh"].verified) == (F(3, 4), F(1, 2))


def test_gap_pages_and_workbook(client, auth, season):
    auth.login("kepala-biro")
    english(client)
    page = client.get(f"/admin/moderation/{SLUG}/selisih").get_data(as_text=True)
    assert "KPU Kota Semarang" in page and "+50.00" in page
    assert "+33.33" in client.get(f"/admin/moderation/{SLUG}/selisih?by=indicator").get_data(as_text=True)
    assert client.get(f"/admin/moderation/{SLUG}/selisih?by=nothing").status_code == 404
    answer = client.get(f"/admin/moderation/{SLUG}/selisih.xlsx?by=province")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Province", "Verified answers", "Claimed (%)", "Verified (%)", "Gap (points)")
    assert rows[1][0] == "KIP Aceh" and rows[1][2:] == (75, 50, 25)
    units = load_workbook(io.BytesIO(client.get(f"/admin/moderation/{SLUG}/selisih.xlsx").data)).active
    assert [r[0] for r in units.iter_rows(min_row=2, values_only=True)] == ["33", "11", "33.74"]


def test_judge_quality_from_the_database_and_its_page(client, auth, session, season):
    period, admin, a, b = season
    rows = dict((user.username, s) for user, s in judge_quality(session, period))
    # shared: 33's two indicators; A differs by +1 (yes/no) and 0, B by -1 and 0; guard 10
    assert rows["penilai1"].shared == 2 and rows["penilai1"].assigned == 3
    assert rows["penilai1"].completed == 1 and rows["penilai1"].median_time == 2 * H
    assert rows["penilai1"].verdict == "too_few"
    period.settings = {"min_shared_indicators": 2}
    session.commit()
    rows = dict((user.username, s) for user, s in judge_quality(session, period))
    assert rows["penilai1"].leniency == F(1, 2) and rows["penilai2"].leniency == F(-1, 2)
    assert rows["penilai1"].agreement == F(1, 2)
    auth.login("kepala-biro")
    english(client)
    page = client.get(f"/admin/moderation/{SLUG}/penilai").get_data(as_text=True)
    assert "Rina Penilai" in page and "+50.00" in page and "more lenient" in page and "stricter" in page
