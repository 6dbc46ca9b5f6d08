"""Hostile files: path traversal in uploaded file names and in stored names, disguised
files, and zip bombs and XML entity tricks in uploaded .xlsx (the offline questionnaire and
the units import). Every refusal is clear and leaves every table (and the upload folder)
as it was."""
from __future__ import annotations

import io
import os
import re
import zipfile

import pytest
from openpyxl import Workbook

from assessment.models import Evidence, Objection, Submission
from assessment.registry import RegistryError, import_units
from tests.conftest import SLUG, english
from tests.hostile_support import changed_tables, snapshot
from tests.test_questionnaire_operations import PDF, office_bytes

DOWNLOAD = f"/kuesioner/{SLUG}/excel"
XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
          + b"".join(b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">'
                     % ((98 + i,) + (97 + i,) * 10) for i in range(8)) + b"]>")
PARAMETER = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd">'
             b"%p;]>")


def files_under(folder) -> set:
    return {os.path.join(root, f) for root, _, names in os.walk(folder) for f in names}


# ---- file names ------------------------------------------------------------------------

TRAVERSAL_NAMES = ["../../../../etc/passwd.pdf", "..\\..\\..\\windows\\win.ini.pdf",
                   "/etc/shadow.pdf", "laporan\x00.exe.pdf", "a/../../b.pdf", "....//....//c.pdf",
                   "<script>alert(1)</script>.pdf", "\u202egnp.pdf", "x" * 400 + ".pdf", ".pdf"]


@pytest.mark.parametrize("name", TRAVERSAL_NAMES)
def test_uploaded_names_never_reach_the_file_system(app, client, session, operator, tmp_path, name):
    outside = files_under(tmp_path)
    response = client.post(f"/bukti/{SLUG}/sk-bakohumas/berkas",
                           data={"file": (io.BytesIO(PDF), name)}, content_type="multipart/form-data")
    if "\x00" in name:   # control characters in any text, file names included: 422, nothing kept
        assert response.status_code == 422
        session.expire_all()
        assert session.query(Evidence).count() == 0
        assert [p for p in files_under(tmp_path) - outside if "test.db" not in p] == []
        return
    assert response.status_code == 302
    session.expire_all()
    ev = session.query(Evidence).one()
    assert re.fullmatch(r"[0-9a-f]{32}", ev.stored_name)
    assert not re.search(r"[\\/\x00-\x1f\u202e]", ev.filename) and len(ev.filename) <= 200
    assert ev.filename.endswith(".pdf") and not ev.filename.startswith(".")
    new = files_under(tmp_path) - outside
    # exactly one new file, in the upload folder, under the generated name
    assert [os.path.relpath(p, app.config["UPLOAD_DIR"]) for p in new if "test.db" not in p] \
        == [ev.stored_name]
    download = client.get(f"/bukti/{ev.id}/unduh")
    assert download.status_code == 200 and download.data == PDF
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "../" not in disposition and "\\" not in disposition
    page = client.get(f"/kuesioner/{SLUG}/kelembagaan").get_data(as_text=True)
    assert "<script>alert(1)" not in page


@pytest.mark.parametrize("stored", ["../test.db", "../../../../etc/passwd", "/etc/passwd",
                                    "0" * 31 + "/", "..", ""])
def test_a_tampered_stored_name_is_not_found_not_a_file(app, client, session, operator, stored):
    client.post(f"/bukti/{SLUG}/sk-bakohumas/berkas", data={"file": (io.BytesIO(PDF), "a.pdf")},
                content_type="multipart/form-data")
    ev = session.query(Evidence).one()
    ev.stored_name = stored
    sub = session.query(Submission).one()
    objection = Objection(period_id=sub.period_id, unit_code="33", indicator_id="sk-bakohumas",
                          reason="x", filename="bukti.pdf", stored_name=stored or "x",
                          content_type="application/pdf", created_by=operator[0].id)
    session.add(objection)
    session.commit()
    for url in (f"/bukti/{ev.id}/unduh", f"/bukti/{ev.id}/lihat",
                f"/musim/sanggahan/{objection.id}/berkas"):
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
        assert b"root:" not in response.data and b"SQLite format" not in response.data


# ---- disguised files -------------------------------------------------------------------

DISGUISED = [
    (b"<html><script>alert(1)</script></html>", "laporan.pdf"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "foto.png"),
    (b"#!/bin/sh\nrm -rf /\n", "skrip.docx"),
    (office_bytes("docx", "application/vnd.ms-word.document.macroEnabled.main+xml"), "makro.docx"),
    (b"GIF89a" + b"\x00" * 50, "animasi.jpg"),
    (b"", "kosong.pdf"),
]


