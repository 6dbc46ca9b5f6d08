"""Returning a submitted questionnaire for revision: once, with reasons and a new deadline;
the unit edits and resubmits; both versions are kept and compared."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from assessment.models import (AuditLog, JudgeAssignment, Notice, RevisionRequest, Submission,
                               SubmissionSnapshot)
from assessment.operations import Closed, Conflict, Invalid
from assessment.operations import evidence as evidence_ops
from assessment.operations import questionnaire as q
from assessment.operations import answers as qa
from assessment.operations import editability as qe
from assessment.operations import submission as qs
from assessment.operations import revision as rev
from assessment.rubric_store import rubric_for
from tests.conftest import SLUG, english


@pytest.fixture(autouse=True)
def _english_messages(app):
    """Operations called outside a request speak the default language (Indonesian); these
    tests read their messages in English."""
    from flask_babel import force_locale
    with app.app_context(), force_locale("en"):
        yield


NIP = "197001011995031001"


def now():
    return datetime.now(timezone.utc)


def zero_answers(rubric) -> dict:
    """Every scored indicator answered so that it earns nothing (no evidence needed)."""
    first = {"yesno": False, "scale": 0, "number": 0, "choice": []}
    return {ind.id: first[ind.type] for ind in rubric.indicators if ind.scored}


def submitted(session, period, user) -> Submission:
    """The operator's unit with a complete (all-zero) questionnaire, submitted."""
    sub = q.get_or_create_submission(session, period, user.unit_code, user)
    qa.save_answers(session, sub, zero_answers(rubric_for(period)), {}, sub.version, user)
    qs.submit(session, sub, sub.version, "Dr. Kepala", "Sekretaris", NIP, True, user)
    session.commit()
    return sub


@pytest.fixture
def season(session, make_user, make_period):
    """An open period, the operator of unit 33 with a submitted questionnaire, the admin."""
    operator = make_user(username="op-33", unit_code="33")
    admin = make_user(username="kepala-biro", role="admin", unit_code=None)
    period = make_period(slug=SLUG)
    return period, operator, admin, submitted(session, period, operator)


def give_back(session, sub, admin, days=3, reasons=None):
    request = rev.return_for_revision(
        session, sub, reasons or {"sk-bakohumas": "Lampirkan SK tim Bakohumas yang ditandatangani."},
        now() + timedelta(days=days), admin)
    session.commit()
    return request


def test_return_edit_resubmit_keeps_both_versions(session, season):
    period, operator, admin, sub = season
    request = give_back(session, sub, admin, reasons={"sk-bakohumas": "Lampirkan SK.", "struktur-tim": " "})
    assert sub.status == "returned" and qe.is_returned(sub)
    assert request.reasons == {"sk-bakohumas": "Lampirkan SK."}      # empty reasons are dropped
    kinds = [s.kind for s in session.query(SubmissionSnapshot).order_by(SubmissionSnapshot.id)]
    assert kinds == ["submit", "returned"]
    notice = session.query(Notice).filter_by(user_id=operator.id, kind="returned").one()
    assert "1" in notice.body and notice.link.endswith(f"/kuesioner/{SLUG}")
    entry = session.query(AuditLog).filter_by(action="submission.return").one()
    assert entry.detail["reasons"] == {"sk-bakohumas": "Lampirkan SK."} and entry.user_id == admin.id

    # the unit edits (the answer now earns something, so it needs its evidence) and resubmits
    qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, sub.version, operator)
    evidence_ops.add_link(session, sub, "sk-bakohumas", "https://jateng.kpu.go.id/sk.pdf", operator)
    qs.submit(session, sub, sub.version, "Dr. Kepala", "Sekretaris", NIP, True, operator)
    session.commit()
    assert sub.status == "submitted" and not qe.is_returned(sub)
    assert session.get(RevisionRequest, request.id).resubmitted_at is not None
    snaps = session.query(SubmissionSnapshot).order_by(SubmissionSnapshot.id).all()
    assert [s.kind for s in snaps] == ["submit", "returned", "resubmit"]
    assert snaps[1].answers["sk-bakohumas"] is False and snaps[2].answers["sk-bakohumas"] is True
    assert session.query(AuditLog).filter_by(action="submission.resubmit").count() == 1

    view = rev.compare(session, sub)
    assert view["returned"].id == snaps[1].id and view["resubmitted"].id == snaps[2].id
    [change] = view["changes"]
    assert (change.indicator_id, change.before, change.after) == ("sk-bakohumas", False, True)
    assert change.evidence_after == ("https://jateng.kpu.go.id/sk.pdf",) and change.reason == "Lampirkan SK."


