"""Issue 15, the deadline rush: what a save, a submit and a read through the API send to the
database (counted, never timed), and the row lock that replaces the savepoint around the
versioned UPDATE on PostgreSQL: a save that waited for another save of the same
questionnaire reads its version and merges, it does not lose a race."""
from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from assessment.extensions import db
from assessment.models import AuditLog, Submission, User
from assessment.operations import Conflict
from assessment.operations.answers import save_answers
from assessment.operations.evidence import add_link
from assessment.operations.questionnaire import submission_for_api
from assessment.operations.submission import missing_items
from assessment.rubric_store import rubric_for
from tests.test_assessment_api import GOOD, HEAD, SUB, bearer, zero_answers


@contextmanager
def statements(app):
    """The SQL statements sent while the block runs, first word upper-cased, in order."""
    sent = []
    with app.app_context():
        engine = db.engine

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement)
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def kinds(sent) -> list[str]:
    """Each statement as its verb and table: "SELECT submission", "UPDATE submission"..."""
    out = []
    for statement in sent:
        words = statement.split()
        verb = words[0].upper()
        if verb == "SELECT":
            table = words[words.index("FROM") + 1] if "FROM" in words else ""
            # the submission's query starts with its columns, then the evidence subquery
            if words[1].startswith("submission."):
                table = "submission"
        elif verb == "INSERT":
            table = words[2]
        elif verb == "UPDATE":
            table = words[1]
        else:
            table = ""
        out.append(f"{verb} {table}".strip())
    return out


@pytest.fixture
def op(session, make_user, make_period):
    make_period()
    return bearer(session, make_user())


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_an_api_save_reads_the_questionnaire_once_and_sends_no_savepoint_on_postgresql(
        app, client, session, op):
    assert client.put(SUB.format("33"), json={"answers": GOOD, "version": 1},
                      headers=op).status_code == 200   # created; the token's use noted
    with statements(app) as sent:
        response = client.put(SUB.format("33"), json={"answers": {"jumlah-personel": 5},
                                                      "version": 2}, headers=op)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == 3
    expected = ["SELECT api_token", "SELECT period", "SELECT submission", "UPDATE submission",
                "INSERT audit_log"]
    if on_postgresql():
        assert kinds(sent) == expected
        assert sent[2].rstrip().endswith("FOR UPDATE OF submission")
    else:   # SQLite has no row lock: the versioned UPDATE keeps its savepoint
        assert [k for k in kinds(sent) if k not in ("SAVEPOINT", "RELEASE")] == expected
    assert session.query(AuditLog).filter_by(action="submission.save").count() == 2


def test_the_evidence_read_with_the_questionnaire_gives_the_same_missing_items(
        app, client, session, op):
    answers = {"sk-bakohumas": True, "struktur-tim": 2, "jumlah-personel": 4}
    assert client.put(SUB.format("33"), json={"answers": answers, "version": 1},
                      headers=op).status_code == 200
    sub = session.query(Submission).one()
    user = session.query(User).filter_by(username="op-33").one()
    add_link(session, sub, "sk-bakohumas", "https://kpu.go.id/sk", user)
    session.commit()
    with statements(app) as sent:
        shown = client.get(SUB.format("33"), headers=op).get_json()
    assert "SELECT evidence" not in kinds(sent)
    session.expire_all()
    sub = session.query(Submission).one()
    read, with_evidence = submission_for_api(session, sub.period, "33")
    assert read is sub and with_evidence == {"sk-bakohumas"}
    from_rows = missing_items(rubric_for(sub.period), sub)   # from sub.evidence, as before
    assert shown["missing"] == [{"indicator": i, "reason": str(r)} for i, r in from_rows]
    assert "sk-bakohumas" not in {m["indicator"] for m in shown["missing"]}


def test_an_api_submit_sends_no_savepoint_on_postgresql(app, client, session, op):
    assert client.put(SUB.format("33"), json={"answers": zero_answers(), "version": 1},
                      headers=op).status_code == 200
    with statements(app) as sent:
        response = client.post(SUB.format("33") + "/submit", json=dict(HEAD, version=2),
                               headers=op)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "submitted"
    found = kinds(sent)
    assert found.count("UPDATE submission") == 1 and "INSERT audit_log" in found
    assert ("SAVEPOINT" in found) is not on_postgresql()


def test_a_stale_submit_through_the_api_is_still_a_conflict(client, op):
    assert client.put(SUB.format("33"), json={"answers": zero_answers(), "version": 1},
                      headers=op).status_code == 200
    response = client.post(SUB.format("33") + "/submit", json=dict(HEAD, version=1), headers=op)
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"


# ---- two saves of one questionnaire at once (PostgreSQL) -----------------------------------

@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="a second connection needs PostgreSQL (TEST_DATABASE_URL)")
@pytest.mark.parametrize("key, value, merged", [("jumlah-personel", 9, False),
                                                ("struktur-tim", 3, True)])
def test_a_save_waits_for_the_lock_then_merges_or_conflicts(app, client, session, op,
                                                            key, value, merged):
    """Both saves are based on version 2. The first holds the row lock, uncommitted; the
    second waits at its read, then reads version 3 and merges: another indicator is saved
    beside the first save's, the same one is a conflict (nothing overwritten)."""
    if not on_postgresql():
        pytest.skip("the row lock is PostgreSQL's")
    assert client.put(SUB.format("33"), json={"answers": GOOD, "version": 1},
                      headers=op).status_code == 200
    period = session.query(Submission).one().period
    user = session.query(User).filter_by(username="op-33").one()
    first, _ = submission_for_api(session, period, "33", for_update=True)
    save_answers(session, first, {"jumlah-personel": 5}, {}, 2, user, strict=True, source="api")
    outcome = {}

    def second():
        with app.app_context():
            other = db.session
            try:
                sub, _ = submission_for_api(other, period, "33", for_update=True)
                outcome["read_version"] = sub.version
                save_answers(other, sub, {key: value}, {}, 2, other.get(User, user.id),
                             strict=True, source="api")
                other.commit()
                outcome["result"] = sub.version
            except Conflict as exc:
                other.rollback()
                outcome["result"] = exc
            except Exception as exc:   # shown by the assertions below
                outcome["error"] = repr(exc)
            finally:
                db.session.remove()
    thread = threading.Thread(target=second)
    thread.start()
    try:
        waiting = 0
        for _ in range(300):   # until the second save's read waits for the row lock
            # (a transaction sees one snapshot of pg_stat_activity unless it is cleared)
            session.execute(text("SELECT pg_stat_clear_snapshot()"))
            waiting = session.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            if waiting or not thread.is_alive():
                break
            time.sleep(0.1)
        assert waiting == 1, outcome
    finally:
        session.commit()
        thread.join(30)
    assert outcome["read_version"] == 3
    session.expire_all()
    stored = session.query(Submission).one()
    if merged:
        assert outcome["result"] == 4 and stored.version == 4
        assert stored.answers["jumlah-personel"] == 5 and stored.answers[key] == value
    else:
        assert isinstance(outcome["result"], Conflict)
        assert outcome["result"].details["conflicts"][0]["indicator"] == key
        assert stored.version == 3 and stored.answers["jumlah-personel"] == 5
