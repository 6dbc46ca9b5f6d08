"""The condition of entry on the judge's page (edition bakohumas-2026, ``sk-bakohumas``): the
judge sees the unit's answer and its decree in a block of its own at the top of the aspect
that holds it, records Ya or Tidak (Tidak only with a comment saying why) through the same
save, merge and autosave as every verified value, and through the API; the unit cannot be
completed until it is verified; judges who disagree raise a flag and a moderation decides.
Scoring then lists a unit verified Tidak without a rank (engine rule: one judge's Tidak is
enough unless a moderation says otherwise).

Season: ``test_stage_two.build_season`` on the 2026 edition: 13 provinces and 3 regencies,
every scored indicator verified by penilai1 and penilai2 (completed), every unit answering
Ya. In its first run province 14 is ranked 1 alone, so without it every other province
moves up by one: the ranks below are that rule, checked against the first run."""
from __future__ import annotations

import pytest

from assessment.models import Evidence, JudgeAssignment, Submission, User
from assessment.operations import Invalid
from assessment.operations import verification as ops
from assessment.operations.moderation import disagreements, moderate
from assessment.operations.runs import export_exchange, latest_run, run_result
from rubrics import load_rubric
from tests.conftest import SLUG
from tests.test_stage_two import build_season, login
from tests.test_verification import headers, html
from tests.test_verification_merge import opened_from

EDITION_2026 = load_rubric("rubrics/editions/bakohumas-2026.yaml")
ENTRY = "sk-bakohumas"
ASPECT = EDITION_2026.indicator(ENTRY).aspect_id
UNIT = "14"                                       # ranked 1 alone among the provinces
PAGE = f"/penilai/{SLUG}/{UNIT}/{ASPECT}"
API = f"/api/v1/periods/{SLUG}/verifications/{UNIT}"
DECREE = "https://kpu-jambi.example/keputusan-bakohumas-2026.pdf"
REASON = "Keputusan yang diunggah berlaku untuk tahun 2024, bukan periode ini."


@pytest.fixture
def season(app, session, make_user, make_period, client, auth):
    period = make_period(slug=SLUG, opens=-30, closes=-10, rubric_id="bakohumas-2026")
    admin = make_user(username="admin-uji", role="admin", unit_code=None)
    data = build_season(session, period)
    sub = session.query(Submission).filter_by(period_id=period.id, unit_code=UNIT).one()
    session.add(Evidence(submission_id=sub.id, indicator_id=ENTRY, kind="link", url=DECREE,
                         created_by=admin.id))   # attached before it was submitted
    session.commit()
    first = provinces(client, auth, session, period)
    assert first[0] == (UNIT, 1, None) and [r for r in first if r[1] == 1] == [first[0]]
    return dict(data, period=period, admin=admin, first=first)


def provinces(client, auth, session, period) -> list[tuple]:
    """A new provisional run (as the admin): the provinces' (unit, rank, entry_unmet)."""
    login(client, auth, "admin-uji")
    assert client.post(f"/musim/{SLUG}/peringkat", data={"note": "Uji"}).status_code == 302
    run = latest_run(session, period, "provisional")
    return [(r["unit"], r["rank"], r.get("entry_unmet")) for r in run_result(run)["ranking"]
            if r["category"] == "provinsi"]


def without_unit(first: list[tuple]) -> list[tuple]:
    """By hand: the first run without unit 14 (ranked 1 alone), every other rank one up."""
    return [(code, rank - 1, None) for code, rank, _unmet in first if code != UNIT]


def reopened(client, auth, session, judge: str) -> JudgeAssignment:
    login(client, auth, judge)
    assert client.post(f"/penilai/{SLUG}/{UNIT}/buka-kembali").status_code == 302
    return assignment(session, judge)


def assignment(session, judge: str) -> JudgeAssignment:
    session.expire_all()
    return (session.query(JudgeAssignment).join(User, User.id == JudgeAssignment.judge_id)
            .filter(JudgeAssignment.unit_code == UNIT, User.username == judge).one())


def judge_refuses_entry(session, judges) -> None:
    """penilai1 reopens the unit and finds its decree not valid: Tidak, with REASON."""
    a = assignment(session, "penilai1")
    a.completed_at = None
    session.flush()
    ops.save_verifications(session, a, {ENTRY: False}, {}, {ENTRY: REASON}, judges["penilai1"])
    session.commit()


def entry_row(session, judge: str):
    return ops.rows_by_indicator(assignment(session, judge)).get(ENTRY)


# ---- the page ---------------------------------------------------------------------------------

