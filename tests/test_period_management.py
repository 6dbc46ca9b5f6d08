"""Periods managed from the web and the command line: edit the title and dates (earlier too,
with a reason; refused when it closes questionnaires being filled in, unless confirmed),
shorten a deadline, archive (no reminders, read-only everywhere), delete a period without
questionnaires; every change in the audit log."""
from __future__ import annotations

from datetime import timedelta

import pytest

from assessment.models import AuditLog, Notice, Period, ReminderSent, Submission
from assessment.models.types import utcnow
from assessment.models.units import WIB
from assessment.operations import Closed, Conflict, Invalid
from assessment.operations import periods as ops
from assessment.operations.editability import closes_at_for, refusal
from assessment.operations.notices import send_deadline_reminders

from .conftest import english


@pytest.fixture(autouse=True)
def _english_messages(app):
    from flask_babel import force_locale
    with app.app_context(), force_locale("en"):
        yield


@pytest.fixture
def admin(make_user):
    return make_user("bureau", role="admin", unit_code=None)


@pytest.fixture
def web_admin(client, auth, admin):
    auth.login("bureau")
    english(client)
    return admin


def draft(session, period, code="33"):
    sub = Submission(period_id=period.id, unit_code=code, status="draft", answers={})
    session.add(sub)
    session.commit()
    return sub


def typed(moment) -> str:
    """A moment as a datetime-local field sends it (WIB)."""
    return moment.astimezone(WIB).strftime("%Y-%m-%dT%H:%M")


def actions(session) -> list[str]:
    return [a for (a,) in session.query(AuditLog.action).order_by(AuditLog.id)]


# ---- edit ---------------------------------------------------------------------------------------

def test_edit_title_without_reason_and_dates_with_one(session, admin, make_period):
    period = make_period(closes=10)
    changes = ops.edit_period(session, period, admin, title="Penilaian 2025 (revisi)",
                              opens_at=period.opens_at, closes_at=period.closes_at)
    assert list(changes) == ["title"] and period.title == "Penilaian 2025 (revisi)"
    earlier = period.closes_at - timedelta(days=3)
    with pytest.raises(Invalid, match="reason is required"):
        ops.edit_period(session, period, admin, title=period.title, opens_at=period.opens_at,
                        closes_at=earlier)
    ops.edit_period(session, period, admin, title=period.title, opens_at=period.opens_at,
                    closes_at=earlier, reason="Tanggal salah ketik")
    session.commit()
    assert closes_at_for(period, None) == earlier
    entry = session.query(AuditLog).filter_by(action="period.edit").order_by(AuditLog.id.desc()).first()
    assert entry.detail["reason"] == "Tanggal salah ketik" and "closes_at" in entry.detail["changes"]


def test_an_earlier_close_that_shuts_a_draft_now_needs_confirmation(session, admin, make_period):
    period = make_period(closes=10)
    draft(session, period, "33")
    past = utcnow() - timedelta(hours=1)
    with pytest.raises(ops.WouldClose) as caught:
        ops.edit_period(session, period, admin, title=period.title, opens_at=period.opens_at,
                        closes_at=past, reason="Ditutup lebih awal")
    assert caught.value.details == {"units": ["33"]} and "KPU Provinsi Jawa Tengah" in caught.value.message
    session.rollback()
    assert closes_at_for(session.get(Period, period.id), None) > utcnow()
    ops.edit_period(session, period, admin, title=period.title, opens_at=period.opens_at,
                    closes_at=past, reason="Ditutup lebih awal", confirm=True)
    session.commit()
    sub = session.query(Submission).one()
    assert isinstance(refusal(period, sub.unit, sub), Closed)
    assert session.query(AuditLog).filter_by(action="period.edit").one().detail["confirmed"]


def test_an_earlier_close_still_in_the_future_needs_no_confirmation(session, admin, make_period):
    period = make_period(closes=10)
    draft(session, period)
    ops.edit_period(session, period, admin, title=period.title, opens_at=period.opens_at,
                    closes_at=utcnow() + timedelta(days=2), reason="Dipercepat")


def test_a_later_opening_also_counts_as_closing(session, admin, make_period):
    period = make_period(opens=-2, closes=10)
    draft(session, period)
    with pytest.raises(ops.WouldClose):
        ops.edit_period(session, period, admin, title=period.title, closes_at=period.closes_at,
                        opens_at=utcnow() + timedelta(days=1), reason="Belum siap")


