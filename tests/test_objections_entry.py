"""Masa sanggah and the condition of entry (edition bakohumas-2026, ``sk-bakohumas``): a judge's
verified Tidak leaves the unit without rank; the unit sees that and why on its provisional
results page, objects to the verdict like to any indicator (reason and evidence), an
independent judge reviews it, and accepting (a moderation recording Ya) ranks the unit again at
the next run while rejecting keeps it unranked.

Season: ``test_stage_two.build_season`` on the 2026 edition (13 provinces, 3 regencies, every
scored indicator verified by penilai1 and penilai2, every unit answering Ya). In its first run
province 14 is ranked 1 alone, so while it is unranked every other province moves up by one
(``test_verify_entry.without_unit``, the rule checked against that first run)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from assessment.models import AuditLog, Evidence, Moderation, Notice, Objection, Submission, User
from assessment.operations import Invalid, NotAllowed
from assessment.operations import objections as obj_ops
from assessment.operations.judging import unwrap
from assessment.operations.runs import export_exchange
from tests.conftest import SLUG
from tests.test_stage_two import build_season, login
from tests.test_verification import html
from tests.test_verify_entry import (DECREE, ENTRY, REASON, UNIT, judge_refuses_entry,
                                     provinces, without_unit)

RESULTS = f"/musim/{SLUG}/hasil-sementara"
OBJECTION = "Keputusan Nomor 12/HM.02/2026 ditetapkan 5 Januari 2026 dan berlaku untuk periode ini."
NEW_DECREE = "https://kpu-jambi.example/keputusan-bakohumas-2026-ttd.pdf"


@pytest.fixture
def season(app, session, make_user, make_period, client, auth):
    period = make_period(slug=SLUG, opens=-30, closes=-10, rubric_id="bakohumas-2026")
    admin = make_user(username="admin-uji", role="admin", unit_code=None)
    make_user(username="op-14", unit_code=UNIT)
    make_user(username="op-31", unit_code="31")
    data = build_season(session, period)
    sub = session.query(Submission).filter_by(period_id=period.id, unit_code=UNIT).one()
    session.add(Evidence(submission_id=sub.id, indicator_id=ENTRY, kind="link", url=DECREE,
                         created_by=admin.id))
    session.commit()
    first = provinces(client, auth, session, period)
    assert first[0] == (UNIT, 1, None) and [r for r in first if r[1] == 1] == [first[0]]
    # penilai1 finds the decree not valid: Tidak, with the comment saying why
    judge_refuses_entry(session, data["judges"])
    unranked = provinces(client, auth, session, period)      # the provisional run of masa sanggah
    assert unranked[:-1] == without_unit(first) and unranked[-1] == (UNIT, None, [ENTRY])
    now = datetime.now(timezone.utc)
    period.objection_opens_at, period.objection_closes_at = now - timedelta(days=1), now + timedelta(days=2)
    session.commit()
    return dict(data, period=period, admin=admin, first=first)


def file(client, indicator=ENTRY, reason=OBJECTION, **extra):
    return client.post(f"{RESULTS}/{indicator}/sanggah", data={"reason": reason, **extra},
                       content_type="multipart/form-data")


def filed_and_assigned(client, auth, session, season) -> Objection:
    """op-14 objects to the verdict with a new link; the admin gives it to penilai4."""
    login(client, auth, "op-14")
    assert file(client, url=NEW_DECREE).status_code == 302
    obj = session.query(Objection).one()
    assert (obj.unit_code, obj.indicator_id, obj.status, obj.reason, obj.evidence_url) == (
        UNIT, ENTRY, "pending", OBJECTION, NEW_DECREE)
    login(client, auth, "admin-uji")
    penilai1 = season["judges"]["penilai1"]
    refused = client.post(f"/musim/sanggahan/{obj.id}/penelaah",
                          data={f"o{obj.id}-reviewer": str(penilai1.id)}, follow_redirects=True)
    assert "verified this work unit" in html(refused)
    assert client.post(f"/musim/sanggahan/{obj.id}/penelaah",
                       data={f"o{obj.id}-reviewer": str(season["judges"]["penilai4"].id)}
                       ).status_code == 302
    listed = html(client.get(f"/musim/{SLUG}/sanggahan"))
    assert f"/musim/sanggahan/{obj.id}" in listed
    # the admin's list marks an objection to the condition of entry
    item = listed[listed.index(f'id="obj-{obj.id}"'):]
    assert "data-entry-objection>Condition of entry<" in item[:item.index("</li>")]
    session.expire_all()
    return session.get(Objection, obj.id)


# ---- the unit's page ----------------------------------------------------------------------

def test_the_unit_sees_it_is_unranked_why_and_that_it_can_object(client, auth, session, season):
    login(client, auth, "op-14")
    page = html(client.get(RESULTS))
    notice = page[page.index('data-testid="entry-unmet"'):]
    notice = notice[:notice.index("</div>")]
    assert "Not ranked: the condition of entry is not met." in notice
    assert f'href="#ind-{ENTRY}"' in notice and "You can object to this verdict" in notice
    assert 'data-unranked>Not ranked<' in page and "the condition of entry is not met" in page
    block = page[page.index(f'id="ind-{ENTRY}"'):]
    block = block[:block.index("</article>")]
    # penilai1's Tidak (Judge 1) with the comment (penilai2 left the condition unverified), the outcome
    assert [v.split("<")[0] for v in block.split("data-judge-verdict>")[1:]] == ["No"]
    assert "Judge 1</dt>" in block
    assert REASON in block and 'data-entry-met="no"' in block
    assert f'action="{RESULTS}/{ENTRY}/sanggah"' in block
    assert "Object to this verdict" in block
    # shown once, in its own block, not again among Kelembagaan's scored indicators
    assert page.count(f'id="ind-{ENTRY}"') == 1
    assert page.index('data-testid="entry-condition"') < page.index('id="aspects-title"')


def test_a_unit_that_meets_the_condition_cannot_object_to_it(client, auth, session, season):
    login(client, auth, "op-31")
    page = html(client.get(RESULTS))
    assert 'data-testid="entry-unmet"' not in page and 'data-entry-met="yes"' in page
    assert f"{ENTRY}/sanggah" not in page
    rank = dict((code, rank) for code, rank, _u in without_unit(season["first"]))["31"]
    assert f'provisional-rank">{rank} of 12<' in page      # 13 provinces, 14 unranked
    refused = file(client)
    assert refused.status_code == 422 and "nothing to object to" in html(refused)
    assert session.query(Objection).count() == 0


def test_object_accept_and_the_next_run_ranks_the_unit_again(client, auth, session, season):
    period = season["period"]
    obj = filed_and_assigned(client, auth, session, season)
    login(client, auth, "op-14")
    page = html(client.get(RESULTS))
    assert "Waiting for review" in page and "Object to this verdict" not in page
    # the reviewer sees the condition, penilai1's No and comment, the unit's decree and the new link
    login(client, auth, "penilai4")
    review = html(client.get(f"/musim/sanggahan/{obj.id}"))
    assert 'data-testid="entry-objection"' in review and 'data-testid="entry-accept"' in review
    assert f"Judge 1:</strong> No — <span class=\"season-text\">{REASON}" in review
    assert DECREE in review and NEW_DECREE in review and OBJECTION in review
    # a Tidak is no way to accept
    with pytest.raises(Invalid, match="records Yes"):
        obj_ops.decide(session, obj, season["judges"]["penilai4"], True, "tidak", "x")
    session.rollback()
    assert client.post(f"/musim/sanggahan/{obj.id}",
                       data={"decision": "accept", "value": "ya",
                             "reason": "Keputusan sah dan berlaku untuk 2026."}).status_code == 302
    session.expire_all()
    obj = session.get(Objection, obj.id)
    assert (obj.status, unwrap(obj.new_value)) == ("accepted", True)
    mod = session.query(Moderation).filter_by(objection_id=obj.id).one()
    assert (mod.unit_code, mod.indicator_id, unwrap(mod.value), mod.source) == (
        UNIT, ENTRY, True, "objection")
    assert session.query(AuditLog).filter_by(action="objection.decide").one().detail["status"] == "accepted"
    op = session.query(User).filter_by(username="op-14").one()
    assert session.query(Notice).filter_by(user_id=op.id, kind="objection_decided").count() == 1
    # until the next run the unit is still unranked, and told it will be ranked
    login(client, auth, "op-14")
    page = html(client.get(RESULTS))
    assert "Accepted. New verified value" in page and "ranked again when the ranking" in page
    # the next run: the moderated Ya decides, every province back at its first-run rank
    assert provinces(client, auth, session, period) == season["first"]
    login(client, auth, "op-14")
    page = html(client.get(RESULTS))
    assert 'data-testid="entry-unmet"' not in page and 'provisional-rank">1 of 13<' in page
    assert 'data-entry-met="yes"' in page


def test_object_reject_and_the_unit_stays_unranked(client, auth, session, season):
    period = season["period"]
    before = export_exchange(session, period)
    obj = filed_and_assigned(client, auth, session, season)
    login(client, auth, "penilai4")
    no_reason = client.post(f"/musim/sanggahan/{obj.id}", data={"decision": "reject", "reason": ""})
    assert no_reason.status_code == 422
    assert client.post(f"/musim/sanggahan/{obj.id}",
                       data={"decision": "reject",
                             "reason": "Keputusan yang baru tidak ditandatangani."}).status_code == 302
    session.expire_all()
    assert session.get(Objection, obj.id).status == "rejected"
    assert session.query(Moderation).count() == 0
    assert export_exchange(session, period) == before
    ranking = provinces(client, auth, session, period)
    assert ranking[:-1] == without_unit(season["first"])
    assert ranking[-1] == (UNIT, None, [ENTRY])
    login(client, auth, "op-14")
    page = html(client.get(RESULTS))
    assert "Keputusan yang baru tidak ditandatangani." in page and 'data-testid="entry-unmet"' in page
    # decided: the unit may object again while the window is open
    assert "Object to this verdict" in page


def test_only_an_eligible_judge_decides(client, auth, session, season):
    obj = filed_and_assigned(client, auth, session, season)
    with pytest.raises(NotAllowed):
        obj_ops.decide(session, obj, season["judges"]["penilai1"], True, "ya", "")
    login(client, auth, "penilai2")     # scored the unit: cannot see the objection
    assert client.get(f"/musim/sanggahan/{obj.id}").status_code == 403