def test_the_block_shows_the_answer_and_decree_and_tidak_needs_a_comment(client, auth, session,
                                                                        season):
    reopened(client, auth, session, "penilai1")
    page = html(client.get(PAGE))
    block = page.index('data-testid="entry-condition"')
    section = page[page.index(f'id="ind-{ENTRY}"'):page.index('</section>', block)]
    # the block is the first thing of the aspect, before its other indicators
    assert block < page.index(f'id="ind-{ENTRY}"') < page.index('id="ind-sk-bakohumas-nomor"')
    assert page.count('data-testid="entry-condition"') == 1
    assert "Condition of entry" in page[block:block + 400]
    assert 'answer-value fw-semibold">Yes<' in section            # the unit's answer
    assert f'href="{DECREE}"' in section                          # its decree
    assert section.count(f'name="verified-{ENTRY}"') == 2            # Ya and Tidak
    assert 'data-mark="unverified"' in section
    assert "required when No: say why" in section
    # Tidak without a comment: refused at the field, nothing saved
    fields = opened_from(page)
    refused = client.post(PAGE, data=fields | {f"verified-{ENTRY}": "tidak"})
    assert refused.status_code == 422
    assert "a No needs a comment" in html(refused)
    assert entry_row(session, "penilai1") is None
    # with the comment: saved like any verified value
    saved = client.post(PAGE, data=fields | {f"verified-{ENTRY}": "tidak",
                                             f"comment-{ENTRY}": REASON})
    assert saved.status_code == 302
    row = entry_row(session, "penilai1")
    assert (row.value, row.comment, row.origin) == ({"v": False}, REASON, "typed")
    overview = html(client.get(f"/penilai/{SLUG}/{UNIT}"))
    assert 'data-testid="entry-summary"' in overview and 'data-entry-verified="no"' in overview
    assert REASON in overview


def test_a_judges_tidak_leaves_the_unit_unranked_with_the_reason(client, auth, session, season):
    reopened(client, auth, session, "penilai1")
    page = html(client.get(PAGE))
    client.post(PAGE, data=opened_from(page) | {f"verified-{ENTRY}": "tidak",
                                                f"comment-{ENTRY}": REASON})
    ranking = provinces(client, auth, session, season["period"])
    assert ranking[:-1] == without_unit(season["first"])
    assert ranking[-1] == (UNIT, None, [ENTRY])
    run = latest_run(session, season["period"], "provisional")
    shown = html(client.get(f"/admin/periode/{SLUG}/penghitungan/{run.number}/"))
    assert shown.count("Not ranked: the condition of entry is not met.") == 1


def test_ya_keeps_the_unit_ranked(client, auth, session, season):
    reopened(client, auth, session, "penilai1")
    page = html(client.get(PAGE))
    # "copy the unit's answer" for this indicator: the unit's Ya, recorded as copied
    assert client.post(PAGE, data=opened_from(page) | {"copy": ENTRY}).status_code == 302
    row = entry_row(session, "penilai1")
    assert (row.value, row.origin) == ({"v": True}, "copied")
    assert provinces(client, auth, session, season["period"]) == season["first"]


def test_autosave_refuses_tidak_alone_then_saves_it_with_its_comment(client, auth, session,
                                                                    season):
    reopened(client, auth, session, "penilai1")
    fields = opened_from(html(client.get(PAGE)))
    alone = client.post(PAGE + "/simpan-otomatis", data=fields | {f"verified-{ENTRY}": "tidak"})
    assert alone.status_code == 422
    assert "needs a comment" in alone.get_json()["message"]
    assert entry_row(session, "penilai1") is None
    both = client.post(PAGE + "/simpan-otomatis", data=fields | {f"verified-{ENTRY}": "tidak",
                                                                 f"comment-{ENTRY}": REASON})
    assert both.status_code == 200
    body = both.get_json()
    assert body["saved"] is True and ENTRY not in body["marked"]
    assert 'data-mark="verified"' in body["fragments"][f"mark-{ENTRY}"]
    assert entry_row(session, "penilai1").value == {"v": False}


# ---- completeness ---------------------------------------------------------------------------