@pytest.mark.parametrize("data, name", DISGUISED)
def test_disguised_evidence_is_refused_with_a_message(app, client, session, operator, data, name):
    before = snapshot(session)
    response = client.post(f"/bukti/{SLUG}/sk-bakohumas/berkas",
                           data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert response.status_code in (302, 422)
    page = client.get(f"/kuesioner/{SLUG}/kelembagaan").get_data(as_text=True) \
        if response.status_code == 302 else response.get_data(as_text=True)
    assert re.search(r"not accepted|empty|macro-enabled", page)
    assert changed_tables(before, snapshot(session)) == []
    assert [f for f in os.listdir(app.config["UPLOAD_DIR"]) if not f.startswith(".")] == []


# ---- hostile .xlsx ---------------------------------------------------------------------

def rewrite(data: bytes, member: str, change) -> bytes:
    """The workbook with one member's bytes changed by ``change`` (others copied)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == member else content)
    return out.getvalue()


def with_doctype(doctype: bytes, use: bytes):
    def change(content: bytes) -> bytes:
        body = content.split(b"?>", 1)[-1] if content.startswith(b"<?xml") else content
        # use the entity in the first text node or attribute-free element we find
        body = re.sub(rb"(<t[^>]*>)", rb"\1" + use, body, count=1) if b"<t" in body else body
        return doctype + body
    return change


def add_members(data: bytes, count: int) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as archive:
        for n in range(count):
            archive.writestr(f"xl/media/x{n}.bin", b"")
    return out.getvalue()


def bomb_in(data: bytes, member: str) -> bytes:
    return rewrite(data, member, lambda content: content + b" " * (60 * 1024 * 1024))


def hostile_xlsx(sheet: str) -> dict:
    """Ways to spoil a good workbook; ``sheet`` is a worksheet member holding strings."""
    return {
        "external entity in a sheet": lambda d: rewrite(d, sheet, with_doctype(XXE, b"&xxe;")),
        "billion laughs in a sheet": lambda d: rewrite(d, sheet, with_doctype(LAUGHS, b"&i;")),
        "billion laughs in the workbook part": lambda d: rewrite(d, "xl/workbook.xml",
                                                                 with_doctype(LAUGHS, b"")),
        "billion laughs in content types": lambda d: rewrite(d, "[Content_Types].xml",
                                                             with_doctype(LAUGHS, b"")),
        "parameter entity fetching a DTD": lambda d: rewrite(d, sheet, with_doctype(PARAMETER, b"")),
        "zip bomb in a sheet": lambda d: bomb_in(d, sheet),
        "thousands of members": lambda d: add_members(d, 6000),
        "png renamed .xlsx": lambda d: b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        "word document renamed .xlsx": lambda d: office_bytes("docx"),
        "truncated workbook": lambda d: d[: len(d) // 2],
    }


QUESTIONNAIRE_HOSTILE = hostile_xlsx("xl/worksheets/sheet2.xml")
REGISTRY_HOSTILE = hostile_xlsx("xl/worksheets/sheet1.xml")


def workbook_members(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


@pytest.mark.parametrize("what", sorted(QUESTIONNAIRE_HOSTILE))
def test_hostile_questionnaire_workbooks_are_refused_and_change_nothing(
        app, client, session, operator, what):
    good = client.get(DOWNLOAD).get_data()
    data = QUESTIONNAIRE_HOSTILE[what](good)
    assert len(data) < 10 * 1024 * 1024
    before = snapshot(session)
    response = client.post(DOWNLOAD, data={"file": (io.BytesIO(data), "kuesioner.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422, response.status_code
    page = response.get_data(as_text=True)
    assert "refused" in page or "cannot be read" in page or "not" in page
    assert "root:x:0" not in page
    assert changed_tables(before, snapshot(session)) == []


def registry_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "level", "province_code", "time_zone"])
    sheet.append(["33.99", "KPU Kabupaten Uji", "kabkota", "33", "WIB"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("what", sorted(REGISTRY_HOSTILE))
def test_hostile_registry_workbooks_are_refused_and_change_nothing(app, session, what):
    good = registry_xlsx()
    assert import_units(session, "satker.xlsx", good) == (1, 0)     # the file itself is fine
    session.rollback()
    before = snapshot(session)
    with pytest.raises(RegistryError) as refused:
        import_units(session, "satker.xlsx", REGISTRY_HOSTILE[what](good))
    session.rollback()
    assert str(refused.value).startswith("satker.xlsx: ")
    assert "root:x:0" not in str(refused.value)
    assert changed_tables(before, snapshot(session)) == []