def test_a_questionnaire_is_returned_once_only(session, season):
    period, operator, admin, sub = season
    give_back(session, sub, admin)
    qs.submit(session, sub, sub.version, "Dr. Kepala", "Sekretaris", NIP, True, operator)
    session.commit()
    with pytest.raises(Conflict) as refused:
        rev.return_for_revision(session, sub, {"sk-bakohumas": "lagi"}, now() + timedelta(days=2), admin)
    assert "only once" in refused.value.message
    assert session.query(RevisionRequest).count() == 1


def test_a_stale_save_after_a_judges_return_merges_and_never_names_the_judge(
        session, season, make_user):
    period, operator, admin, sub = season
    judge = make_user(username="penilai-x", role="judge", unit_code=None,
                      name="Dra. Retno Wulandari, M.Si.")
    colleague = make_user(username="op-33-b", unit_code="33", name="Rekan Satker")
    session.add(JudgeAssignment(period_id=period.id, unit_code="33", judge_id=judge.id))
    session.commit()
    before = sub.version
    give_back(session, sub, judge)
    # a stale submit is refused, naming the judging team, never the judge
    with pytest.raises(Conflict) as refused:
        qs.submit(session, sub, before, "Dr. Kepala", "Sekretaris", NIP, True, operator)
    session.rollback()
    assert "Retno" not in refused.value.message and "Judging team" in refused.value.message
    # the operator's page was opened before the return: its changes still save (merged)
    qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, before, operator)
    session.commit()
    assert sub.answers["sk-bakohumas"] is True
    # a conflict with a colleague names the colleague
    opened = sub.version
    qa.save_answers(session, sub, {"struktur-tim": 2}, {}, opened, colleague)
    session.commit()
    with pytest.raises(Conflict) as refused:
        qa.save_answers(session, sub, {"struktur-tim": 1}, {}, opened, operator)
    assert "Rekan Satker" in refused.value.message


@pytest.mark.parametrize("reasons", [{}, {"sk-bakohumas": "   "}, {"tidak-ada": "x"}])
def test_at_least_one_reason_for_a_known_indicator(session, season, reasons):
    period, operator, admin, sub = season
    with pytest.raises(Invalid):
        rev.return_for_revision(session, sub, reasons, now() + timedelta(days=2), admin)
    session.rollback()
    assert q.get_submission(session, period, "33").status == "submitted"


def test_the_new_deadline_is_in_the_future_and_before_verification_closes(session, season):
    period, operator, admin, sub = season
    with pytest.raises(Invalid) as refused:
        rev.return_for_revision(session, sub, {"sk-bakohumas": "x"}, now() - timedelta(hours=1), admin)
    assert "future" in refused.value.message
    session.rollback()
    period.verification_closes_at = now() + timedelta(days=2)
    session.commit()
    with pytest.raises(Invalid) as refused:
        rev.return_for_revision(session, sub, {"sk-bakohumas": "x"}, now() + timedelta(days=3), admin)
    assert "before verification closes" in refused.value.message


def test_refused_after_verification_closes(session, season):
    period, operator, admin, sub = season
    period.verification_closes_at = now() - timedelta(minutes=1)
    session.commit()
    with pytest.raises(Closed):
        rev.return_for_revision(session, sub, {"sk-bakohumas": "x"}, now() + timedelta(days=1), admin)


def test_a_draft_cannot_be_returned(session, make_user, make_period):
    operator = make_user(username="op-33", unit_code="33")
    admin = make_user(username="kepala-biro", role="admin", unit_code=None)
    period = make_period(slug=SLUG)
    sub = q.get_or_create_submission(session, period, "33", operator)
    session.commit()
    with pytest.raises(Conflict):
        rev.return_for_revision(session, sub, {"sk-bakohumas": "x"}, now() + timedelta(days=1), admin)