def test_the_unit_cannot_be_completed_until_the_condition_is_verified(client, auth, session,
                                                                     season):
    a = reopened(client, auth, session, "penilai1")
    rubric = season["rubric"]
    judged = [i for i in rubric.indicators if i.scored or i.entry]
    assert len(judged) == len([i for i in rubric.indicators if i.scored]) + 1
    # every scored indicator was verified when the season was built: only the condition is left
    assert ops.progress(rubric, a) == {"verified": len(judged) - 1, "scored": len(judged),
                                       "pending": 0}
    assert [key for key, _reason in ops.missing_verifications(rubric, a)] == [ENTRY]
    workspace = html(client.get(f"/penilai/{SLUG}?q={UNIT}"))
    assert f"{len(judged) - 1}/{len(judged)}" in workspace
    # "copy every empty value" does not answer the condition for the judge
    page = html(client.get(PAGE))
    client.post(PAGE, data=opened_from(page) | {"copy": "*"})
    assert entry_row(session, "penilai1") is None
    refused = client.post(f"/penilai/{SLUG}/{UNIT}/selesai", follow_redirects=True)
    assert "1 indicators are missing a verified value" in html(refused)
    assert assignment(session, "penilai1").completed_at is None
    overview = html(client.get(f"/penilai/{SLUG}/{UNIT}"))
    assert f'#ind-{ENTRY}"' in overview and 'data-entry-verified="none"' in overview
    # the aspect that holds it counts it too
    p = ops.progress(rubric, assignment(session, "penilai1"), rubric.aspect(ASPECT).indicators)
    assert p["scored"] == len(rubric.aspect(ASPECT).scored_indicators) + 1
    page = html(client.get(PAGE))
    client.post(PAGE, data=opened_from(page) | {f"verified-{ENTRY}": "ya"})
    assert client.post(f"/penilai/{SLUG}/{UNIT}/selesai").status_code == 302
    assert assignment(session, "penilai1").completed_at is not None


# ---- the API --------------------------------------------------------------------------------

def test_the_api_shows_and_saves_the_condition_with_its_comment(client, session, season):
    api = headers(session, season["judges"]["penilai1"])
    assert client.post(API + "/reopen", headers=api).status_code == 200
    shown = client.get(API, headers=api).get_json()
    entry = shown["indicators"][ENTRY]
    assert (entry["entry"], entry["scored"], entry["answer"], entry["value"]) == (
        True, False, True, None)
    assert shown["indicators"]["struktur-tim"]["entry"] is False
    assert [m["indicator"] for m in shown["missing"]] == [ENTRY]
    refused = client.put(API, headers=api, json={"values": {ENTRY: False}})
    assert refused.status_code == 422
    assert list(refused.get_json()["details"]) == [ENTRY]
    saved = client.put(API, headers=api, json={"values": {ENTRY: False},
                                               "comments": {ENTRY: REASON},
                                               "version": shown["version"]})
    assert saved.status_code == 200
    body = saved.get_json()
    assert (body["indicators"][ENTRY]["value"], body["indicators"][ENTRY]["comment"]) == (
        False, REASON)
    assert body["missing"] == []
    # the reason of a stored Tidak cannot be emptied
    emptied = client.put(API, headers=api, json={"comments": {ENTRY: " "}})
    assert emptied.status_code == 422
    assert client.post(API + "/complete", headers=api).status_code == 200
    doc = {r["unit"]: r for r in export_exchange(session, season["period"])["responses"]}
    key = f"J{season['judges']['penilai1'].id}"
    assert doc[UNIT]["judges"][key][ENTRY] is False


def test_the_operation_refuses_tidak_without_a_comment(session, season):
    a = assignment(session, "penilai1")
    a.completed_at = None
    session.commit()
    judge = season["judges"]["penilai1"]
    with pytest.raises(Invalid) as refused:
        ops.save_verifications(session, a, {ENTRY: False}, {}, {}, judge)
    assert set(refused.value.details) == {ENTRY}
    ops.save_verifications(session, a, {ENTRY: False}, {}, {ENTRY: REASON}, judge)
    with pytest.raises(Invalid):
        ops.save_verifications(session, a, {}, {}, {ENTRY: ""}, judge)
    ops.save_verifications(session, a, {ENTRY: True}, {}, {ENTRY: ""}, judge)   # Ya: no reason
    assert ops.verified_value(ops.rows_by_indicator(a)[ENTRY]) is True


# ---- disagreement and moderation ------------------------------------------------------------

def test_judges_who_disagree_raise_a_flag_and_the_moderation_decides(client, auth, session,
                                                                     season):
    period, judges = season["period"], season["judges"]
    for name, value, comment in (("penilai1", False, REASON), ("penilai2", True, "")):
        a = assignment(session, name)
        a.completed_at = None
        session.flush()
        ops.save_verifications(session, a, {ENTRY: value}, {}, {ENTRY: comment}, judges[name])
    session.commit()
    flags = [f for f in disagreements(session, period, export_exchange(session, period))
             if f.indicator_id == ENTRY]
    assert [(f.unit_code, sorted((v, fr) for _k, v, fr in f.judges), f.spread, f.self_value)
            for f in flags] == [(UNIT, [(False, 0), (True, 1)], 1, True)]
    # one judge's Tidak is enough until a moderation decides
    assert provinces(client, auth, session, period)[-1] == (UNIT, None, [ENTRY])
    moderate(session, period, UNIT, ENTRY, "ya", "Keputusan sah dan berlaku; diperiksa ulang.",
             season["admin"])
    session.commit()
    assert provinces(client, auth, session, period) == season["first"]
