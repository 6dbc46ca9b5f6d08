"""Tanda terima (issue 13): on submission the unit can download, at any later time, a PDF
with every answer, the evidence, the integrity statement, the time in WIB and the unit's own
zone, and the SHA-256 of the submitted snapshot."""
from __future__ import annotations

import subprocess

from assessment.models import Evidence, SubmissionSnapshot
from assessment.operations import answers as qa
from assessment.rubric_store import rubric_for
from reports.receipt import snapshot_sha256
from tests.conftest import SLUG, sub_of
from tests.test_questionnaire_operations import zero_answers
from tests.test_questionnaire_views import save


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "tanda-terima.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def submit(client, session, user, period, unit="33"):
    save(client, 1, answer_sk_bakohumas="ya")
    sub = sub_of(session, unit)
    qa.save_answers(session, sub, zero_answers(rubric_for(period)), {}, 2, user)
    session.add(Evidence(submission_id=sub.id, indicator_id="sk-bakohumas", kind="link",
                         url="https://kpu.go.id/sk-bakohumas-2025.pdf"))
    session.commit()
    response = client.post(f"/kuesioner/{SLUG}/kirim", data={
        "version": str(sub_of(session, unit).version), "head_name": "Dr. Paramita Sari",
        "head_position": "Sekretaris", "head_nip": "19700101 199503 1 001", "agreed": "y"})
    assert response.status_code == 302
    return sub_of(session, unit)


def test_receipt_pdf_content(client, session, operator, tmp_path):
    user, period = operator
    assert client.get(f"/kuesioner/{SLUG}/tanda-terima.pdf").status_code == 404   # not yet
    sub = submit(client, session, user, period)
    assert "Receipt (PDF)" in client.get(f"/kuesioner/{SLUG}").get_data(as_text=True)
    response = client.get(f"/kuesioner/{SLUG}/unit/33/tanda-terima.pdf")
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(response.data, tmp_path)
    snapshot = session.query(SubmissionSnapshot).filter_by(submission_id=sub.id, kind="submit").one()
    digest = snapshot_sha256(snapshot.answers, snapshot.evidence)
    assert digest in text.replace("\n", "").replace(" ", "")
    assert "Tanda Terima Pengiriman Kuesioner" in text and "KPU Provinsi Jawa Tengah" in text
    assert "Dr. Paramita Sari" in text and "Pernyataan integritas" in text
    assert "bersedia menerima konsekuensinya" in text
    assert "https://kpu.go.id/sk-bakohumas-2025.pdf" in text
    assert " WIB" in text
    rubric = rubric_for(period)
    numbers = [f"{a}.{i}" for a, aspect in enumerate(rubric.aspects, 1)
               for i, _ind in enumerate(aspect.indicators, 1)]
    starts = {line.split()[0] for line in text.splitlines() if line.strip()}
    assert set(numbers) <= starts                      # every answer has its row
    # the same receipt later (the unit can download it at any time)
    assert client.get(f"/kuesioner/{SLUG}/tanda-terima.pdf").data[:4] == b"%PDF"


def test_receipt_shows_the_units_own_zone(client, session, auth, make_user, make_period, tmp_path):
    from tests.conftest import english
    user = make_user("op-94", unit_code="94")        # Papua: WIT
    period = make_period(slug=SLUG)
    auth.login("op-94")
    english(client)
    submit(client, session, user, period, unit="94")
    text = pdf_text(client.get(f"/kuesioner/{SLUG}/tanda-terima.pdf").data, tmp_path)
    assert "WIB (" in text and "WIT)" in text


def test_another_unit_cannot_download_the_receipt(client, session, auth, operator, make_user):
    user, period = operator
    submit(client, session, user, period)
    auth.logout()
    make_user("op-34", unit_code="34")
    auth.login("op-34")
    assert client.get(f"/kuesioner/{SLUG}/unit/33/tanda-terima.pdf").status_code == 403