def test_editable_until_the_revision_deadline_even_after_the_period_closed(session, season):
    period, operator, admin, sub = season
    request = give_back(session, sub, admin, days=3)
    period.closes_at = now() - timedelta(days=1)
    session.commit()
    assert qe.is_editable(sub)
    qa.save_answers(session, sub, {"struktur-tim": 0}, {}, sub.version, operator)
    with pytest.raises(Closed) as refused:
        qe.check_editable(sub, now=request.closes_at + timedelta(seconds=1))
    assert "revision deadline" in refused.value.message


# ---- pages -------------------------------------------------------------------------------------

def test_judge_returns_through_the_page_and_the_unit_sees_what_to_fix(client, auth, session, season,
                                                                      make_user):
    period, operator, admin, sub = season
    judge = make_user(username="penilai1", role="judge", unit_code=None)
    session.add(JudgeAssignment(period_id=period.id, unit_code="33", judge_id=judge.id))
    session.commit()
    auth.login("penilai1")
    english(client)
    url = f"/admin/moderation/{SLUG}/unit/33/kembalikan"
    assert client.get(url).status_code == 200
    deadline = (now() + timedelta(days=4)).astimezone(timezone(timedelta(hours=7)))
    empty = client.post(url, data={"closes_at": deadline.strftime("%Y-%m-%dT%H:%M")})
    assert empty.status_code == 422 and b"at least one indicator" in empty.data
    answer = client.post(url, data={"closes_at": deadline.strftime("%Y-%m-%dT%H:%M"),
                                    "reason-struktur-tim": "Struktur tim <b>belum</b> ditetapkan."})
    assert answer.status_code == 302 and "/versi" in answer.headers["Location"]
    assert client.get(answer.headers["Location"]).status_code == 200
    again = client.post(url, data={"closes_at": deadline.strftime("%Y-%m-%dT%H:%M"),
                                   "reason-sk-bakohumas": "x"})
    assert again.status_code == 409 and b"only once" in again.data

    auth.logout()
    auth.login("op-33")
    english(client)
    page = client.get(f"/kuesioner/{SLUG}").get_data(as_text=True)
    assert 'data-testid="revision-banner"' in page
    assert "Struktur tim &lt;b&gt;belum&lt;/b&gt; ditetapkan." in page      # escaped
    assert "penilai1" not in page                                            # no judge identity
    assert 'id="submit"' in page                                             # resubmission is open
    aspect = client.get(f"/kuesioner/{SLUG}/kelembagaan").get_data(as_text=True)
    assert "To fix:" in aspect and 'name="version"' in aspect               # editable again


def test_who_may_return_and_compare(client, auth, session, season, make_user):
    period, operator, admin, sub = season
    make_user(username="penilai2", role="judge", unit_code=None)          # not assigned
    make_user(username="op-11", unit_code="11")
    url = f"/admin/moderation/{SLUG}/unit/33/kembalikan"
    for username in ("penilai2", "op-11", "op-33"):
        auth.login(username)
        assert client.get(url).status_code == 403, username
        assert client.post(url, data={"reason-sk-bakohumas": "x"}).status_code == 403, username
        assert client.get(f"/admin/moderation/{SLUG}/unit/33/versi").status_code == 403, username
        auth.logout()
    assert session.query(RevisionRequest).count() == 0
    auth.login("kepala-biro")
    assert client.get(f"/admin/moderation/{SLUG}/unit/33/versi").status_code == 200
    assert client.get(f"/admin/moderation/{SLUG}/unit/99/versi").status_code == 404


def test_another_units_operator_sees_no_banner_of_ours(client, auth, session, season, make_user):
    period, operator, admin, sub = season
    give_back(session, sub, admin, reasons={"sk-bakohumas": "Rahasia unit 33"})
    make_user(username="op-11", unit_code="11")
    auth.login("op-11")
    page = client.get(f"/kuesioner/{SLUG}").get_data(as_text=True)
    assert "Rahasia unit 33" not in page and "revision-banner" not in page
    assert client.get(f"/kuesioner/{SLUG}/unit/33").status_code == 403
