"""The bureau's periods, deadline extensions and the audit log viewer (admin only)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from assessment import audit
from assessment.models import AuditLog, DeadlineExtension, Period
from assessment.operations.editability import closes_at_for


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def admin(client, auth, make_user):
    make_user("bureau", role="admin", unit_code=None)
    auth.login("bureau")
    client.post("/bahasa/en")


NEW = {"slug": "bakohumas-2026", "title": "Penilaian Tata Kelola Bakohumas 2026",
       "rubric_id": "bakohumas-2025", "opens_at": "2026-08-01T08:00",
       "closes_at": "2026-08-21T23:59", "levels": ["provinsi", "kabkota"]}


def test_create_period_stores_wib_input_as_utc(client, session, admin):
    page = client.get("/admin/periode/baru").get_data(as_text=True)
    assert '<option value="bakohumas-2025">' in page
    response = client.post("/admin/periode/baru", data=NEW)
    assert response.status_code == 302
    period = session.query(Period).filter_by(slug="bakohumas-2026").one()
    assert period.opens_at == utc(2026, 8, 1, 1, 0)
    assert period.closes_at == utc(2026, 8, 21, 16, 59)
    assert period.levels == ["provinsi", "kabkota"] and period.rubric_id == "bakohumas-2025"
    entry = session.query(AuditLog).filter_by(action="period.open").one()
    assert entry.period_id == period.id
    listing = client.get("/admin/periode/").get_data(as_text=True)
    assert "Penilaian Tata Kelola Bakohumas 2026" in listing and "21 August 2026 23:59 WIB" in listing


@pytest.mark.parametrize("change, field, message", [
    ({"closes_at": "2026-08-01T07:00"}, "closes_at", "The closing time must be after the opening time."),
    ({"closes_at": "2026-08-01T08:00"}, "closes_at", "The closing time must be after the opening time."),
    ({"slug": "Bakohumas 2026"}, "slug", "Use lowercase letters, digits and single hyphens."),
    ({"levels": []}, "levels", "Choose at least one level."),
    ({"rubric_id": "no-such-rubric"}, "rubric_id", "Not a valid choice"),
    ({"opens_at": "besok"}, "opens_at", "Not a valid datetime value"),
    ({"title": ""}, "title", "This field is required."),
])
def test_create_period_validation(client, session, admin, change, field, message):
    response = client.post("/admin/periode/baru", data={**NEW, **change})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(rf'id="{field}-err">{re.escape(message)}', html), html[-3000:]
    assert session.query(Period).count() == 0


def test_duplicate_slug_is_refused(client, session, admin, make_period):
    make_period(slug="bakohumas-2026")
    response = client.post("/admin/periode/baru", data=NEW)
    assert response.status_code == 200
    assert 'id="slug-err">A period with this slug already exists.' in response.get_data(as_text=True)
    assert session.query(Period).count() == 1


def test_extension_for_one_unit_changes_only_its_deadline(client, session, admin, make_period):
    period = make_period()
    before = period.closes_at
    response = client.post(f"/admin/periode/{period.slug}/", data={
        "unit_code": "94.01", "closes_at": "2099-01-31T23:59", "reason": "Listrik padam <3 hari>"})
    assert response.status_code == 302
    session.expire_all()
    period = session.get(Period, period.id)
    assert closes_at_for(period, "94.01") == utc(2099, 1, 31, 16, 59)
    assert closes_at_for(period, "33.74") == before
    assert closes_at_for(period, None) == before
    entry = session.query(AuditLog).filter_by(action="period.extend").one()
    assert entry.unit_code == "94.01" and entry.detail["reason"] == "Listrik padam <3 hari>"
    html = client.get(f"/admin/periode/{period.slug}/").get_data(as_text=True)
    assert "Listrik padam &lt;3 hari&gt;" in html
    assert "KPU Kabupaten Nabire" in html and "1 February 2099 01:59 WIT" in html


def test_extension_for_everyone(client, session, admin, make_period):
    period = make_period()
    client.post(f"/admin/periode/{period.slug}/", data={
        "unit_code": "", "closes_at": "2099-01-31T23:59", "reason": "Semua diperpanjang"})
    session.expire_all()
    period = session.get(Period, period.id)
    assert closes_at_for(period, "33.74") == closes_at_for(period, "11") == utc(2099, 1, 31, 16, 59)
    assert session.query(DeadlineExtension).one().unit_code is None


@pytest.mark.parametrize("data, field, message", [
    ({"reason": ""}, "reason", "This field is required."),
    ({"reason": "   "}, "reason", "This field is required."),
    ({"closes_at": "2000-01-01T00:00"}, "closes_at", "closing time cannot be earlier than everyone"),
    ({"closes_at": "2000-01-01T00:00", "unit_code": ""}, "closes_at",
     "The closing time must be after the opening time."),
    ({"unit_code": "00"}, "unit_code", "Not a valid choice"),  # KPU RI does not take part
])
def test_extension_validation(client, session, admin, make_period, data, field, message):
    period = make_period()
    form = {"unit_code": "33.74", "closes_at": "2099-01-31T23:59", "reason": "alasan", **data}
    response = client.post(f"/admin/periode/{period.slug}/", data=form)
    assert response.status_code == 200
    assert re.search(rf'id="{field}-err">[^<]*{re.escape(message)}', response.get_data(as_text=True))
    assert session.query(DeadlineExtension).count() == 0


@pytest.mark.parametrize("role, unit", [("operator", "33"), ("monitor", "33"), ("judge", None)])
def test_admin_pages_are_refused_to_others(client, auth, make_user, make_period, role, unit):
    period = make_period()
    make_user("someone", role=role, unit_code=unit)
    auth.login("someone")
    for url in ("/admin/periode/", "/admin/periode/baru", f"/admin/periode/{period.slug}/", "/admin/audit/"):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/admin/periode/{period.slug}/", data={
        "unit_code": "", "closes_at": "2099-01-31T23:59", "reason": "x"})
    assert response.status_code == 403
    assert client.post("/admin/periode/baru", data=NEW).status_code == 403


def test_admin_pages_need_login(client):
    response = client.get("/admin/audit/")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]


# ---- audit log viewer --------------------------------------------------------------------

@pytest.fixture
def entries(session, make_user, make_period):
    op = make_user("op-33", unit_code="33")
    period = make_period()
    audit.record("submission.save", None, user=op, unit_code="33", period_id=period.id, note="<b>x</b>")
    audit.record("submission.submit", None, user=op, unit_code="33", period_id=period.id)
    audit.record("submission.save", None, user=op, unit_code="33.74")
    old = audit.record("period.extend", None, user=None, unit_code="94.01", reason="lama")
    old.at = utc(2025, 1, 10, 16, 30)   # 23.30 WIB on 10 January
    session.commit()
    return period


def audit_rows(html):
    # the raw action sits in each entry's details (the row itself says it in words)
    return re.findall(r"</span>: <code>([\w.]+)</code>", html)


def test_audit_viewer_newest_first_and_escaped(client, admin, entries):
    html = client.get("/admin/audit/").get_data(as_text=True)
    actions = audit_rows(html)
    assert actions[:3] == ["submission.save", "submission.submit", "submission.save"]
    assert actions[-1] == "period.extend"
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert '<span class="fw-semibold">note</span>: &lt;b&gt;x' in html


@pytest.mark.parametrize("query, expected", [
    ({"action": "submission.save"}, ["submission.save", "submission.save"]),
    ({"user": "op-33"}, ["submission.save", "submission.submit", "submission.save"]),
    ({"unit": "33"}, ["submission.submit", "submission.save"]),
    ({"unit": "33", "action": "submission.submit"}, ["submission.submit"]),
    ({"date_from": "2025-01-10", "date_to": "2025-01-10"}, ["period.extend"]),
    ({"date_to": "2025-01-09"}, []),
    ({"date_from": "2025-01-11", "user": "op-33"}, ["submission.save", "submission.submit", "submission.save"]),
])
def test_audit_viewer_filters(client, admin, entries, query, expected):
    html = client.get("/admin/audit/", query_string=query).get_data(as_text=True)
    assert audit_rows(html) == expected


def test_audit_viewer_filters_by_period(client, session, admin, entries):
    html = client.get("/admin/audit/", query_string={"period": str(entries.id)}).get_data(as_text=True)
    assert audit_rows(html) == ["submission.submit", "submission.save"]


def test_audit_viewer_pages_by_fifty(client, session, admin, entries):
    for n in range(60):
        audit.record("bulk.entry", None, user=None, n=n)
    session.commit()
    first = client.get("/admin/audit/", query_string={"action": "bulk.entry"}).get_data(as_text=True)
    assert len(audit_rows(first)) == 50 and "<span class=\"fw-semibold\">n</span>: 59" in first
    assert "page=2" in first and "action=bulk.entry" in first
    second = client.get("/admin/audit/", query_string={"action": "bulk.entry", "page": 2}).get_data(as_text=True)
    assert len(audit_rows(second)) == 10 and "<span class=\"fw-semibold\">n</span>: 0<" in second
