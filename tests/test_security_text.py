"""Text that cannot be stored is refused at every boundary with 422 naming the field, text
is kept in NFC, numbers typed with other digits never crash, and text stored before the
checks is repaired by the migration or shown escaped by the audit viewer."""
from __future__ import annotations

import importlib
import json
import unicodedata

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from hypothesis import given, strategies as st

from assessment import text
from assessment.extensions import db
from assessment.models import AuditLog, Submission
from tests.hostile_support import SLUG, changed_tables, snapshot
from tests.test_hostile_json import ENDPOINTS, season, send  # noqa: F401  (the fixture)

BAD = ["x \ud83d", "\udc00", "a\x00b", "bel\x07", "esc\x1b[31m", "c1\x85", "del\x7f"]
GOOD = ["tab\tand\nnew line\r\n", "Jawa Tengah", "\u202eRTL", "e\u0301", "٣ ² ½", "x" * 10_000]


@pytest.mark.parametrize("value", BAD)
def test_text_that_cannot_be_stored_is_named(value):
    with pytest.raises(text.TextInvalid) as caught:
        text.clean(value, "answer-kendala")
    assert caught.value.field == "answer-kendala"
    assert text.problem(text.repair(value)) is None


@pytest.mark.parametrize("value", GOOD)
def test_ordinary_text_is_kept_in_nfc(value):
    assert text.clean(value, "f") == unicodedata.normalize("NFC", value)


@given(st.text())
def test_every_text_is_either_refused_or_encodable(value):
    try:
        cleaned = text.clean(value, "f")
    except text.TextInvalid:
        cleaned = text.repair(value)
    cleaned.encode("utf-8")
    text.shown(value).encode("utf-8")


@pytest.mark.parametrize("value", ["²", "٣", "1e3", " 7", "99999999999999999999", "-", "", None])
def test_numbers_are_read_with_ascii_digits_only(value):
    assert text.ascii_int(value) is None
    assert text.ascii_int("12") == 12


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("value", BAD)
def test_json_text_is_refused_with_422_naming_the_field(client, session, season, endpoint, value):
    body = json.loads(json.dumps(ENDPOINTS[endpoint][3]))
    field = next(k for k in ("answers", "values", "head_name") if k in body)
    if isinstance(body[field], dict):
        body[field] = {"kendala-dukungan": value}
        name = f"{field}.kendala-dukungan"
    else:
        body[field] = value
        name = field
    before = snapshot(session)
    response = send(client, season, endpoint, body=body)
    assert response.status_code == 422, response.get_json()
    assert name in response.get_json()["details"]
    assert changed_tables(before, snapshot(session)) == []


def test_json_text_is_stored_in_nfc(client, session, season):
    body = {"answers": {"kendala-dukungan": "Cafe\u0301 di Jawa"}, "version": 1}
    response = send(client, season, "save", body=body)
    assert response.status_code == 200, response.get_json()
    session.expire_all()
    sub = session.query(Submission).filter_by(unit_code="33.74").one()
    assert sub.answers["kendala-dukungan"] == "Caf\u00e9 di Jawa"


@pytest.mark.parametrize("value", [v for v in BAD if v.isascii()])   # forms carry UTF-8 only
def test_form_text_and_file_names_are_refused_with_422_naming_the_field(app, session, season,
                                                                       value):
    client = app.test_client()
    client.post("/akun/masuk", data={"username": "op-33.74", "password": "kata-sandi-uji-123"})
    before = snapshot(session)
    response = client.post(f"/kuesioner/{SLUG}/kelembagaan",
                           data={"version": "1", "save": "1", "answer-kendala-dukungan": value})
    assert response.status_code == 422
    assert "answer-kendala-dukungan" in response.get_data(as_text=True)
    response = client.post(f"/kuesioner/{SLUG}/kelembagaan", content_type="multipart/form-data",
                           data={"version": "1", "save": "1",
                                 "file-sk-bakohumas": (__import__("io").BytesIO(b"%PDF-1.4"),
                                                       f"sk{value}.pdf")})
    assert response.status_code == 422
    assert changed_tables(before, snapshot(session)) == []


@pytest.mark.parametrize("value", ["²", "٣", "9" * 40, "-1"])
def test_unicode_digits_in_form_numbers_are_never_a_500(app, session, season, value):
    client = app.test_client()
    client.post("/akun/masuk", data={"username": "op-33.74", "password": "kata-sandi-uji-123"})
    for data in ({"version": "1", "save": "1", "delete_evidence": value},
                 {"version": value, "save": "1"}):
        response = client.post(f"/kuesioner/{SLUG}/kelembagaan", data=data)
        assert response.status_code < 500, (data, response.status_code)


def test_the_migration_repairs_stored_text_and_the_audit_viewer_escapes(app, session, season,
                                                                        client, auth):
    """Rows written before the checks (here straight into the JSON text) are repaired;
    the append-only audit log keeps its rows and the viewer shows them escaped."""
    sub = session.query(Submission).filter_by(unit_code="33.74").one()
    table = Submission.__table__
    raw = json.dumps({"kendala-dukungan": "x \ud83d e\u0301"})      # escapes, as JSON stores
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE {table.name} SET answers = {'CAST(%(a)s AS JSON)' if connection.dialect.name == 'postgresql' else ':a'} "
            f"WHERE id = {'%(i)s' if connection.dialect.name == 'postgresql' else ':i'}",
            {"a": raw, "i": sub.id})
        connection.exec_driver_sql(
            "INSERT INTO audit_log (at, action, object_type, object_id, detail) VALUES "
            + ("(now(), 'uji', '', '', CAST(%(d)s AS JSON))" if connection.dialect.name == "postgresql"
               else "(CURRENT_TIMESTAMP, 'uji', '', '', :d)"),
            {"d": json.dumps({"teks": "y \udc00"})})
    migration = importlib.import_module(
        "assessment.migrations.versions.0005_repair_unencodable_text")
    with db.engine.begin() as connection:
        with Operations.context(MigrationContext.configure(connection)):
            migration.upgrade()
    session.expire_all()
    repaired = session.get(Submission, sub.id).answers["kendala-dukungan"]
    assert repaired == "x \ufffd \u00e9"
    auth.login("admin-uji")
    page = client.get("/admin/audit/")
    assert page.status_code == 200
    assert "y \\udc00" in page.get_data(as_text=True)
    assert session.query(AuditLog).filter_by(action="uji").count() == 1
