"""The monitoring pages (/kanal): the post log's .xlsx upload (all or nothing, formula text
kept literal, a bad row named), confirming coverage, the overview .xlsx, and permissions
(another unit's channels, another province's monitor)."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timezone

import pytest
from openpyxl import Workbook, load_workbook

from assessment.models import MonitorActivity, MonitorChannel, MonitorItem, WorkUnit
from assessment.operations import monitor as ops


def xlsx(rows, text_cells=()) -> bytes:
    """A workbook of ``rows``; ``text_cells`` (e.g. "C3") hold text starting with '=' as text."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Unggahan"
    for row in rows:
        sheet.append(row)
    for ref in text_cells:
        sheet[ref].data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def op33(session, client, auth, make_user, app):
    make_user(username="op-33", unit_code="33")
    auth.login("op-33")
    client.post("/bahasa/en")
    unit = session.get(WorkUnit, "33")
    page = ops.add_channel(session, unit, "social", "https://instagram.com/kpujateng")
    session.commit()
    return page.id


def upload(client, body: bytes):
    return client.post("/kanal/satker/33/unggahan.xlsx",
                       data={"file": (io.BytesIO(body), "unggahan.xlsx")},
                       content_type="multipart/form-data")


def test_the_upload_is_all_or_nothing_and_names_the_bad_row(client, session, op33):
    body = xlsx([["url", "published", "title", "channel"],
                 ["https://instagram.com/p/1", date(2026, 3, 2), "Sosialisasi", op33],
                 ["javascript:alert(1)", date(2026, 3, 3), "Rapat", op33]])
    answer = upload(client, body)
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Nothing was saved: 1 row(s) have problems." in page
    # the bad address is in row 3, column A (url) of the sheet named Unggahan
    assert ("sheet &#39;Unggahan&#39;, cell A3: url must be an http or https address" in page)
    assert session.query(MonitorItem).count() == 0     # the good row is not saved either
    good = xlsx([["url", "published", "title", "channel"],
                 ["https://instagram.com/p/1", date(2026, 3, 2), "Sosialisasi", op33],
                 ["https://instagram.com/p/2", "2026-03-03", '=HYPERLINK("http://evil")', None],
                 ["https://instagram.com/p/3", "2026-03-04", "=1+1", None]], text_cells=["C4"])
    assert upload(client, good).status_code == 302
    titles = {i.link[-1]: i.title for i in session.query(MonitorItem)}
    assert titles["3"] == "=1+1"     # text that looks like a formula is kept literally
    assert titles["2"] == ""         # a real formula is read as its value (none saved), never run
    assert upload(client, good).status_code == 302                  # the same links again
    assert session.query(MonitorItem).count() == 3


def test_every_bad_cell_is_named_by_sheet_and_cell_in_indonesian(client, session, op33):
    """Row 2: a date that is no date (B2); row 4: an unknown channel (D4); row 5: a title
    of 501 characters (C5, at most 500); row 3 is good but nothing is saved."""
    client.post("/bahasa/id")
    body = xlsx([["url", "published", "title", "channel"],
                 ["https://instagram.com/p/1", "kemarin", "Sosialisasi", op33],
                 ["https://instagram.com/p/2", date(2026, 3, 2), "Rapat", op33],
                 ["https://instagram.com/p/3", date(2026, 3, 3), "Rapat", 999],
                 ["https://instagram.com/p/4", date(2026, 3, 4), "x" * 501, op33]])
    answer = upload(client, body)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    named = re.findall(r"Lembar &#39;Unggahan&#39;, sel ([A-D]\d+):", page)
    assert named == ["B2", "D4", "C5"]
    assert session.query(MonitorItem).count() == 0


def test_confirming_coverage(client, session, op33):
    unit = session.get(WorkUnit, "33")
    item, _ = ops.log_post(session, unit, "https://instagram.com/p/9", "2026-03-02",
                           "Rapat Pleno Terbuka", op33)
    activity = ops.add_activity(session, unit, "2026-03-02", "Rapat Pleno Terbuka")
    session.commit()
    html = client.get("/kanal/satker/33").get_data(as_text=True)
    assert "Rapat Pleno Terbuka" in html
    answer = client.post(f"/kanal/satker/33/kegiatan/{activity.id}/liputan", data={"item_id": item.id})
    assert answer.status_code == 302
    session.expire_all()
    assert session.get(MonitorActivity, activity.id).item_id == item.id


def test_another_units_channels_are_refused(client, session, op33):
    other = ops.add_channel(session, session.get(WorkUnit, "34"), "website", "https://diy.kpu.go.id/")
    session.commit()
    assert client.get("/kanal/satker/34").status_code == 403
    assert client.post("/kanal/satker/34/kanal", data={"kind": "website", "url": "https://x.example/"}).status_code == 403
    assert client.post(f"/kanal/satker/34/kanal/{other.id}/hapus").status_code == 403
    assert client.post(f"/kanal/satker/33/kanal/{other.id}/hapus").status_code == 404   # not this unit's
    assert client.get("/kanal/satker/99.99").status_code == 404
    assert client.get("/kanal/ringkasan").status_code == 403                             # operators
    assert session.query(MonitorChannel).count() == 2


def test_monitors_see_their_province_only(client, session, auth, make_user):
    make_user(username="monitor-33", role="monitor", unit_code="33")
    auth.login("monitor-33")
    assert client.get("/kanal/satker/33.74").status_code == 200
    assert client.get("/kanal/satker/34").status_code == 403
    assert client.get("/kanal/satker/34.71").status_code == 403
    assert client.post("/kanal/satker/33.74/kanal", data={"kind": "website", "url": "https://x.example/"}).status_code == 403
    assert client.post("/kanal/tahapan", data={"name": "X", "starts_on": "2026-01-01",
                                                 "ends_on": "2026-02-01"}).status_code == 403
    answer = client.get("/kanal/ringkasan.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.data)).active
    codes = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "33" in codes and "33.74" in codes and not any(c.startswith("34") for c in codes)


def test_the_overview_workbook_for_the_admin(client, session, auth, make_user):
    unit = session.get(WorkUnit, "33")
    page = ops.add_channel(session, unit, "social", "https://instagram.com/kpujateng")
    ops.log_post(session, unit, "https://instagram.com/p/1", datetime.now(timezone.utc).date().isoformat(),
                 "=1+1", page.id)
    session.commit()
    make_user(username="admin1", role="admin", unit_code=None)
    auth.login("admin1")
    answer = client.get("/kanal/ringkasan.xlsx")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["33"][2] == 1 and len(rows) > 500
    assert all(not (isinstance(v, str) and v.startswith("=")) for row in rows.values() for v in row)
