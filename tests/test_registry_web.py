"""The registry and rubric editions from the web (admin only): search the registry, import a
file with a preview of its changes, all or nothing; check and load a rubric edition with the
errors' file and place; which period uses which edition."""
from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path

import pytest

from assessment.models import AuditLog, RubricEdition, WorkUnit

from .conftest import english

HEADER = "code,name,level,province_code,time_zone\n"
EDITION = Path(__file__).resolve().parents[1] / "rubrics" / "editions" / "bakohumas-2025.yaml"


@pytest.fixture
def admin(client, auth, make_user):
    make_user("bureau", role="admin", unit_code=None)
    auth.login("bureau")
    english(client)


def upload(client, url, name, data: bytes, **extra):
    return client.post(url, data={"file": (io.BytesIO(data), name), **extra},
                       content_type="multipart/form-data")


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"',
                     html).group(1)


def test_search_the_registry(client, admin):
    html = client.get("/admin/satker/?q=nabire").get_data(as_text=True)
    assert "94.01" in html and "KPU Kabupaten Nabire" in html and "33.74" not in html
    assert "94.01" in html and "91.04" in html                  # Nabire's former code, ended
    assert "succeeded by 94.01" in html.split("91.04")[1]
    assert "579 units" in client.get("/admin/satker/").get_data(as_text=True)   # 553 + 26


def test_import_previews_then_applies(client, session, admin):
    data = (HEADER + "33.74,KPU Kota Semarang Baru,kabkota,33,WIB\n"
            "33.99,KPU Kabupaten Uji,kabkota,33,WIB\n"
            "33.01,KPU Kabupaten Cilacap,kabkota,33,WIB\n").encode()
    response = upload(client, "/admin/satker/impor", "satker.csv", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 units added, 1 changed, 1 unchanged" in html
    assert "KPU Kota Semarang Baru" in html and "33.99 KPU Kabupaten Uji" in html
    assert session.get(WorkUnit, "33.99") is None            # nothing yet
    applied = client.post("/admin/satker/terapkan", data={
        "filename": "satker.csv", "payload": hidden(html, "payload"), "sha256": hidden(html, "sha256")})
    assert applied.status_code == 302
    session.expire_all()
    assert session.get(WorkUnit, "33.99").name == "KPU Kabupaten Uji"
    assert session.get(WorkUnit, "33.74").name == "KPU Kota Semarang Baru"
    entry = session.query(AuditLog).filter_by(action="units.import").one()
    assert entry.detail["added"] == 1 and entry.detail["updated"] == 2


def test_a_bad_file_imports_nothing_and_names_every_problem(client, session, admin):
    data = (HEADER + "33.98,KPU Baru,kabkota,33,WIB\n33.74,,kota,33,WITB\n").encode()
    response = upload(client, "/admin/satker/impor", "satker.csv", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "satker.csv: row 3, name: is empty" in html and "row 3, time_zone" in html
    assert "Apply these changes" not in html and session.get(WorkUnit, "33.98") is None


def test_apply_refuses_a_changed_payload(client, session, admin):
    data = (HEADER + "33.97,KPU Uji,kabkota,33,WIB\n").encode()
    response = client.post("/admin/satker/terapkan", data={
        "filename": "satker.csv", "payload": base64.b64encode(data).decode(),
        "sha256": hashlib.sha256(b"other").hexdigest()})
    assert response.status_code == 400 and session.get(WorkUnit, "33.97") is None


def test_apply_checks_again_all_or_nothing(client, session, admin):
    data = (HEADER + "33.96,KPU Uji,kabkota,33,WIB\n33.95,KPU Uji 2,kabkota,99,WIB\n").encode()
    response = client.post("/admin/satker/terapkan", data={
        "filename": "satker.csv", "payload": base64.b64encode(data).decode(),
        "sha256": hashlib.sha256(data).hexdigest()}, follow_redirects=True)
    assert "Nothing was imported" in response.get_data(as_text=True)
    assert session.get(WorkUnit, "33.96") is None


def test_rubric_editions_list_check_and_load(client, session, admin, make_period):
    make_period(slug="p-2025", title="Penilaian 2025")
    html = client.get("/admin/rubrik/").get_data(as_text=True)
    assert "bakohumas-2025" in html and "Penilaian 2025" in html
    source = EDITION.read_text(encoding="utf-8").replace("id: bakohumas-2025", "id: uji-2027", 1)
    checked = upload(client, "/admin/rubrik/", "uji.yaml", source.encode(), action="check")
    assert checked.status_code == 200 and "uji-2027" in checked.get_data(as_text=True)
    assert session.get(RubricEdition, "uji-2027") is None
    loaded = upload(client, "/admin/rubrik/", "uji.yaml", source.encode(), action="load")
    assert loaded.status_code == 302 and session.get(RubricEdition, "uji-2027") is not None
    assert session.query(AuditLog).filter_by(action="rubric.load").count() == 1


def test_an_invalid_rubric_names_file_and_place(client, session, admin):
    bad = b"id: rusak\ntitle: Rusak\naspects: 12\n"
    response = upload(client, "/admin/rubrik/", "rusak.yaml", bad, action="load")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "rusak.yaml:" in html
    assert session.get(RubricEdition, "rusak") is None


def test_a_changed_edition_under_a_loaded_id_is_refused(client, session, admin):
    source = EDITION.read_text(encoding="utf-8").replace("title:", "title: Diubah", 1)
    response = upload(client, "/admin/rubrik/", "ubah.yaml", source.encode(), action="load")
    assert response.status_code == 422 and "already loaded with other content" in response.get_data(as_text=True)


def test_only_admins(client, auth, make_user):
    make_user("op-33", unit_code="33")
    auth.login("op-33")
    for url in ("/admin/satker/", "/admin/satker/impor", "/admin/rubrik/"):
        assert client.get(url).status_code == 403
