"""Each unit's feedback page after publication: 404 before, only its own unit (and the
province's monitor, the admin), judges anonymised everywhere (page and PDF), aspect means
checked by hand, charts and the scorecard PDF.

The season is built directly: submissions, judge assignments and verifications inserted
as rows, then a final run created with ``operations.runs.create_run`` and published."""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from assessment.models import (AuditLog, JudgeAssignment, Submission, User, Verification)
from assessment.operations.judging import wrap
from assessment.operations.ranking import ranking_rows
from assessment.operations.runs import create_run, publish
from tests.conftest import PASSWORD, SLUG, english

# three kabupaten/kota units: two in Jawa Tengah (33), one in DKI Jakarta (31)
SEMARANG, CILACAP, JAKPUS = "33.74", "33.01", "31.71"
JUDGES = (("penilai-anggrek", "Budi Santosa Wibowo"), ("penilai-melati", "Siti Rahayuningsih"))

# verified by both judges (the same values): kelembagaan and one koordinasi indicator
VERIFIED = {
    SEMARANG: {"sk-bakohumas": True, "struktur-tim": 0, "grup-koordinasi": 4},
    CILACAP: {"sk-bakohumas": True, "struktur-tim": 4, "grup-koordinasi": 4},
    JAKPUS: {"sk-bakohumas": False, "struktur-tim": 0},
}
CLAIMED = {
    SEMARANG: {"sk-bakohumas": True, "struktur-tim": 4, "grup-koordinasi": 4,
               "praktik-koordinasi": "Rapat rutin <b>mitra</b> setiap bulan."},
    CILACAP: {"sk-bakohumas": True, "struktur-tim": 4},
    JAKPUS: {"sk-bakohumas": True, "struktur-tim": 2},
}
COMMENTS = {  # (unit, judge index, indicator): comment
    (SEMARANG, 0, "sk-bakohumas"): "SK sudah ditandatangani, lampiran lengkap.",
    (SEMARANG, 1, "struktur-tim"): "Susunan tim belum memuat editor <script>x</script>.",
    (CILACAP, 0, "struktur-tim"): "Komentar untuk Cilacap saja.",
}


def build_season(session, *, publish_it=True, claimed=CLAIMED, verified=VERIFIED):
    """The period, three submitted units (or those of ``claimed``), two judges with values
    (``verified``) and comments, a final run (published unless told otherwise). Returns
    (period, run, judges)."""
    from assessment.models import Period
    now = datetime.now(timezone.utc)
    period = Period(slug=SLUG, title="Penilaian Tata Kelola Bakohumas 2025",
                    rubric_id="bakohumas-2025", opens_at=now - timedelta(days=60),
                    closes_at=now - timedelta(days=30))
    session.add(period)
    judges = []
    for username, name in JUDGES:
        judge = User(username=username, name=name, role="judge")
        judge.set_password(PASSWORD)
        session.add(judge)
        judges.append(judge)
    session.flush()
    for code, answers in claimed.items():
        session.add(Submission(period_id=period.id, unit_code=code, status="submitted",
                               answers=answers, submitted_at=now - timedelta(days=31)))
        for n, judge in enumerate(judges):
            assignment = JudgeAssignment(period_id=period.id, unit_code=code, judge_id=judge.id)
            session.add(assignment)
            session.flush()
            for ind, value in verified[code].items():
                session.add(Verification(assignment_id=assignment.id, indicator_id=ind,
                                         value=wrap(value),
                                         comment=COMMENTS.get((code, n, ind), "")))
    session.flush()
    admin = session.query(User).filter_by(role="admin").first()
    run = create_run(session, period, "final", admin)
    if publish_it:
        publish(session, period, run, admin)
    session.commit()
    return period, run, judges


@pytest.fixture
def season(session):
    return build_season(session)


@pytest.fixture
def users(make_user):
    return {"op": make_user(username="op-33.74", unit_code=SEMARANG),
            "other": make_user(username="op-33.01", unit_code=CILACAP),
            "monitor": make_user(username="monitor-33", role="monitor", unit_code="33"),
            "monitor31": make_user(username="monitor-31", role="monitor", unit_code="31")}


def url(code=SEMARANG, tail=""):
    return f"/umpan-balik/{SLUG}/{code}{tail}"


