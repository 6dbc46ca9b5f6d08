"""Every "only one" rule is kept by the database, not only by a check before the insert:
parallel requests (PostgreSQL, separate clients and connections) store exactly one row, and
the losers get a clear 409, never a 500. Rules: one pending objection per unit and
indicator, one return per submission, one active assignment per judge and unit, one
stage-two score per judge and unit, one good-practice entry per unit and indicator, one
publication per run."""
from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment.extensions import db
from assessment.models import (GoodPractice, JudgeAssignment, Objection, Publication,
                               RevisionRequest, ScoringRun, StageScore, Submission, User)
from assessment.models.types import utcnow
from tests.conftest import PASSWORD, SLUG, built_on
from tests.test_objections import UNIT, objection_season, season  # noqa: F401  (the fixture)

PARALLEL = 8
on_postgres = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                 reason="races need PostgreSQL (TEST_DATABASE_URL)")


def all_at_once(count, action):
    """Run ``action(n)`` in ``count`` threads released together; their results in order."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(n):
        barrier.wait()
        try:
            results[n] = action(n)
        except Exception as exc:          # reported, not swallowed: the test asserts on it
            results[n] = exc
    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@on_postgres
@built_on(objection_season)
def test_parallel_objection_posts_store_one_pending_objection(app, session, season):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the race is run on PostgreSQL")
    indicator = season["scale"].id
    clients = []
    for _n in range(PARALLEL):
        client = app.test_client()
        assert client.post("/akun/masuk", data={"username": "op-32", "password": PASSWORD}
                           ).status_code == 302
        clients.append(client)

    def post(n):
        return clients[n].post(f"/musim/{SLUG}/hasil-sementara/{indicator}/sanggah",
                               data={"reason": f"Bukti baru {n}."},
                               content_type="multipart/form-data").status_code
    statuses = all_at_once(PARALLEL, post)
    assert all(isinstance(s, int) and s < 500 for s in statuses), statuses
    assert 409 in statuses or statuses.count(302) == PARALLEL     # losers told, or refused
    session.expire_all()
    pending = session.scalar(select(func.count()).select_from(Objection).where(
        Objection.unit_code == UNIT, Objection.indicator_id == indicator,
        Objection.status == "pending"))
    assert pending == 1


def _rows(session, season):
    """One row per rule, built from the season: the kwargs of a row that may exist once."""
    period = season["period"]
    judge = session.scalar(select(User).where(User.role == "judge"))
    sub = session.scalar(select(Submission).where(Submission.period_id == period.id))
    run = session.scalar(select(ScoringRun).where(ScoringRun.period_id == period.id))
    indicator = season["scale"].id
    return {
        "pending objection": (Objection, dict(period_id=period.id, unit_code=UNIT,
                                              indicator_id=indicator, reason="x",
                                              status="pending")),
        "return": (RevisionRequest, dict(submission_id=sub.id, reasons={"x": "y"},
                                         closes_at=utcnow())),
        "assignment": (JudgeAssignment, dict(period_id=period.id, unit_code="11",
                                             judge_id=judge.id)),
        "stage-two score": (StageScore, dict(period_id=period.id, unit_code="11",
                                             stage_id="presentasi", judge_id=judge.id,
                                             score="80.00")),
        "good practice": (GoodPractice, dict(period_id=period.id, unit_code="11",
                                             indicator_id=indicator)),
        "publication": (Publication, dict(period_id=period.id, run_id=run.id)),
    }


KEYS = {"period_id", "unit_code", "indicator_id", "submission_id", "judge_id", "stage_id",
        "run_id"}
RULES = ["pending objection", "return", "assignment", "stage-two score", "good practice",
         "publication"]


@pytest.mark.postgres
@on_postgres
@pytest.mark.parametrize("rule", RULES)
@built_on(objection_season)
def test_parallel_inserts_keep_every_only_one_rule(app, session, season, rule):
    """Separate connections insert the same row at the same moment: one wins, every other
    is refused by the database (IntegrityError), whatever checks ran before."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the race is run on PostgreSQL")
    model, values = _rows(session, season)[rule]
    keys = {k: v for k, v in values.items() if k in KEYS}
    existing = session.query(model).filter_by(**keys).count()
    if model is Objection:
        existing = session.query(model).filter_by(status="pending", **keys).count()

    engine = db.engine

    def insert(_n):
        with Session(engine) as own:
            own.add(model(**values))
            own.commit()
        return "stored"
    results = all_at_once(PARALLEL, insert)
    stored = results.count("stored")
    assert stored == (0 if existing else 1), results
    assert all(r == "stored" or isinstance(r, IntegrityError) for r in results), results


def test_an_only_one_violation_is_a_409_page_and_a_409_json(app, client, auth, make_user,
                                                            monkeypatch):
    """However an IntegrityError reaches a view, people get a page and the API JSON, 409."""
    from assessment import security
    from assessment.views import main as main_views
    make_user(username="op-33", unit_code="33")
    app.view_functions["main.raise_integrity"] = lambda: (_ for _ in ()).throw(
        IntegrityError("INSERT", {}, Exception("duplicate key")))
    app.url_map.add(app.url_rule_class("/uji-409", endpoint="main.raise_integrity"))
    page = client.get("/uji-409")
    assert page.status_code == 409 and "text/html" in page.content_type
    with app.test_request_context("/api/v1/x"):
        body, status = security.only_one_conflict(IntegrityError("INSERT", {}, Exception("dup")))
        assert status == 409 and body.get_json()["error"] == "conflict"
    assert main_views  # the error page template is the main blueprint's
