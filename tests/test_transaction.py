"""The transaction boundary (assessment/transaction.py) for pages, the API and commands; files
after commit; the files sweep; the e-mail outbox (once only, failures kept and retried)."""
from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import abort

import run
from assessment import outbox, uploads
from assessment.extensions import db
from assessment.models import AuditLog, Evidence, Notice, Submission
from assessment.models.types import utcnow
from assessment.operations import Invalid
from assessment.operations import evidence as evidence_ops
from assessment.operations import questionnaire as q
from assessment.operations.notices import notify
from assessment.operations.tokens import create_token
from assessment.transaction import after_commit, after_rollback, attempt, transaction
from tests.test_notifications import free_port, smtp  # noqa: F401 (the SMTP fixture)
from tests.test_questionnaire_operations import PDF


def titles(session) -> list[str]:
    session.expire_all()
    return sorted(n.title for n in session.query(Notice))


# ---- pages -------------------------------------------------------------------------------

@pytest.fixture
def routes(app, make_user):
    """Test views that write a notice and then end in different ways."""
    user = make_user("op-33")
    user_id, calls = user.id, []

    def add(title):
        db.session.add(Notice(user_id=user_id, kind="t", title=title))
        db.session.flush()

    def ok():
        add("ok")
        after_commit(lambda: calls.append("committed"))
        after_rollback(lambda: calls.append("rolled back"))
        return "ok"

    def refused():
        add("refused")
        after_commit(lambda: calls.append("committed"))
        after_rollback(lambda: calls.append("rolled back"))
        raise Invalid("no")

    def aborted():
        add("aborted")
        abort(403)

    def crashed():
        add("crashed")
        raise RuntimeError("boom")

    def answered():
        add("kept")   # like a failed-login count or answers kept as typed
        try:
            with attempt():
                add("undone")
                raise Invalid("no")
        except Invalid:
            return "refused", 422

    for view in (ok, refused, aborted, crashed, answered):
        app.add_url_rule(f"/_t/{view.__name__}", view.__name__, view)
    return calls


def test_a_page_that_returns_is_committed_with_its_hooks(client, session, routes):
    assert client.get("/_t/ok").status_code == 200
    assert titles(session) == ["ok"] and routes == ["committed"]


@pytest.mark.parametrize("path, status", [("refused", 422), ("aborted", 403), ("crashed", 500)])
def test_a_page_that_raises_is_rolled_back(client, session, routes, path, status):
    assert client.get(f"/_t/{path}").status_code == status
    assert titles(session) == []
    assert "committed" not in routes


def test_a_refusal_answered_by_the_view_undoes_only_the_savepoint(client, session, routes):
    assert client.get("/_t/answered").status_code == 422
    assert titles(session) == ["kept"]


# ---- API ---------------------------------------------------------------------------------

def test_a_refused_api_call_changes_nothing(client, session, make_user, make_period):
    period = make_period()
    user = make_user("op-33")
    _token, secret = create_token(session, user, "test")
    session.commit()
    url = f"/api/v1/periods/{period.slug}/units/33/submission"
    headers = {"Authorization": f"Bearer {secret}"}
    bad = client.put(url, json={"answers": {"no-such-indicator": 1}, "version": 1}, headers=headers)
    assert bad.status_code == 422 and bad.json["error"] == "invalid"
    # the draft created before the refusal was rolled back with it
    assert session.query(Submission).count() == 0
    good = client.put(url, json={"answers": {}, "version": 1}, headers=headers)
    assert good.status_code == 200
    session.expire_all()
    assert session.query(Submission).count() == 1


# ---- commands ----------------------------------------------------------------------------



def test_a_command_commits_once_or_changes_nothing(app, session):
    from assessment import cli as commands
    calls = []

    def good(s, _args):
        s.add(Notice(user_id=1, kind="t", title="good"))
        after_commit(lambda: calls.append("committed"), s)

    def bad(s, _args):
        s.add(Notice(user_id=1, kind="t", title="bad"))
        after_rollback(lambda: calls.append("rolled back"), s)
        raise commands.CommandError("refused")

    assert commands.run(app, good, None) == 0
    assert commands.run(app, bad, None) == commands.EXIT_BAD_INPUT
    with app.app_context():
        assert titles(db.session) == ["good"]
    assert calls == ["committed", "rolled back"]


# ---- files -------------------------------------------------------------------------------

def files_in(folder) -> list[str]:
    return sorted(p.name for p in Path(folder).iterdir())


def test_an_upload_is_moved_into_place_only_after_commit(app, session):
    folder = app.config["UPLOAD_DIR"]
    before = files_in(folder)
    stored = uploads.store(folder, PDF)
    assert files_in(folder) == sorted(before + [f".{stored.stored_name}.part"])
    session.commit()
    assert files_in(folder) == sorted(before + [stored.stored_name])


def test_an_upload_is_removed_on_rollback_also_of_a_savepoint(app, session):
    folder = app.config["UPLOAD_DIR"]
    before = files_in(folder)
    uploads.store(folder, PDF)
    session.rollback()
    assert files_in(folder) == before
    with pytest.raises(Invalid), transaction(session):
        with attempt(session):
            uploads.store(folder, PDF)
            raise Invalid("refused")
    assert files_in(folder) == before
    with transaction(session):
        with pytest.raises(Invalid), attempt(session):
            uploads.store(folder, PDF)
            raise Invalid("refused")
    assert files_in(folder) == before