def test_feedback_is_404_before_publication_for_units_but_the_admin_previews(
        session, client, auth, users):
    build_season(session, publish_it=False)
    auth.login("op-33.74")
    for tail in ("", "/radar.png", "/selisih.png", "/rapor.pdf"):
        assert client.get(url(tail=tail)).status_code == 404
    auth.logout()
    auth.login("monitor-33")
    assert client.get(url()).status_code == 404
    auth.logout()
    admin = session.query(User).filter_by(role="admin").one()
    admin.set_password(PASSWORD)
    session.commit()
    auth.login(admin.username)
    page = client.get(url())
    assert page.status_code == 200
    assert b"Preview" in page.data or b"Pratinjau" in page.data


def test_a_unit_sees_only_its_own_feedback(season, client, auth, users):
    auth.login("op-33.74")
    assert client.get(url()).status_code == 200
    for tail in ("", "/radar.png", "/selisih.png", "/rapor.pdf"):
        assert client.get(url(CILACAP, tail)).status_code == 403
        assert client.get(url(JAKPUS, tail)).status_code == 403
    assert client.get(f"/umpan-balik/{SLUG}/99.99").status_code == 404
    assert client.get("/umpan-balik/no-such-period/33.74").status_code == 404
    auth.logout()
    # the province's monitor sees its regencies, not another province's
    auth.login("monitor-33")
    assert client.get(url(CILACAP)).status_code == 200
    assert client.get(url(JAKPUS)).status_code == 403
    auth.logout()
    auth.login("penilai-anggrek")     # judges have no feedback pages
    assert client.get(url()).status_code == 403


def test_page_shows_scores_means_comments_without_judge_identities(season, client, auth, users):
    period, run, judges = season
    auth.login("op-33.74")
    html = client.get(url()).get_data(as_text=True)
    # hand computation, aspect kelembagaan = sk-bakohumas (2) + struktur-tim (2) + sarana (2):
    # Semarang 2/6 = 33,33; Cilacap 4/6 = 66,67; Jakarta Pusat 0.
    # national mean (33,33 + 66,67 + 0) / 3 = 33,33; Jawa Tengah (33,33 + 66,67) / 2 = 50,00
    row = html.split('data-aspect="kelembagaan"')[1].split("</tr>")[0]
    assert 'data-col="verified">33,33<' in row
    assert 'data-col="national">33,33<' in row
    assert 'data-col="provincial">50,00<' in row
    other = html.split('data-aspect="sdm"')[1].split("</tr>")[0]
    assert 'data-col="national">0,00<' in other
    assert "data-rank>2 / 3<" in html          # Cilacap first, Semarang second, Jakarta third
    # comments anonymised, escaped, in judge order; another unit's comment absent
    assert "SK sudah ditandatangani, lampiran lengkap." in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
    assert "Komentar untuk Cilacap saja." not in html
    assert 'data-judge="1"' in html and 'data-judge="2"' in html
    for judge in judges:
        for secret in (judge.name, judge.username, f"J{judge.id}"):
            assert secret not in html
    # claimed versus verified: the claimed Optimum on struktur-tim against a verified 0
    item = html.split('data-indicator="struktur-tim"')[1].split("</li>")[0]
    assert "Optimum" in item and "100,00%" in item and "0,00%" in item


def test_judge_numbers_are_stable_across_indicators(season, client, auth, users):
    period, run, judges = season
    auth.login("op-33.74")
    html = client.get(url()).get_data(as_text=True)
    first = html.split('data-indicator="sk-bakohumas"')[1].split("</li>")[0]
    second = html.split('data-indicator="struktur-tim"')[1].split("</li>")[0]
    # judge 0 (lower id, key J<id> sorted) wrote on sk-bakohumas, judge 1 on struktur-tim
    order = sorted(judges, key=lambda j: f"J{j.id}")
    n_first = order.index(judges[0]) + 1
    n_second = order.index(judges[1]) + 1
    assert f'data-judge="{n_first}"' in first and f'data-judge="{n_second}"' in second
    assert f'data-judge="{n_second}"' not in first and f'data-judge="{n_first}"' not in second


def test_charts_are_png(season, client, auth, users):
    auth.login("op-33.74")
    for tail in ("/radar.png", "/selisih.png"):
        response = client.get(url(tail=tail))
        assert response.status_code == 200
        assert response.mimetype == "image/png"
        assert response.data.startswith(b"\x89PNG\r\n\x1a\n")


