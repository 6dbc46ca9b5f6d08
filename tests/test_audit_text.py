"""The audit log in plain words (issue 13): what happened, who (name and role), to which
unit, when (WIB); the raw details behind a toggle; 50 a page with the filters kept."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from assessment import audit
from assessment.audit_text import SENTENCES
from assessment.models import AuditLog
from tests.conftest import english


def test_the_audit_log_reads_as_sentences(client, auth, make_user, session):
    admin = make_user("admin2", role="admin", unit_code=None, name="Dra. Sinta Dewi")
    operator = make_user("op-33", name="Budi Santoso")
    entry = audit.record("submission.submit", None, user=operator, unit_code="33", version=4)
    entry.at = datetime(2025, 8, 21, 16, 59, tzinfo=timezone.utc)
    session.commit()
    auth.login("admin2")
    page = client.get("/admin/audit/?action=submission.submit").get_data(as_text=True)
    row = page[page.index("<tbody>"):page.index("</tbody>")]
    assert "Mengirim kuesioner" in row                       # Indonesian by default
    assert "Budi Santoso" in row and "Operator" in row
    assert "KPU Provinsi Jawa Tengah" in row
    assert "21 Agustus 2025 23.59" in row                    # WIB, the only time shown
    assert re.search(r"<details[^>]*>\s*<summary>Rincian</summary>", row)
    assert "<code>submission.submit</code>" in row and "version" in row
    assert "UTC" not in row and "User 2" not in row
    assert page.count("audit-table") == 1             # one table, the words
    english(client)
    assert "Submitted the questionnaire" in client.get("/admin/audit/").get_data(as_text=True)
    assert admin


def test_every_action_recorded_by_the_code_has_a_sentence():
    import pathlib
    source = "".join(p.read_text() for p in pathlib.Path("assessment").rglob("*.py"))
    actions = set(re.findall(r'(?:audit\.record|record)\(\s*"([a-z_]+\.[a-z_.]+)"', source))
    actions |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', source))
    assert actions - set(SENTENCES) == set()


def test_pages_of_fifty_keep_the_filters(client, auth, make_user, session):
    make_user("admin2", role="admin", unit_code=None)
    for n in range(60):
        audit.record("notice.manual_reminder", None, user=None, unit_code="33", n=n)
    session.commit()
    auth.login("admin2")
    first = client.get("/admin/audit/?action=notice.manual_reminder&unit=33").get_data(as_text=True)
    assert first.count('<details class="small audit-detail"') == 50
    assert "page=2" in first and "action=notice.manual_reminder" in first and "unit=33" in first
    second = client.get("/admin/audit/?action=notice.manual_reminder&unit=33&page=2").get_data(as_text=True)
    assert second.count('<details class="small audit-detail"') == 10
