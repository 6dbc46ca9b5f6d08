"""``python run.py --demo``: accounts, a living open period, valid synthetic data, idempotence.

The ``demo`` fixture (tests/conftest.py) is the demo built once per test session; each
test gets its own copy of it."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import func

import run
from assessment.demo import DEMO_PASSWORD, create_demo, current_period
from assessment.extensions import db
from assessment.models import (AuditLog, Evidence, JudgeAssignment, Objection, Period,
                               StageScore, Submission, SubmissionSnapshot, User, WorkUnit)
from assessment.models.types import utcnow
from assessment.operations.judging import judge_conflict
from assessment.operations.submission import missing_items, statement_errors
from assessment.operations.runs import latest_run, published_run, run_result, shortlisted_units
from assessment.rubric_store import rubric_for
from assessment.scores import self_scores_for
from scoring import check_answer
from reports.indonesian import WIB



@pytest.fixture
def in_request(app):
    """missing_items words its reasons for people, in the request's language."""
    with app.test_request_context():
        yield


def totals(session):
    return {model.__name__: session.query(model).count()
            for model in (User, Period, Submission, Evidence, SubmissionSnapshot)}


def test_demo_accounts(demo, session):
    roles = dict(session.query(User.role, func.count()).group_by(User.role).all())
    assert roles == {"admin": 1, "judge": 6, "operator": 552, "monitor": 38}
    assert session.query(User).filter_by(username="penilai3").one().unit_code == "33"
    assert {u.unit_code for u in session.query(User).filter(User.username.in_(
        ["penilai1", "penilai2", "penilai4", "penilai5", "penilai6"]))} == {"00"}
    assert session.query(User).filter_by(username="op-33.74").one().unit_code == "33.74"
    assert session.query(User).filter_by(username="op-00").first() is None   # KPU RI takes no part
    monitor = session.query(User).filter_by(username="monitor-33").one()
    assert (monitor.role, monitor.unit_code) == ("monitor", "33")
    # one hash for all: the password was hashed once
    assert session.query(func.count(func.distinct(User.password_hash))).scalar() == 1
    assert DEMO_PASSWORD in demo and "op-33" in demo and "penilai1" in demo


def test_demo_password_logs_in_operator_and_admin(demo, auth, client):
    assert auth.login("op-33", DEMO_PASSWORD).status_code == 302
    assert client.get("/dasbor/").status_code == 200
    auth.logout()
    assert auth.login("admin", DEMO_PASSWORD).status_code == 302


def test_demo_period_is_open_now(demo, session):
    period = session.query(Period).filter_by(slug="bakohumas-2025").one()
    now = utcnow()
    assert period.title == "Penilaian Tata Kelola Bakohumas 2025"
    # the open period uses the default edition; the published seasons keep theirs
    assert period.rubric_id == "bakohumas-2026" and period.levels == ["provinsi", "kabkota"]
    opens, closes = period.opens_at.astimezone(WIB), period.closes_at.astimezone(WIB)
    today = now.astimezone(WIB).date()
    assert opens.date() == today - timedelta(days=10)
    assert (closes.date(), closes.hour, closes.minute) == (today + timedelta(days=14), 23, 59)
    assert period.opens_at < now < period.closes_at


def test_demo_status_mix(demo, session):
    period = session.query(Period).filter_by(slug="bakohumas-2025").one()
    statuses = dict(session.query(Submission.status, func.count())
                    .filter_by(period_id=period.id).group_by(Submission.status).all())
    submitted, draft = statuses["submitted"], statuses["draft"]
    not_started = 552 - submitted - draft
    assert set(statuses) == {"submitted", "draft"}
    assert 0.5 * 552 < submitted < 0.7 * 552
    assert 0.15 * 552 < draft < 0.35 * 552
    assert 0.08 * 552 < not_started < 0.25 * 552
    assert f"{submitted} units submitted, {draft} drafts, {not_started} not started" in demo
    assert session.query(Submission).filter_by(unit_code="00").first() is None


def test_demo_submissions_are_valid_and_complete(demo, in_request, session):
    period = session.query(Period).filter_by(slug="bakohumas-2025").one()
    rubric = rubric_for(period)
    subs = session.query(Submission).filter_by(period_id=period.id).all()
    pending = 0
    for sub in subs:
        for key, value in sub.answers.items():
            check_answer(rubric.indicator(key), value)     # every stored answer is valid
        assert not set(sub.pending) & set(sub.answers)
        pending += bool(sub.pending)
        for entry in sub.pending.values():
            assert entry["raw"] and entry["error"]
        if sub.status == "submitted":
            assert missing_items(rubric, sub) == [], sub.unit_code
            assert statement_errors(sub.head_name, sub.head_position, sub.head_nip, True) == {}
            assert sub.head_position == f"Ketua {sub.unit.name}"
            assert sub.submitted_at and sub.submitted_by and sub.version >= 2
        else:
            assert missing_items(rubric, sub), sub.unit_code   # drafts are really partial
    assert pending >= 10
    snapshots = (session.query(SubmissionSnapshot).filter_by(kind="submit")
                 .filter(SubmissionSnapshot.submission_id.in_([s.id for s in subs])).all())
    assert len(snapshots) == sum(s.status == "submitted" for s in subs)
    snap = snapshots[0]
    sub = session.get(Submission, snap.submission_id)
    assert snap.version == sub.version and snap.answers == sub.answers
    assert {e["indicator"] for e in snap.evidence} == {e.indicator_id for e in sub.evidence}