def test_scorecard_pdf_for_unit_monitor_and_admin(season, session, client, auth, users, tmp_path):
    period, run, judges = season
    auth.login("op-33.74")
    response = client.get(url(tail="/rapor.pdf"))
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    assert "33.74-kpu-kota-semarang.pdf" in response.headers["Content-Disposition"]
    if shutil.which("pdftotext"):
        path = tmp_path / "rapor.pdf"
        path.write_bytes(response.data)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "KPU Kota Semarang" in text
        assert "Penilai 1" in text or "Penilai 2" in text
        for judge in judges:
            assert judge.name not in text and judge.username not in text
    auth.logout()
    auth.login("monitor-33")
    assert client.get(url(tail="/rapor.pdf")).status_code == 200
    auth.logout()
    auth.login("monitor-31")
    assert client.get(url(tail="/rapor.pdf")).status_code == 403


def test_unit_without_submission_gets_a_message(season, client, auth, make_user):
    make_user(username="op-33.02", unit_code="33.02")
    auth.login("op-33.02")
    response = client.get(url("33.02"))
    assert response.status_code == 200
    assert b"data-total" not in response.data
    assert client.get(url("33.02", "/rapor.pdf")).status_code == 404


def test_withhold_toggle_is_audited_and_only_for_the_units_operator(season, session, client, auth,
                                                                     users):
    auth.login("op-33.01")
    assert client.post(url(tail="/praktik-baik"), data={"withhold": "1"}).status_code == 403
    auth.logout()
    auth.login("monitor-33")
    assert client.post(url(tail="/praktik-baik"), data={"withhold": "1"}).status_code == 403
    auth.logout()
    auth.login("op-33.74")
    assert client.post(url(tail="/praktik-baik"), data={"withhold": "1"}).status_code == 302
    assert 'data-withhold="0"' in client.get(url()).get_data(as_text=True)
    assert client.post(url(tail="/praktik-baik"), data={"withhold": "0"}).status_code == 302
    actions = [a.action for a in session.query(AuditLog).filter(
        AuditLog.action.like("good_practice.%")).order_by(AuditLog.id)]
    assert actions == ["good_practice.opt_out", "good_practice.opt_in"]


def test_dashboard_links_to_feedback(season, client, auth, users):
    auth.login("op-33.74")
    html = client.get("/dasbor/").get_data(as_text=True)
    assert url() in html
    index = client.get("/umpan-balik/").get_data(as_text=True)
    assert url() in index


def test_page_states_the_order_rule_and_the_aspect_that_decided_a_tie(session, client, auth,
                                                                       users):
    """Issue 14: the rank comes with the ordering rule, and a unit placed below another with
    the same total says which aspect decided it. Full marks on grup-koordinasi (koordinasi)
    and on keterpaduan-zona (zona informasi) both give a total of 2,00; media sosial is
    equal (0), so koordinasi, the second tie-break aspect, puts Semarang first."""
    tie = {SEMARANG: {"grup-koordinasi": 4}, CILACAP: {"keterpaduan-zona": 4}}
    _period, run, _judges = build_season(session, claimed=tie, verified=tie)
    rows = {r["code"]: r for r in ranking_rows(run)}
    assert rows[SEMARANG]["total"] == rows[CILACAP]["total"]
    assert (rows[SEMARANG]["rank"], rows[CILACAP]["rank"]) == (1, 2)
    auth.login("op-33.01")
    english(client)
    page = client.get(url(CILACAP)).get_data(as_text=True)
    rule = page.split("data-order-rule>")[1].split("</p>")[0]
    assert "Order: the last stage reached" in rule
    assert "then the total rounded to two decimals" in rule
    assert ("then the aspects Pengelolaan Media Sosial, Koordinasi dan Kemitraan Pemangku "
            "Kepentingan, Peliputan dan Publikasi Kegiatan in this order") in rule
    decided = page.split("data-decided-by>")[1].split("</div>")[0]
    assert decided == f"tie decided by {rows[CILACAP]['decided_by']}"
    assert decided == "tie decided by Koordinasi dan Kemitraan Pemangku Kepentingan"
    auth.logout()
    auth.login("op-33.74")          # the unit above it: the rule, and no tie note
    page = client.get(url(SEMARANG)).get_data(as_text=True)
    assert "data-order-rule" in page and "data-decided-by" not in page