def test_deleted_evidence_leaves_the_disk_after_commit(app, session, make_user, make_period):
    period, user = make_period(), make_user("op-33")
    sub = q.get_or_create_submission(session, period, "33", user)
    ev = evidence_ops.add_file(session, sub, "sk-bakohumas", "sk.pdf", PDF, user,
                               upload_dir=app.config["UPLOAD_DIR"], max_bytes=10 ** 6)
    session.commit()
    path = uploads.path_of(app.config["UPLOAD_DIR"], ev.stored_name)
    assert path.read_bytes() == PDF
    evidence_ops.delete_evidence(session, ev, user)
    session.rollback()
    assert path.exists()   # the deletion was not committed
    evidence_ops.delete_evidence(session, session.get(Evidence, ev.id), user)
    assert path.exists()
    session.commit()
    assert not path.exists()


def test_files_sweep_removes_only_old_unreferenced_files(app, session, make_user, make_period,
                                                          cli):
    folder = Path(app.config["UPLOAD_DIR"])
    period, user = make_period(), make_user("op-33")
    sub = q.get_or_create_submission(session, period, "33", user)
    kept = evidence_ops.add_file(session, sub, "sk-bakohumas", "sk.pdf", PDF, user,
                                 upload_dir=str(folder), max_bytes=10 ** 6)
    session.commit()
    names = {"orphan": "a" * 32, "young": "b" * 32, "part": f".{'c' * 32}.part",
             "other": "README.txt"}
    for name in names.values():
        (folder / name).write_bytes(b"x")
    old = time.time() - 2 * 3600
    for key in ("orphan", "part", "other"):
        os.utime(folder / names[key], (old, old))
    os.utime(folder / kept.stored_name, (old, old))
    code, out, _err = cli("files", "sweep", "--dry-run")
    assert code == 0 and "would remove" in out and "2 file(s) would remove" in out
    assert (folder / names["orphan"]).exists()
    code, out, _err = cli("files", "sweep")
    assert code == 0 and "2 file(s) removed" in out
    assert names["orphan"] in out and names["part"] in out
    left = set(files_in(folder))
    assert {kept.stored_name, names["young"], names["other"]} <= left
    assert not {names["orphan"], names["part"]} & left


# ---- the outbox ----------------------------------------------------------------------------

def test_outbox_sends_each_notice_once(app, session, make_user, smtp):  # noqa: F811
    user = make_user("op-a", unit_code="33", email="a@kpu.test")
    notify(session, [user], "info", "Judul", "Isi")
    assert smtp.messages == []            # nothing before the commit
    session.commit()
    assert len(smtp.messages) == 1
    assert outbox.deliver(app).sent == 0  # already sent: not again
    assert outbox.deliver(app, now=utcnow() + timedelta(days=1)).sent == 0
    assert len(smtp.messages) == 1
    notice = session.query(Notice).one()
    assert notice.email_status == "sent" and notice.emailed_at and notice.email_error is None


def test_a_rolled_back_notice_is_never_mailed(app, session, make_user, smtp):  # noqa: F811
    user = make_user("op-a", unit_code="33", email="a@kpu.test")
    notify(session, [user], "info", "Judul", "Isi")
    session.rollback()
    assert outbox.deliver(app).sent == 0 and smtp.messages == []


def test_server_down_is_recorded_retried_with_backoff_and_reported(app, session, make_user, smtp,  # noqa: F811
                                                                  cli):
    port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()   # nothing listens there
    user = make_user("op-a", unit_code="33", email="a@kpu.test")
    notify(session, [user], "info", "Judul", "Isi")
    session.commit()
    notice = session.query(Notice).one()
    assert notice.emailed_at is None and notice.email_status == "pending"
    assert notice.email_attempts == 1 and notice.email_error
    assert notice.email_next_at > utcnow() + timedelta(minutes=4)
    assert session.query(AuditLog).filter_by(action="notice.email_failed").count() == 1
    # not due yet: the command sends nothing and fails nothing
    os.environ["SMTP_HOST"], os.environ["SMTP_PORT"] = "127.0.0.1", str(app.config["SMTP_PORT"])
    try:
        assert cli("mail", "send")[0] == 0
        session.query(Notice).update({"email_next_at": utcnow() - timedelta(seconds=1)})
        session.commit()
        code, _out, err = cli("mail", "send")   # due, server still down: reported, exit 1
        assert code == 1 and "e-mail not sent" in err and "op-a" in err
        notice = session.get(Notice, notice.id)
        assert notice.email_attempts == 2 and notice.emailed_at is None
        assert notice.email_next_at - utcnow() > timedelta(minutes=9)   # backoff doubled
        session.query(Notice).update({"email_next_at": utcnow() - timedelta(seconds=1)})
        session.commit()
        os.environ["SMTP_PORT"] = str(port)   # the server is back
        code, out, _err = cli("mail", "send")
        assert code == 0 and "1 e-mail(s) sent" in out
        assert cli("mail", "send")[1].startswith("0 e-mail(s) sent")
    finally:
        os.environ.pop("SMTP_HOST"), os.environ.pop("SMTP_PORT")
    assert len(smtp.messages) == 1
    notice = session.get(Notice, notice.id)
    assert notice.email_status == "sent" and notice.emailed_at


def test_backoff_grows_and_is_capped():
    waits = [outbox.backoff(n) for n in range(1, 10)]
    assert waits[0] == timedelta(minutes=5) and waits[1] == timedelta(minutes=10)
    assert waits == sorted(waits) and max(waits) == outbox.LONGEST_WAIT