def test_shortening_with_extensions_for_everyone_and_units(session, admin, make_period):
    period = make_period(closes=5)
    own = period.closes_at + timedelta(days=9)
    ops.extend_deadline(session, period, period.closes_at + timedelta(days=5), "Semua", admin)
    ops.extend_deadline(session, period, own, "Banjir", admin, unit_code="33.74")
    target = period.closes_at + timedelta(days=1)
    ops.extend_deadline(session, period, target, "Terlalu lama", admin)
    session.commit()
    assert closes_at_for(period, None) == target and closes_at_for(period, "33") == target
    assert closes_at_for(period, "33.74") == own           # the unit's own extension stays
    earlier = period.closes_at - timedelta(days=2)
    ops.extend_deadline(session, period, earlier, "Tanggal salah", admin)
    assert closes_at_for(period, None) == earlier and period.closes_at == earlier
    with pytest.raises(Invalid, match="earlier than everyone"):
        ops.extend_deadline(session, period, earlier - timedelta(hours=1), "x", admin, unit_code="33")
    assert {"period.extend", "period.shorten"} <= set(actions(session))


def test_edit_refusals(session, admin, make_period):
    period = make_period()
    with pytest.raises(Invalid, match="Nothing was changed"):
        ops.edit_period(session, period, admin, title=period.title, opens_at=period.opens_at,
                        closes_at=period.closes_at)
    with pytest.raises(Invalid, match="after the opening"):
        ops.edit_period(session, period, admin, title="x", opens_at=period.closes_at,
                        closes_at=period.opens_at, reason="r")


# ---- archive --------------------------------------------------------------------------------------

def test_an_archived_period_sends_no_reminders_and_changes_nothing(session, admin, make_period,
                                                                    make_user):
    period = make_period(closes=2)
    make_user("op-33", unit_code="33", email="op@kpu.test")
    sub = draft(session, period)
    with pytest.raises(Invalid):
        ops.archive_period(session, period, " ", admin)
    ops.archive_period(session, period, "Periode uji coba", admin)
    session.commit()
    assert send_deadline_reminders(session, utcnow()) == 0
    assert session.query(ReminderSent).count() == 0 and session.query(Notice).count() == 0
    assert "archived" in refusal(period, sub.unit, sub).message
    for change in (lambda: ops.extend_deadline(session, period, period.closes_at + timedelta(days=1), "r", admin),
                   lambda: ops.edit_period(session, period, admin, title="Baru",
                                           opens_at=period.opens_at, closes_at=period.closes_at),
                   lambda: ops.archive_period(session, period, "lagi", admin)):
        with pytest.raises(Closed, match="archived"):
            change()
    ops.unarchive_period(session, period, "Keliru diarsipkan", admin)
    session.commit()
    assert refusal(period, sub.unit, sub) is None
    assert send_deadline_reminders(session, utcnow()) == 1
    assert actions(session)[-3:-1] == ["period.archive", "period.unarchive"]


def test_archived_period_refuses_judging_objections_and_season_steps(session, admin, make_period):
    from assessment.operations import assign, objections, season
    period = make_period()
    ops.archive_period(session, period, "Arsip", admin)
    with pytest.raises(Closed, match="archived"):
        assign.auto_assign(session, period, admin)
    with pytest.raises(Closed, match="archived"):
        objections.check_window_open(period)
    with pytest.raises(Closed, match="archived"):
        season.check_gates(session, period, "provisional")


# ---- delete ---------------------------------------------------------------------------------------

def test_delete_a_period_without_questionnaires(session, admin, make_period):
    period = make_period(slug="uji-coba")
    period_id = period.id
    session.add(ReminderSent(period_id=period.id, unit_code="33", days=7))
    session.commit()
    ops.delete_period(session, period, "Periode uji coba", admin)
    session.commit()
    session.expire_all()
    # gone from every query, its slug free again; the audit log keeps its entries
    assert session.query(Period).count() == 0 and session.get(Period, period_id) is None
    entry = session.query(AuditLog).filter_by(action="period.delete").one()
    assert entry.period_id == period_id and entry.detail["slug"] == "uji-coba"
    again = make_period(slug="uji-coba")
    assert again.id != period_id
    hidden = session.query(Period).execution_options(with_deleted=True).count()
    assert hidden == 2


