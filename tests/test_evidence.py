"""Evidence: content-checked uploads, safe links, storage under generated names, downloads
only for those allowed to see the submission, deletion only while editable."""
from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest

from assessment import uploads
from assessment.models import AuditLog, Evidence
from assessment.operations import Invalid
from assessment.operations import evidence as evidence_ops
from assessment.operations import questionnaire as q
from assessment.operations import answers as qa
from assessment.operations import submission as qs
from assessment.rubric_store import rubric_for
from tests.test_questionnaire_operations import NIP, PDF, office_bytes, png_bytes, zero_answers
from tests.conftest import SLUG, english, sub_of
from tests.test_questionnaire_views import html

ASPECT = f"/kuesioner/{SLUG}/kelembagaan"
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    book.active["A1"] = "Daftar hadir"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def bomb_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\x00" * (20 * 1024 * 1024))
    return buffer.getvalue()


# ---- content sniffing ----------------------------------------------------------------------

@pytest.mark.parametrize("data, kind", [
    (PDF, "pdf"), (png_bytes(), "png"), (JPG, "jpg"), (office_bytes("docx"), "docx"),
    (office_bytes("pptx"), "pptx"), (xlsx_bytes(), "xlsx"),
])
def test_allowed_types_are_told_from_the_content(data, kind):
    assert uploads.sniff(data) == kind


@pytest.mark.parametrize("data", [
    EXE,                                              # an executable, whatever its name
    b"just some text, renamed to .png\n",
    b"",
    b"<html><script>alert(1)</script></html>",
    b"PK\x03\x04 not really a zip",
    office_bytes("docx", main_type="application/vnd.ms-word.document.macroEnabled.main+xml"),
    bomb_bytes(),
])
def test_other_content_is_refused(data):
    with pytest.raises(uploads.UploadError):
        uploads.sniff(data)


def test_a_zip_without_content_types_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<x/>")
    with pytest.raises(uploads.UploadError):
        uploads.sniff(buffer.getvalue())


@pytest.mark.parametrize("name, kind, shown", [
    ("SK Tim Bakohumas.pdf", "pdf", "SK Tim Bakohumas.pdf"),
    ("../../etc/passwd", "pdf", "passwd.pdf"),
    ("C:\\Users\\op\\foto.JPEG", "jpg", "foto.JPEG"),
    ("scan.pdf", "png", "scan.png"),
    ("laporan v2.final", "pdf", "laporan v2.final.pdf"),
    ("", "docx", "bukti.docx"),
    ("a\x00b\nc.pdf", "pdf", "abc.pdf"),
])
def test_display_names_are_safe_and_match_the_content(name, kind, shown):
    assert uploads.display_name(name, kind) == shown


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "ftp://files.kpu.go.id/sk.pdf", "file:///etc/passwd", "//kpu.go.id/x", "https://",
    "https://kpu.go.id/a b", "kpu.go.id", "",
])
def test_only_http_and_https_links_are_accepted(app, url):
    with pytest.raises(Invalid):
        evidence_ops.check_url(url)


def test_good_links_pass(app):
    assert evidence_ops.check_url(" https://jateng.kpu.go.id/berita?id=1 ") == \
        "https://jateng.kpu.go.id/berita?id=1"
    assert evidence_ops.check_url("http://10.0.0.1/sk.pdf") == "http://10.0.0.1/sk.pdf"


# ---- through the pages -------------------------------------------------------------------

def upload(client, version, field="file-sk-bakohumas", files=(), url=ASPECT, **extra):
    data = {"version": str(version), "save": "1", field: [(io.BytesIO(b), n) for b, n in files]}
    data.update(extra)
    return client.post(url, data=data, content_type="multipart/form-data")


def stored_files(app) -> list:
    import os
    folder = app.config["UPLOAD_DIR"]
    return sorted(f for f in os.listdir(folder) if not f.startswith("."))


