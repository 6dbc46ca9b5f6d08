"""Issue 15: a unit's feedback page keeps its content (everything but the good-practice
section) per published run, unit, period version and language (operations/feedback.py
``kept_body``), in memory and as a file, and its charts are served after one query for the
published run's file key, reading none of the run's long columns. Counted, never timed."""
from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

import pytest

from assessment import run_files
from assessment.models import JudgeAssignment, User, Verification
from assessment.operations import feedback as feedback_ops
from assessment.operations import public_results
from assessment.operations.results import run_file_key
from assessment.views import feedback as feedback_views
from tests.conftest import PASSWORD, Counter, english
from tests.test_feedback import SEMARANG, url
from tests.test_feedback import season, users  # noqa: F401 (fixtures)

TOKEN = re.compile(r'name="csrf_token"[^>]*value="[^"]*"|value="[^"]*" name="csrf_token"')


@pytest.fixture
def fresh(monkeypatch):
    """A fresh worker (no content or file key kept in memory) that counts the units'
    feedback worked out and the contents rendered to be kept."""
    monkeypatch.setattr(feedback_ops, "_BODIES", OrderedDict())
    monkeypatch.setattr(feedback_ops, "_bodies_rendered", [0])
    monkeypatch.setattr(public_results, "_KEYS", {})
    worked_out = Counter(feedback_views.unit_feedback)
    monkeypatch.setattr(feedback_views, "unit_feedback", worked_out)
    return worked_out


def _kept_files(app, run) -> list[Path]:
    return sorted(Path(run_files.cache_dir(app)).glob(f"{run_file_key(run)}-umpan-balik-*.html"))


def _page(response) -> str:
    assert response.status_code == 200
    return TOKEN.sub("", response.get_data(as_text=True))


def test_the_content_is_worked_out_once_per_run_unit_and_language(season, app, client, auth,
                                                                   users, fresh):
    _period, run, _judges = season
    auth.login("op-33.74")
    first = _page(client.get(url()))
    second = _page(client.get(url()))
    assert fresh.calls == 1 and feedback_ops._bodies_rendered[0] == 1
    assert len(_kept_files(app, run)) == 1
    feedback_ops._BODIES.clear()                 # another worker: reads the file
    third = _page(client.get(url()))
    assert fresh.calls == 1 and first == second == third
    assert "SK sudah ditandatangani, lampiran lengkap." in first
    english(client)
    english_page = _page(client.get(url()))
    assert fresh.calls == 2 and feedback_ops._bodies_rendered[0] == 2
    assert 'lang="en"' in english_page and "Scores by aspect" in english_page
    assert len(_kept_files(app, run)) == 2


def test_the_kept_content_is_the_content_rendered_afresh(season, app, client, auth, users,
                                                         fresh):
    _period, run, _judges = season
    auth.login("op-33.74")
    kept = _page(client.get(url()))
    for path in _kept_files(app, run):
        path.unlink()
    feedback_ops._BODIES.clear()
    again = _page(client.get(url()))
    assert fresh.calls == 2 and kept == again


def test_a_judges_comment_changed_after_publication_shows_at_once(season, session, app,
                                                                  client, auth, users, fresh):
    """A comment is not part of the frozen run: changing it bumps the period's version, so
    the content is rendered again and the run's older rendering is removed."""
    period, run, _judges = season
    auth.login("op-33.74")
    before = _page(client.get(url()))
    assert "SK sudah ditandatangani, lampiran lengkap." in before
    found = (session.query(Verification).join(JudgeAssignment)
             .filter(JudgeAssignment.period_id == period.id,
                     JudgeAssignment.unit_code == SEMARANG,
                     Verification.indicator_id == "sk-bakohumas",
                     Verification.comment != "").one())
    found.comment = "Lampiran SK diperbarui."
    session.commit()
    after = _page(client.get(url()))
    assert "Lampiran SK diperbarui." in after and "SK sudah ditandatangani" not in after
    assert fresh.calls == 2 and len(_kept_files(app, run)) == 1


def test_the_good_practice_choice_and_the_viewer_are_not_kept(season, session, client, auth,
                                                              users, fresh):
    auth.login("op-33.74")
    page = _page(client.get(url()))
    assert 'data-withhold="1"' in page
    assert client.post(url(tail="/praktik-baik"), data={"withhold": "1"}).status_code == 302
    page = _page(client.get(url()))
    assert 'data-withhold="0"' in page
    auth.logout()
    auth.login("monitor-33")                      # the province's monitor: no withhold form
    page = _page(client.get(url()))
    assert "data-withhold" not in page and "SK sudah ditandatangani" in page
    assert client.get(url(tail="/radar.png")).status_code == 200
    auth.logout()
    auth.login("op-33.01")                        # another unit's operator: still refused
    assert client.get(url()).status_code == 403
    assert client.get(url(tail="/radar.png")).status_code == 403
    auth.logout()
    auth.login("monitor-31")                      # another province's monitor
    assert client.get(url(tail="/radar.png")).status_code == 403
    auth.logout()
    admin = session.query(User).filter_by(role="admin").one()
    admin.set_password(PASSWORD)
    session.commit()
    auth.login(admin.username)                    # an admin: no such unit, no such period
    assert client.get(url(code="99.99", tail="/radar.png")).status_code == 404
    assert client.get(f"/umpan-balik/tidak-ada/{SEMARANG}/radar.png").status_code == 404


def test_a_kept_page_and_chart_read_no_long_column_of_the_run(season, app, client, auth,
                                                              users, fresh):
    """After the first view in a process (which works out the run's file key once), the
    page and its charts are served without reading the run's creation time or input hash,
    which on SQLite sit after megabytes of exchange document."""
    _period, run, _judges = season
    auth.login("op-33.74")
    key = run_file_key(run)
    client.get(url())
    for name in ("radar.png", "selisih.png"):   # drawn and kept (the job's work in production)
        client.get(url(tail=f"/{name}?run={key}"))
    with _statements(app) as sent:
        response = client.get(url(tail=f"/selisih.png?run={key}"))
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    # the account, its session record and the published run: the unit's own operator may
    # see the chart without the unit or the period being loaded
    assert len(sent) == 3 and not any("exchange_sha256" in statement for statement in sent)
    worked_out = fresh.calls
    with _statements(app) as sent:
        assert client.get(url()).status_code == 200
    assert not any("exchange_sha256" in statement for statement in sent)
    assert fresh.calls == worked_out


class _statements:
    """The SQL text of every statement sent while the block runs."""

    def __init__(self, app):
        from assessment.extensions import db
        with app.app_context():
            self.engine = db.engine
        self.sent: list[str] = []

    def _count(self, _conn, _cursor, statement, *_args):
        self.sent.append(statement)

    def __enter__(self):
        from sqlalchemy import event
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.sent

    def __exit__(self, *exc):
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self._count)