def test_a_period_with_a_questionnaire_cannot_be_deleted(session, admin, make_period):
    period = make_period()
    draft(session, period)
    with pytest.raises(Conflict, match="archive it instead"):
        ops.delete_period(session, period, "x", admin)
    with pytest.raises(Invalid, match="reason"):
        ops.delete_period(session, period, "", admin)


# ---- the pages -------------------------------------------------------------------------------------

def test_edit_page_prefilled_and_saved(client, session, web_admin, make_period):
    period = make_period(closes=10)
    page = client.get(f"/admin/periode/{period.slug}/ubah").get_data(as_text=True)
    assert f'value="{typed(period.closes_at)}"' in page and period.title in page
    earlier = period.closes_at - timedelta(days=2)
    form = {"title": "Judul baru", "opens_at": typed(period.opens_at),
            "closes_at": typed(earlier), "reason": ""}
    response = client.post(f"/admin/periode/{period.slug}/ubah", data=form)
    assert response.status_code == 422 and "A reason is required" in response.get_data(as_text=True)
    response = client.post(f"/admin/periode/{period.slug}/ubah", data={**form, "reason": "Salah ketik"})
    assert response.status_code == 302
    session.expire_all()
    period = session.get(Period, period.id)
    assert period.title == "Judul baru" and typed(closes_at_for(period, None)) == typed(earlier)


def test_edit_page_asks_for_confirmation(client, session, web_admin, make_period):
    period = make_period(closes=10)
    draft(session, period)
    form = {"title": period.title, "opens_at": typed(period.opens_at),
            "closes_at": typed(utcnow() - timedelta(minutes=5)), "reason": "Ditutup"}
    response = client.post(f"/admin/periode/{period.slug}/ubah", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'name="confirm"' in html and "filling in now" in html
    assert client.post(f"/admin/periode/{period.slug}/ubah",
                       data={**form, "confirm": "y"}).status_code == 302


def test_archive_and_delete_from_the_period_page(client, session, web_admin, make_period):
    kept, test = make_period(slug="kept"), make_period(slug="uji")
    draft(session, kept)
    page = client.get("/admin/periode/kept/").get_data(as_text=True)
    assert "archive it instead" in page and "Delete this period" not in page
    assert client.post("/admin/periode/kept/arsip", data={"reason": "Selesai"}).status_code == 302
    assert "Archived" in client.get("/admin/periode/kept/").get_data(as_text=True)
    refused = client.post("/admin/periode/kept/hapus", data={"reason": "x"}, follow_redirects=True)
    assert "archive it instead" in refused.get_data(as_text=True)
    assert "Delete this period" in client.get("/admin/periode/uji/").get_data(as_text=True)
    assert client.post("/admin/periode/uji/hapus", data={"reason": "Uji coba"}).status_code == 302
    assert client.get("/admin/periode/uji/").status_code == 404
    assert "uji" not in [p.slug for p in session.query(Period)]


def test_other_roles_cannot_manage_periods(client, auth, make_user, make_period):
    period = make_period()
    make_user("op-33", unit_code="33")
    auth.login("op-33")
    for url in ("ubah", "arsip", "hapus"):
        assert client.post(f"/admin/periode/{period.slug}/{url}", data={"reason": "x"}).status_code == 403


# ---- the command line follows the same rules --------------------------------------------------------

def test_cli_extend_earlier_archive_delete(cli, session, make_period):
    period = make_period(closes=10)
    draft(session, period)
    past = (utcnow() - timedelta(hours=1)).astimezone(WIB)
    args = ("period", "extend", period.slug, "--closes", f"{past:%Y-%m-%d %H:%M}", "--reason", "Salah")
    code, _out, err = cli(*args)
    assert code == 2 and "filling in now" in err
    code, out, err = cli(*args, "--confirm")
    assert code == 0 and "changed to" in out, err
    code, _out, err = cli("period", "delete", period.slug, "--reason", "x")
    assert code == 2 and "archive it instead" in err
    code, out, _err = cli("period", "archive", period.slug, "--reason", "Uji coba")
    assert code == 0 and "archived" in out
    session.expire_all()
    assert session.query(Period).one().archived_at is not None