def test_a_pdf_uploaded_with_the_answers_is_stored_and_downloaded(app, client, session, operator):
    response = upload(client, 1, files=[(PDF, "SK Tim Bakohumas 2025.pdf")],
                      **{"answer-sk-bakohumas": "ya"})
    assert response.status_code == 302
    sub = sub_of(session)
    [ev] = sub.evidence
    assert sub.answers == {"sk-bakohumas": True}
    assert (ev.kind, ev.indicator_id, ev.filename, ev.content_type, ev.size) == (
        "file", "sk-bakohumas", "SK Tim Bakohumas 2025.pdf", "application/pdf", len(PDF))
    assert ev.sha256 == hashlib.sha256(PDF).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{32}", ev.stored_name)
    assert stored_files(app) == [ev.stored_name]
    page = html(client.get(ASPECT))
    assert "SK Tim Bakohumas 2025.pdf" in page and f"/bukti/{ev.id}/unduh" in page
    download = client.get(f"/bukti/{ev.id}/unduh")
    assert download.status_code == 200 and download.data == PDF
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "SK" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "application/pdf"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    entry = session.query(AuditLog).filter_by(action="evidence.add").one()
    assert entry.detail["sha256"] == ev.sha256 and entry.unit_code == "33"


def test_png_and_docx_through_the_evidence_routes(app, client, session, operator):
    response = client.post(f"/bukti/{SLUG}/struktur-tim/berkas",
                           data={"file": (io.BytesIO(png_bytes()), "struktur.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.endswith("/kelembagaan#ind-struktur-tim")
    response = client.post(f"/bukti/{SLUG}/struktur-tim/berkas",
                           data={"file": (io.BytesIO(office_bytes("docx")), "uraian tugas.docx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    response = client.post(f"/bukti/{SLUG}/struktur-tim/tautan",
                           data={"url": "https://jateng.kpu.go.id/sk"})
    assert response.status_code == 302
    kinds = [(e.kind, e.content_type) for e in sub_of(session).evidence]
    assert kinds == [("file", "image/png"), ("file", uploads.CONTENT_TYPES["docx"]),
                     ("link", "")]
    assert len(stored_files(app)) == 2


@pytest.mark.parametrize("data, name", [
    (EXE, "laporan.pdf"),                      # an executable renamed .pdf
    (b"bukan gambar\n", "foto.png"),           # a text file renamed .png
])
def test_disguised_files_are_refused(app, client, session, operator, data, name):
    response = upload(client, 1, files=[(data, name)], **{"answer-sk-bakohumas": "ya"})
    assert response.status_code == 422
    page = html(response)
    assert "not accepted" in page and name in page
    assert re.search(r'id="fe-sk-bakohumas">[^<]*not accepted', page)
    sub = sub_of(session)
    assert sub.evidence == [] and stored_files(app) == []
    assert sub.answers == {"sk-bakohumas": True}          # the answers were still saved
    response = client.post(f"/bukti/{SLUG}/sk-bakohumas/berkas",
                           data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert response.status_code == 302 and sub_of(session).evidence == []


def test_an_oversize_file_is_refused(app, client, session, operator):
    app.config["MAX_UPLOAD_MB"] = 0.01     # about 10 KB
    big = PDF + b"0" * 20000
    response = upload(client, 1, files=[(big, "besar.pdf")])
    assert response.status_code == 422 and "larger than 0.01 MB" in html(response)
    assert sub_of(session).evidence == [] and stored_files(app) == []
    # nothing was saved (no version spent); a small file on the same page is accepted
    assert sub_of(session).version == 1
    assert upload(client, 1, files=[(PDF, "kecil.pdf")]).status_code == 302
    assert len(sub_of(session).evidence) == 1


def test_a_request_over_the_size_limit_is_refused_with_a_message(app, client, session, operator):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = upload(client, 1, files=[(PDF + b"0" * 8000, "besar.pdf")],
                      **{"answer-sk-bakohumas": "ya"})
    assert response.status_code == 413 and "too large" in html(response)
    assert sub_of(session) is None


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://kpu.go.id/a"])
def test_unsafe_links_are_refused(client, session, operator, url):
    response = upload(client, 1, **{"link-struktur-tim": url})
    assert response.status_code == 422
    assert "Only links starting with http:// or https:// are accepted" in html(response)
    assert sub_of(session).evidence == []


def test_script_text_in_a_filename_and_link_is_escaped(client, session, operator):
    upload(client, 1, files=[(PDF, "<img src=x onerror=alert(1)>.pdf")],
           **{"link-struktur-tim": "https://kpu.go.id/?q=<script>alert(2)</script>"})
    names = [e.filename or e.url for e in sub_of(session).evidence]
    assert names == ["<img src=x onerror=alert(1)>.pdf", "https://kpu.go.id/?q=<script>alert(2)</script>"]
    page = html(client.get(ASPECT))
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_evidence_is_deleted_only_while_editable(app, client, session, operator):
    user, period = operator
    upload(client, 1, files=[(PDF, "a.pdf"), (png_bytes(), "b.png")])
    first, second = sub_of(session).evidence
    # from the page as it is shown after the upload (each file added is a version), the
    # answers saved at the same time
    response = client.post(ASPECT, data={"version": str(sub_of(session).version),
                                         "delete_evidence": str(first.id),
                                         "answer-struktur-tim": "2"})
    assert response.status_code == 302
    sub = sub_of(session)
    assert [e.id for e in sub.evidence] == [second.id] and sub.answers == {"struktur-tim": 2}
    # the deleted file leaves the disk once the save commits (snapshots and the audit log
    # keep its name, size and sha256); the other file stays
    assert stored_files(app) == [second.stored_name]
    assert session.query(AuditLog).filter_by(action="evidence.delete").count() == 1
    # once submitted, nothing can be removed
    qa.save_answers(session, sub, zero_answers(rubric_for(period)), {}, sub.version, user)
    qs.submit(session, sub, sub.version, "Kepala", "Sekretaris", NIP, True, user)
    session.commit()
    response = client.post(f"/bukti/{second.id}/hapus")
    assert response.status_code == 302
    assert "locked" in html(client.get(ASPECT))
    assert [e.id for e in sub_of(session).evidence] == [second.id]


def test_another_units_evidence_cannot_be_read_or_removed(client, session, auth, make_user, make_period):
    period = make_period(slug=SLUG)
    other = make_user(username="op-34", unit_code="34")
    sub = q.get_or_create_submission(session, period, "34", other)
    ev = evidence_ops.add_link(session, sub, "sk-bakohumas", "https://kpu.go.id/sk", other)
    session.commit()
    from flask import current_app
    stored = evidence_ops.add_file(session, sub, "sk-bakohumas", "rahasia.pdf", PDF, other,
                                   upload_dir=current_app.config["UPLOAD_DIR"], max_bytes=10 ** 6)
    session.commit()
    make_user(username="op-33", unit_code="33")
    auth.login("op-33")
    assert client.get(f"/bukti/{stored.id}/unduh").status_code == 403
    assert client.post(f"/bukti/{stored.id}/hapus").status_code == 403
    assert client.post(f"/bukti/{ev.id}/hapus").status_code == 403
    assert client.get("/bukti/999999/unduh").status_code == 404
    # deleting another unit's evidence through one's own page is refused too
    response = client.post(ASPECT, data={"version": "1", "delete_evidence": str(stored.id)})
    assert response.status_code == 403
    session.expire_all()
    assert len(session.get(type(sub), sub.id).evidence) == 2
    auth.logout()
    # the province's monitor may read it; another province's may not
    make_user(username="monitor-34", role="monitor", unit_code="34")
    make_user(username="monitor-35", role="monitor", unit_code="35")
    auth.login("monitor-34")
    assert client.get(f"/bukti/{stored.id}/unduh").data == PDF
    assert client.post(f"/bukti/{stored.id}/hapus").status_code == 403
    auth.logout()
    auth.login("monitor-35")
    assert client.get(f"/bukti/{stored.id}/unduh").status_code == 403


def test_evidence_for_a_question_without_evidence_is_refused(client, session, operator):
    response = client.post(f"/bukti/{SLUG}/kendala-dukungan/tautan", data={"url": "https://kpu.go.id"})
    assert response.status_code == 302
    assert "takes no evidence" in html(client.get(f"/kuesioner/{SLUG}/perencanaan"))
    assert session.query(Evidence).count() == 0
    assert client.post(f"/bukti/{SLUG}/tidak-ada/tautan", data={"url": "https://kpu.go.id"}).status_code == 404