def test_demo_evidence_is_links_only(demo, session):
    kinds = dict(session.query(Evidence.kind, func.count()).group_by(Evidence.kind).all())
    assert set(kinds) == {"link"} and kinds["link"] > 1000
    for (url,) in session.query(Evidence.url).limit(500):
        parsed = urlparse(url)
        assert parsed.scheme == "https" and parsed.netloc
    jateng = {url for (url,) in session.query(Evidence.url).join(Submission)
              .filter(Submission.unit_code == "33")}
    assert any(url.startswith("https://jateng.kpu.go.id/") for url in jateng)


def test_jawa_tengah_is_a_strong_submitted_unit(demo, session):
    period = session.query(Period).filter_by(slug="bakohumas-2025").one()
    rubric = rubric_for(period)
    sub = session.query(Submission).filter_by(period_id=period.id, unit_code="33").one()
    assert sub.status == "submitted"
    assert sub.head_position == "Ketua KPU Provinsi Jawa Tengah"
    assert re.fullmatch(r"\d{18}", sub.head_nip)
    provinces = [self_scores_for(rubric, s.unit_code, s.answers)["total"]
                 for s in session.query(Submission).join(WorkUnit)
                 .filter(Submission.period_id == period.id, Submission.status == "submitted",
                         WorkUnit.level == "provinsi")]
    own = self_scores_for(rubric, "33", sub.answers)["total"]
    assert own >= 85
    assert sorted(provinces, reverse=True).index(own) < 3


def test_demo_is_idempotent(demo, app, session, auth):
    before = totals(session)
    admin = session.query(User).filter_by(username="admin").one()
    admin.password_hash = "scrypt:changed"
    session.commit()
    text = create_demo(app)
    session.expire_all()
    assert totals(session) == before
    assert "exists already" in text and "0 created now" in text
    assert session.query(AuditLog).filter_by(action="demo.create").count() == 2
    assert auth.login("admin", DEMO_PASSWORD).status_code == 302


def test_demo_leaves_a_real_period_alone(app, session, make_period, monkeypatch):
    real = make_period(slug="bakohumas-2025")
    # the open period alone: the finished seasons have slugs of their own
    monkeypatch.setattr("assessment.demo.DEMO_PERIODS", [current_period])
    text = create_demo(app)
    assert "not a demo period" in text
    assert session.query(Submission).filter_by(period_id=real.id).count() == 0
    assert session.query(User).filter_by(role="operator").count() == 552


def test_run_demo_prints_the_accounts_and_serves(demo, app, monkeypatch, capsys):
    """``python run.py --demo`` wiring: prepare, create_demo, then serve (stubbed here); on
    a copy of the demo, so create_demo finds its periods made (creating them is tested above)."""
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("UPLOAD_DIR", app.config["UPLOAD_DIR"])
    served = []
    monkeypatch.setattr("flask.Flask.run", lambda self, **kw: served.append(kw))
    assert run.main(["--demo", "--port", "5055"]) == 0
    out = capsys.readouterr().out
    assert f"demo password: {DEMO_PASSWORD}" in out and "exists already" in out
    assert len(served) == 1
    assert {key: served[0][key] for key in ("host", "port", "threaded", "use_reloader")} == {
        "host": "127.0.0.1", "port": 5055, "threaded": True, "use_reloader": False}
    db.session.expire_all()
    assert db.session.query(Submission).count() > 400


def test_demo_holds_a_finished_published_season(demo, session):
    """The earlier period went through the whole season: two judges per unit without
    conflicts, stage two for the shortlist, decided objections, a published final run."""
    period = session.query(Period).filter_by(slug="bakohumas-2024").one()
    subs = session.query(Submission).filter_by(period_id=period.id, status="submitted").all()
    assignments = session.query(JudgeAssignment).filter_by(period_id=period.id).all()
    per_unit = {}
    for a in assignments:
        assert not judge_conflict(a.judge, a.unit, period), (a.judge.username, a.unit_code)
        assert a.completed_at is not None and a.verifications
        per_unit.setdefault(a.unit_code, set()).add(a.judge_id)
    assert {s.unit_code for s in subs} == set(per_unit)
    assert all(len(judges) == 2 for judges in per_unit.values())
    run = published_run(session, period)
    assert run is not None and run.kind == "final" and run == latest_run(session, period)
    ranked = {row["unit"] for row in run_result(run)["ranking"]}
    assert ranked == set(per_unit)
    shortlist = shortlisted_units(session, period)
    assert shortlist and {s.unit_code for s in session.query(StageScore).filter_by(
        period_id=period.id)} == shortlist
    reached = {row["unit"] for row in run_result(run)["ranking"] if row["stage_reached"] == "presentasi"}
    assert reached == shortlist
    outcomes = {o.status for o in session.query(Objection).filter_by(period_id=period.id)}
    assert outcomes == {"accepted", "rejected"}


def test_demo_answers_respect_the_2026_edition(demo, session):
    """Every stored answer of the open period is valid for its edition: numbers within
    their bounds (whole where required), tidak-berlaku only where allowed, and some used."""
    from assessment.models import Submission
    from assessment.rubric_store import rubric_for
    from rubrics import NOT_APPLICABLE
    from scoring import check_answer
    period = session.query(Period).filter_by(slug="bakohumas-2025").one()
    rubric = rubric_for(period)
    not_applicable = 0
    for answers, in session.query(Submission.answers).filter_by(period_id=period.id):
        for key, value in (answers or {}).items():
            ind = rubric.indicator(key)
            check_answer(ind, value)   # raises on a value out of bounds or a wrong NA
            if value == NOT_APPLICABLE:
                assert ind.allow_na
                not_applicable += 1
            elif ind.type == "number" and value is not None:
                assert ind.max is None or value <= ind.max
                assert not ind.integer or float(value).is_integer()
    assert not_applicable > 0
