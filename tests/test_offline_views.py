"""The offline Excel route through the test client: download, upload, all-or-nothing
import, stale files, other units, deadlines and hostile files."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from assessment.models import AuditLog, Submission
from assessment.models.types import utcnow
from assessment.operations import questionnaire as q
from assessment.operations import answers as qa
from assessment.rubric_store import rubric_for
from reports.questionnaire_xlsx import answer_cells, read_meta
from tests.test_reports_questionnaire_xlsx import billion_laughs, edit
from tests.conftest import SLUG, english, sub_of

DOWNLOAD = f"/kuesioner/{SLUG}/excel"
UPLOAD_PAGE = f"/kuesioner/{SLUG}/excel/unggah"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def saved_draft(session, user, period, answers) -> Submission:
    sub = q.get_or_create_submission(session, period, user.unit_code, user)
    qa.save_answers(session, sub, answers, {}, sub.version, user)
    session.commit()
    return sub


def upload(client, data: bytes, url=DOWNLOAD, name="kuesioner.xlsx"):
    return client.post(url, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def page(response) -> str:
    return response.get_data(as_text=True)


def cells(period) -> dict:
    return answer_cells(rubric_for(period))


# ---- download ----------------------------------------------------------------------------

def test_download_is_an_attachment_with_the_current_answers(client, session, operator):
    user, period = operator
    saved_draft(session, user, period, {"sk-bakohumas": True, "struktur-tim": 2,
                                        "jumlah-personel": 7, "kendala-dukungan": "=1+1"})
    response = client.get(DOWNLOAD)
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert f"kuesioner-{SLUG}-33.xlsx" in response.headers["Content-Disposition"]
    data = response.get_data()
    book = load_workbook(io.BytesIO(data))
    where = cells(period)
    shown = {key: book[where[key][0]][where[key][1]].value
             for key in ("sk-bakohumas", "struktur-tim", "jumlah-personel", "kendala-dukungan")}
    assert shown == {"sk-bakohumas": "Ya", "struktur-tim": "Terkelola", "jumlah-personel": 7,
                     "kendala-dukungan": "=1+1"}
    meta = read_meta(data)
    assert (meta.period_slug, meta.unit_code, meta.version) == (SLUG, "33", sub_of(session).version)
    assert "Batas waktu:" in book["Petunjuk"]["A6"].value and "WIB" in book["Petunjuk"]["A6"].value


def test_download_before_any_answer_is_version_one_and_empty(client, session, operator):
    data = client.get(DOWNLOAD).get_data()
    assert read_meta(data).version == 1
    assert sub_of(session) is None          # downloading creates nothing


def test_upload_page_offers_download_and_a_file_field(client, operator):
    html = page(client.get(UPLOAD_PAGE))
    assert f'href="{DOWNLOAD}"' in html
    assert 'type="file"' in html and 'accept=".xlsx' in html
    assert 'enctype="multipart/form-data"' in html and f'action="{UPLOAD_PAGE}"' in html


# ---- upload ------------------------------------------------------------------------------

def test_valid_upload_saves_every_answer(client, session, operator):
    user, period = operator
    saved_draft(session, user, period, {"sk-bakohumas": True, "kendala-dukungan": "lama"})
    version = sub_of(session).version
    where = cells(period)
    data = edit(client.get(DOWNLOAD).get_data(), {
        where["sk-bakohumas"]: "Tidak", where["struktur-tim"]: "Optimum",
        where["jumlah-personel"]: "2", where["kendala-dukungan"]: None,
        where["penanganan-isu"]: "@SUM(A1)",
        (where["sarana-kehumasan"][0], "F7"): "Ya", (where["sarana-kehumasan"][0], "F9"): "Ya"})
    response = upload(client, data)
    assert response.status_code == 302
    assert response.location.endswith(f"/kuesioner/{SLUG}")
    sub = sub_of(session)
    assert sub.answers == {"sk-bakohumas": False, "struktur-tim": 4, "jumlah-personel": 2,
                           "penanganan-isu": "@SUM(A1)",
                           "sarana-kehumasan": ["Kamera foto",
                                                "Komputer untuk penyuntingan foto dan video"]}
    assert sub.version == version + 1
    # the summary counts the answers that changed (sk-bakohumas, struktur-tim, jumlah-personel,
    # kendala-dukungan cleared, penanganan-isu, sarana-kehumasan) and names them by number
    summary = page(client.get(f"/kuesioner/{SLUG}"))
    assert "6 answers changed (1.1, 1.2, 1.3, 2.1, 3.6," in summary
    entry = session.query(AuditLog).filter_by(action="submission.save") \
        .order_by(AuditLog.id.desc()).first()
    assert entry.detail["strict"] is True and "kendala-dukungan" in entry.detail["changed"]


def test_first_upload_creates_the_submission(client, session, operator):
    where = cells(operator[1])
    response = upload(client, edit(client.get(DOWNLOAD).get_data(), {where["sop-krisis"]: "Ya"}),
                      url=UPLOAD_PAGE)
    assert response.status_code == 302
    assert sub_of(session).answers == {"sop-krisis": True}


def test_invalid_upload_lists_every_error_and_changes_nothing(client, session, operator):
    user, period = operator
    saved_draft(session, user, period, {"sk-bakohumas": True, "jumlah-personel": 3})
    before = sub_of(session)
    version, answers = before.version, dict(before.answers)
    where = cells(period)
    bad = {where["struktur-tim"]: "Sangat bagus", where["jumlah-personel"]: "2,5",
           where["media-mitra"]: "abc", where["sk-bakohumas"]: "Tidak"}   # one valid change too
    response = upload(client, edit(client.get(DOWNLOAD).get_data(), bad))
    assert response.status_code == 422
    html = page(response)
    assert "3 problems were found" in html and "Nothing was changed" in html
    cell = r"\s*<td[^>]*>([^<]*)</td>"
    rows = re.findall(r"<tr>" + cell * 3, html)
    numbers = {"struktur-tim": "1.2", "jumlah-personel": "2.1", "media-mitra": "4.3"}
    assert sorted(rows) == sorted([(*where[k], numbers[k]) for k in numbers])
    assert "is not one of the levels" in html and "must be a whole number" in html
    # each error repeats the value the cell holds (a head count refuses "2,5 orang")
    assert "(the cell holds \u201c2,5\u201d)" in html and "\u201cabc\u201d" in html
    after = sub_of(session)
    assert (after.version, after.answers) == (version, answers)


def test_a_file_downloaded_before_a_web_save_of_another_answer_keeps_both(
        client, session, operator):
    user, period = operator
    sub = saved_draft(session, user, period, {"sk-bakohumas": True})
    old_file = client.get(DOWNLOAD).get_data()
    qa.save_answers(session, sub, {"sk-bakohumas": False}, {}, sub.version, user)   # the web
    session.commit()
    where = cells(period)
    response = upload(client, edit(old_file, {where["struktur-tim"]: "Rintisan"}))
    assert response.status_code == 302
    after = sub_of(session)
    assert after.answers == {"sk-bakohumas": False, "struktur-tim": 1}
    assert "1 answer changed (1.2)" in page(client.get(f"/kuesioner/{SLUG}"))


def test_a_cell_changed_on_the_web_since_is_a_conflict_with_both_values(
        client, session, operator):
    user, period = operator
    sub = saved_draft(session, user, period, {"sk-bakohumas": True})
    old_file = client.get(DOWNLOAD).get_data()
    qa.save_answers(session, sub, {"struktur-tim": 4}, {}, sub.version, user)   # the web
    session.commit()
    version = sub_of(session).version
    where = cells(period)
    response = upload(client, edit(old_file, {where["struktur-tim"]: "Rintisan",
                                              where["sk-bakohumas"]: "Tidak"}))
    assert response.status_code == 409
    html = page(response)
    sheet, cell = where["struktur-tim"]
    assert re.search(r"<td[^>]*>" + re.escape(sheet) + r"</td>\s*<td[^>]*>" + cell, html)
    assert "In this file: &#8220;1&#8221;" in html or "In this file: \u201c1\u201d" in html
    assert "on the website now: \u201c4\u201d" in html or "&#8220;4&#8221;" in html
    after = sub_of(session)
    assert after.version == version and after.answers == {"sk-bakohumas": True, "struktur-tim": 4}


def test_another_units_workbook_is_refused(client, session, auth, make_user, operator):
    user, period = operator
    saved_draft(session, user, period, {"sk-bakohumas": True})
    workbook_of_33 = client.get(DOWNLOAD).get_data()
    version = sub_of(session).version
    auth.logout()
    make_user(username="op-surakarta", unit_code="33.72")
    auth.login("op-surakarta")
    english(client)
    response = upload(client, edit(workbook_of_33, {cells(period)["sk-bakohumas"]: "Tidak"}))
    assert response.status_code == 422
    assert "belongs to work unit 33, not 33.72" in page(response)
    assert sub_of(session).version == version and sub_of(session).answers == {"sk-bakohumas": True}
    assert sub_of(session, "33.72") is None
    assert read_meta(client.get(DOWNLOAD).get_data()).unit_code == "33.72"   # only its own


@pytest.mark.parametrize("role,unit", [("admin", None), ("monitor", "33"), ("judge", None)])
def test_only_operators_download_or_upload(client, auth, make_user, make_period, role, unit):
    make_period(slug=SLUG)
    make_user(username=f"x-{role}", role=role, unit_code=unit)
    auth.login(f"x-{role}")
    assert client.get(DOWNLOAD).status_code == 403
    assert client.get(UPLOAD_PAGE).status_code == 403
    assert upload(client, b"PK").status_code == 403


def test_unknown_period_is_404_and_a_unit_not_taking_part_is_403(client, auth, make_user,
                                                                 make_period):
    make_period(slug=SLUG, levels=["kabkota"])
    make_user(username="op-33", unit_code="33")          # a provincial office
    auth.login("op-33")
    assert client.get("/kuesioner/tidak-ada/excel").status_code == 404
    assert client.get(DOWNLOAD).status_code == 403
    assert upload(client, b"PK").status_code == 403


def test_anonymous_is_sent_to_login(client, make_period):
    make_period(slug=SLUG)
    response = client.get(DOWNLOAD)
    assert response.status_code == 302 and "/akun/masuk" in response.location


def test_upload_after_the_deadline_is_refused(client, session, auth, make_user, make_period):
    user = make_user(username="op-33", unit_code="33")
    period = make_period(slug=SLUG, opens=-10, closes=7)
    saved_draft(session, user, period, {"sk-bakohumas": True})
    auth.login("op-33")
    english(client)
    data = client.get(DOWNLOAD).get_data()
    period.closes_at = utcnow() - timedelta(minutes=1)
    session.commit()
    version = sub_of(session).version
    response = upload(client, edit(data, {cells(period)["sk-bakohumas"]: "Tidak"}))
    assert response.status_code == 409
    assert "closed on" in page(response)
    assert sub_of(session).version == version and sub_of(session).answers == {"sk-bakohumas": True}
    html = page(client.get(UPLOAD_PAGE))
    assert "closed on" in html and 'type="file"' not in html


def test_upload_of_a_submitted_questionnaire_is_refused(client, session, operator):
    user, period = operator
    sub = saved_draft(session, user, period, {"sk-bakohumas": True})
    data = client.get(DOWNLOAD).get_data()
    sub.status = "submitted"
    sub.submitted_at = period.opens_at
    session.commit()
    response = upload(client, data)
    assert response.status_code == 409 and "is locked" in page(response)


# ---- hostile and wrong files ---------------------------------------------------------------

def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize("what,make,message", [
    ("pdf renamed .xlsx", lambda data: b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "not a zip archive"),
    ("zip bomb", lambda data: zip_bomb(), "compressed bomb"),
    ("billion laughs", lambda data: billion_laughs(data, "xl/worksheets/sheet2.xml"),
     "entity or document type declarations"),
    ("zip that is no workbook", lambda data: _plain_zip(), "cannot be read as an .xlsx workbook"),
])
def test_hostile_or_wrong_files_are_refused(client, session, operator, what, make, message):
    data = make(client.get(DOWNLOAD).get_data())
    assert len(data) < 1024 * 1024
    response = upload(client, data)
    assert response.status_code == 422
    assert message in page(response)
    assert sub_of(session) is None


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    return out.getvalue()


def test_file_over_the_size_limit_is_refused(app, client, session, operator):
    app.config["MAX_UPLOAD_MB"] = 0.01
    response = upload(client, client.get(DOWNLOAD).get_data())
    assert response.status_code == 422
    assert "larger than 0.01 MB" in page(response)
    assert sub_of(session) is None


def test_missing_file_is_reported_next_to_the_field(client, operator):
    response = client.post(DOWNLOAD, data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose the .xlsx file to upload." in page(response)


def test_upload_without_csrf_token_is_refused(app, client, session, operator):
    data = client.get(DOWNLOAD).get_data()
    app.config["WTF_CSRF_ENABLED"] = True
    assert upload(client, data).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page(client.get(UPLOAD_PAGE))).group(1)
    response = client.post(DOWNLOAD, content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(data), "k.xlsx")})
    assert response.status_code == 302 and sub_of(session) is not None
