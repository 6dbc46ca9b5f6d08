"""Issue 13: the notices page and unread count, the notice to a unit whose deadline moved,
and the progress list (completeness, deadline, search, pages of 50, "Kirim pengingat")."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from assessment.extensions import db
from assessment.models import AuditLog, Notice, Submission, User
from assessment.models.types import utcnow
from assessment.operations.notices import notify
from assessment.operations.periods import extend_deadline
from tests.conftest import SLUG, english
from tests.test_notifications import smtp  # noqa: F401


@pytest.fixture
def admin(client, auth, make_user):
    user = make_user("admin2", role="admin", unit_code=None)
    auth.login("admin2")
    english(client)
    return user


def test_unread_count_in_the_menu_and_the_notices_page(client, auth, make_user, session):
    user = make_user("op-33")
    notify(session, [user], "info", "Pesan satu", "Isi satu")
    notify(session, [user], "info", "Pesan dua", "Isi dua")
    session.commit()
    auth.login("op-33")
    english(client)
    page = client.get("/pemberitahuan/").get_data(as_text=True)
    assert "Pesan satu" in page and "Pesan dua" in page
    assert '<span class="badge text-bg-warning">2<span class="visually-hidden"> unread' in page
    first = session.query(Notice).filter_by(title="Pesan satu").one()
    assert client.post(f"/pemberitahuan/{first.id}/dibaca").status_code == 302
    unread = client.get("/pemberitahuan/").get_data(as_text=True)
    assert "Pesan satu" not in unread and ">1<span" in unread
    assert "Pesan satu" in client.get("/pemberitahuan/?tampil=semua").get_data(as_text=True)
    client.post("/pemberitahuan/dibaca-semua")
    assert "text-bg-warning" not in client.get("/pemberitahuan/").get_data(as_text=True)


def test_another_users_notice_cannot_be_marked(client, auth, make_user, session):
    make_user("op-33")
    other = make_user("op-34", unit_code="34")
    notice = notify(session, [other], "info", "Rahasia", "x")[0]
    session.commit()
    auth.login("op-33")
    assert client.post(f"/pemberitahuan/{notice.id}/dibaca").status_code == 404
    assert "Rahasia" not in client.get("/pemberitahuan/?tampil=semua").get_data(as_text=True)


def test_an_extension_tells_the_unit_in_app_and_by_email(session, make_user, make_period, smtp):  # noqa: F811
    period = make_period(slug=SLUG)
    make_user("op-33", email="op33@kpu.test")
    make_user("op-34", unit_code="34", email="op34@kpu.test")
    admin = session.query(User).filter_by(username="admin").one()
    extend_deadline(session, period, period.closes_at + timedelta(days=3), "Banjir", admin,
                    unit_code="33")
    session.commit()
    notices = session.query(Notice).filter_by(kind="deadline").all()
    names = {u.id: u.username for u in session.query(User)}
    assert [names[n.user_id] for n in notices] == ["op-33"]
    assert "Banjir" in notices[0].body
    assert [m["to"] for m in smtp.messages] == [["op33@kpu.test"]]
    # everyone's deadline: every unit not submitted whose time moved is told
    extend_deadline(session, period, period.closes_at + timedelta(days=5), "Libur", admin)
    session.commit()
    told = {names[n.user_id] for n in session.query(Notice).filter_by(kind="deadline")
            if "Libur" in n.body}
    assert told == {"op-33", "op-34"}


def test_a_returned_questionnaire_notifies_the_unit(session, make_user, make_period):
    from assessment.models import Notice as N
    from assessment.operations.revision import return_for_revision
    period = make_period(slug=SLUG, opens=-10, closes=-1)
    make_user("op-33")
    admin = session.query(User).filter_by(username="admin").one()
    sub = Submission(period_id=period.id, unit_code="33", status="submitted", answers={},
                     submitted_at=utcnow())
    session.add(sub)
    session.commit()
    return_for_revision(session, sub, {"sk-bakohumas": "Lampirkan SK"}, utcnow() + timedelta(days=3),
                        admin)
    session.commit()
    notice = session.query(N).filter_by(kind="returned").one()
    assert session.get(User, notice.user_id).username == "op-33"


def count_queries(app):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(engine, "before_cursor_execute", before)


def test_progress_list_columns_search_pages_and_few_queries(app, client, admin, make_period, session):
    period = make_period(slug=SLUG)
    session.add(Submission(period_id=period.id, unit_code="33", status="draft",
                           answers={"sk-bakohumas": True}))
    session.commit()
    page = client.get(f"/pemantauan/{SLUG}/").get_data(as_text=True)
    assert "units shown · page 1 of" in page
    assert page.count('name="unit"') == 50                      # 50 rows a page
    found = client.get(f"/pemantauan/{SLUG}/?q=jawa+tengah").get_data(as_text=True)
    assert found.count('name="unit"') == 1 and 'name="unit" value="33"' in found
    assert "1 unit shown" in client.get(f"/pemantauan/{SLUG}/?q=33.74").get_data(as_text=True)
    one = client.get(f"/pemantauan/{SLUG}/?q=Provinsi+Jawa+Tengah").get_data(as_text=True)
    assert "1/" in one                                        # one scored indicator answered
    statements, stop = count_queries(app)
    client.get(f"/pemantauan/{SLUG}/?page=3")
    third = len(statements)
    client.get(f"/pemantauan/{SLUG}/?page=5")
    stop()
    assert third == len(statements) - third < 30               # no query per row


def test_progress_shows_a_units_extended_deadline(client, admin, make_period, session):
    period = make_period(slug=SLUG)
    admin_user = session.query(User).filter_by(username="admin").one()
    extend_deadline(session, period, period.closes_at + timedelta(days=2), "Banjir", admin_user,
                    unit_code="33.74")
    session.commit()
    page = client.get(f"/pemantauan/{SLUG}/?q=33.74").get_data(as_text=True)
    assert "extended" in page


def test_reminders_to_selected_units_and_to_all_not_started(client, admin, make_user, make_period,
                                                           session, smtp):  # noqa: F811
    period = make_period(slug=SLUG)
    make_user("op-33", email="op33@kpu.test")
    make_user("op-34", unit_code="34", email="op34@kpu.test")
    make_user("op-35", unit_code="35")
    session.add(Submission(period_id=period.id, unit_code="34", status="draft", answers={}))
    session.commit()
    response = client.post(f"/pemantauan/{SLUG}/pengingat", data={"target": "selected", "unit": ["33", "34"]})
    assert response.status_code == 302
    assert sorted(m["to"][0] for m in smtp.messages) == ["op33@kpu.test", "op34@kpu.test"]
    entries = session.query(AuditLog).filter_by(action="notice.manual_reminder").all()
    assert sorted(e.unit_code for e in entries) == ["33", "34"]
    assert all(e.user_id == admin.id for e in entries)
    client.post(f"/pemantauan/{SLUG}/pengingat", data={"target": "not_started"})
    units = {e.unit_code for e in session.query(AuditLog).filter_by(action="notice.manual_reminder")}
    assert units == {"33", "34", "35"}              # 34 has a draft: not reminded again
    client.post(f"/pemantauan/{SLUG}/pengingat", data={"target": "draft"})
    assert session.query(AuditLog).filter_by(action="notice.manual_reminder", unit_code="34").count() == 2


def test_only_admins_send_reminders_and_with_csrf(app, client, auth, make_user, make_period, session):
    make_period(slug=SLUG)
    make_user("monitor-33", role="monitor", unit_code="33")
    auth.login("monitor-33")
    assert client.get(f"/pemantauan/{SLUG}/").status_code == 200
    assert client.post(f"/pemantauan/{SLUG}/pengingat", data={"target": "not_started"}).status_code == 403
    auth.logout()
    make_user("admin2", role="admin", unit_code=None)
    auth.login("admin2")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/pemantauan/{SLUG}/pengingat", data={"target": "not_started"}).status_code == 400
    for path in ("/pemberitahuan/dibaca-semua",):
        assert client.post(path).status_code == 400
    assert session.query(AuditLog).filter_by(action="notice.manual_reminder").count() == 0
