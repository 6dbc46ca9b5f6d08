"""A whole judging season over HTTP with the Flask test client, on SQLite and PostgreSQL.

The admin opens a period and sets the judging settings; three units submit (JSON API with a
token, HTML form, offline .xlsx); automatic assignment respects a seconded judge's
conflict; judges verify through the pages and the API; one unit is returned once and
resubmits; a disagreement is flagged and moderated; the provisional ranking; stage-two
scores; an objection in the masa sanggah reviewed by a judge who did not verify the unit and
accepted with a new value; finalising and publishing; the public results and the ranking API
(equal to ``scoring.score`` on the run's own exchange and rubric); feedback pages for each
unit's own operator only; no judge's name on any unit-facing page; and the audit log.

Windows (questionnaire closing, verification closing, masa sanggah) are opened and closed by
setting the Period's date columns directly in the database between steps: a test shortcut
for the passing of time, not something the application offers."""
from __future__ import annotations

import io
import json
import random
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook

from assessment.models import (AuditLog, JudgeAssignment, Moderation, Objection, Period,
                               ScoringRun, StageScore, Submission, User)
from assessment.operations.assign import judging_settings
from assessment.operations.judging import unwrap
from assessment.operations.runs import run_rubric
from assessment.operations.tokens import create_token
from assessment.rubric_store import rubric_by_id
from reports.questionnaire_xlsx import answer_cells
from scoring import assessment_from_dict, score
from scoring.exchange import result_to_dict
from scoring.synthetic import answer_for
from tests.conftest import SLUG

API = "/api/v1"
WIB = timezone(timedelta(hours=7))
HEAD = {"head_name": "Dra. Sri Wahyuni", "head_position": "Ketua",
        "head_nip": "19700101 199503 2 001"}
API_UNIT, HTML_UNIT, XLSX_UNIT = "32", "33", "33.74"   # Jawa Barat, Jawa Tengah, Kota Semarang
UNITS = (API_UNIT, HTML_UNIT, XLSX_UNIT)
# judges: two from the centre, one seconded from KPU Provinsi Jawa Tengah (33)
JUDGES = {"penilai-a": ("Ayu Kartikasari Wulandari", None),
          "penilai-b": ("Bima Prasetyo Nugroho", None),
          "penilai-c": ("Citra Lestari Handayani", "33")}
SECONDED = "penilai-c"
DISPUTED = "sk-bakohumas"     # penilai-b disagrees with penilai-a on unit 33 (yes vs no)
RETURNED = "struktur-tim"     # unit 33.74 is asked to fix this one
OBJECTED = "strategi-komunikasi"  # unit 32 objects to this one (claimed level 1 of 0-4)


# ---- plain helpers ---------------------------------------------------------------------------

def now() -> datetime:
    return datetime.now(timezone.utc)


def wib(moment: datetime) -> str:
    """A date-time as the admin forms take it (datetime-local, WIB)."""
    return moment.astimezone(WIB).strftime("%Y-%m-%dT%H:%M")


def text(response) -> str:
    return response.get_data(as_text=True)


def answers_for(rubric, code: str) -> dict:
    """A complete, fairly strong questionnaire (synthetic, repeatable per unit)."""
    rnd = random.Random(f"season-{code}")
    out = {}
    for ind in rubric.indicators:
        value = answer_for(ind, 0.85, rnd)
        if ind.type == "choice" and not value:
            value = [ind.options[0]]
        out[ind.id] = value
    out[DISPUTED] = True
    return out


def earns(ind, value) -> bool:
    return value not in (None, False, 0, [], "")


def form_value(ind, value):
    """What the questionnaire form posts for an answer."""
    if ind.type == "yesno":
        return "ya" if value else "tidak"
    if ind.type == "scale":
        return str(value)
    if ind.type == "number":
        return str(value).replace(".", ",")   # the Indonesian decimal comma
    if ind.type == "choice":
        return list(value) or ["-"]
    return value


def xlsx_changes(rubric, answers: dict) -> dict:
    """{(sheet, cell): value} filling a downloaded workbook as a person would in Excel."""
    cells, changes = answer_cells(rubric), {}
    for ind in rubric.indicators:
        value = answers.get(ind.id)
        sheet, cell = cells[ind.id]
        if ind.type == "choice":
            first = int(cell[1:])
            for index, option in enumerate(ind.options):
                changes[(sheet, f"{cell[0]}{first + index}")] = "Ya" if option in value else "Tidak"
        elif ind.type == "yesno":
            changes[(sheet, cell)] = "Ya" if value else "Tidak"
        elif ind.type == "scale":
            changes[(sheet, cell)] = ind.levels[value].label
        else:
            changes[(sheet, cell)] = value
    return changes


def filled_workbook(data: bytes, changes: dict) -> bytes:
    book = load_workbook(io.BytesIO(data))
    for (sheet, cell), value in changes.items():
        book[sheet][cell].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Season:
    """The test's actors: one test client, logging in as each in turn, and API tokens."""

    def __init__(self, client, auth, session, period_slug=SLUG):
        self.client, self.auth, self.session, self.slug = client, auth, session, period_slug
        self.tokens: dict[str, dict] = {}

    def as_(self, username: str) -> None:
        self.auth.logout()
        response = self.auth.login(username)
        assert response.status_code == 302, text(response)[:500]

    def token(self, username: str) -> dict:
        if username not in self.tokens:
            user = self.session.query(User).filter_by(username=username).one()
            _, secret = create_token(self.session, user, "musim")
            self.session.commit()
            self.tokens[username] = {"Authorization": f"Bearer {secret}"}
        return self.tokens[username]

    def period(self) -> Period:
        self.session.expire_all()
        return self.session.query(Period).filter_by(slug=self.slug).one()

    def sub(self, code: str) -> Submission:
        self.session.expire_all()
        return self.session.query(Submission).filter_by(period_id=self.period().id,
                                                        unit_code=code).one()

    def travel(self, **columns) -> None:
        """Test shortcut for the passing of time: set Period date columns directly."""
        period = self.period()
        for key, value in columns.items():
            setattr(period, key, value)
        self.session.commit()

    def judges_of(self, code: str) -> set[str]:
        self.session.expire_all()
        rows = self.session.query(JudgeAssignment).filter_by(
            period_id=self.period().id, unit_code=code, active=True).all()
        return {row.judge.username for row in rows}

    # ---- operators ---------------------------------------------------------------------

    def add_links(self, rubric, answers: dict) -> None:
        """Required evidence as links, through the questionnaire's evidence route."""
        for ind in rubric.indicators:
            if ind.evidence == "required" and earns(ind, answers.get(ind.id)):
                response = self.client.post(f"/bukti/{self.slug}/{ind.id}/tautan",
                                            data={"url": f"https://kpu.go.id/bukti/{ind.id}"})
                assert response.status_code == 302

    def save_aspect(self, code: str, aspect, answers: dict, links: bool = True):
        data = {"version": str(self.sub(code).version) if self._has_sub(code) else "1",
                "save": "1"}
        for ind in aspect.indicators:
            data[f"answer-{ind.id}"] = form_value(ind, answers[ind.id])
            if links and ind.evidence == "required" and earns(ind, answers[ind.id]):
                data[f"link-{ind.id}"] = f"https://kpu.go.id/bukti/{ind.id}"
        return self.client.post(f"/kuesioner/{self.slug}/{aspect.id}", data=data)

    def _has_sub(self, code: str) -> bool:
        self.session.expire_all()
        return self.session.query(Submission).filter_by(period_id=self.period().id,
                                                        unit_code=code).count() > 0

    def submit_form(self, code: str):
        return self.client.post(f"/kuesioner/{self.slug}/kirim",
                                data=dict(HEAD, version=str(self.sub(code).version), agreed="y"))

    # ---- judges ------------------------------------------------------------------------

    def verify_pages(self, judge: str, code: str, rubric, comment: str) -> None:
        """Verify every aspect in the pages (the unit's answers copied into every empty
        value, one comment), then complete the unit."""
        self.as_(judge)
        assert self.client.get(f"/penilai/{self.slug}").status_code == 200
        assert self.client.get(f"/penilai/{self.slug}/{code}").status_code == 200
        for n, aspect in enumerate(rubric.aspects):
            data = {"copy": "*", "save": "1"}
            if n == 0:
                data[f"comment-{aspect.indicators[0].id}"] = comment
            response = self.client.post(f"/penilai/{self.slug}/{code}/{aspect.id}", data=data)
            assert response.status_code == 302, text(response)[:800]
        response = self.client.post(f"/penilai/{self.slug}/{code}/selesai")
        assert response.status_code == 302
        assert self.assignment(judge, code).completed_at is not None

    def verify_api(self, judge: str, code: str, values: dict, comment: str) -> dict:
        url = f"{API}/periods/{self.slug}/verifications/{code}"
        headers = self.token(judge)
        shown = self.client.get(url, headers=headers)
        assert shown.status_code == 200 and shown.get_json()["state"] in ("not_started", "started")
        first = next(iter(values))
        response = self.client.put(url, json={"values": values, "comments": {first: comment}},
                                   headers=headers)
        assert response.status_code == 200, response.get_json()
        response = self.client.post(url + "/complete", headers=headers)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["state"] == "completed"
        return response.get_json()

    def assignment(self, judge: str, code: str) -> JudgeAssignment:
        self.session.expire_all()
        user = self.session.query(User).filter_by(username=judge).one()
        return self.session.query(JudgeAssignment).filter_by(
            period_id=self.period().id, unit_code=code, judge_id=user.id).one()


def scored_values(rubric, answers: dict) -> dict:
    return {i.id: answers[i.id] for i in rubric.indicators if i.scored}


# ---- the season ------------------------------------------------------------------------------

def test_a_whole_season_over_http(app, client, auth, session, make_user):
    season = Season(client, auth, session)
    rubric = rubric_by_id("bakohumas-2025")
    make_user(username="admin-musim", role="admin", unit_code=None, name="Admin Biro")
    for username, (name, unit) in JUDGES.items():
        make_user(username=username, role="judge", unit_code=unit, name=name)
    for code in UNITS:
        make_user(username=f"op-{code}", unit_code=code, name=f"Operator {code}")
    answers = {code: answers_for(rubric, code) for code in UNITS}
    answers[API_UNIT][OBJECTED] = 1
    answers[XLSX_UNIT][RETURNED] = 1

    # 1. the admin opens the period and sets the judging settings
    season.as_("admin-musim")
    start = now()
    response = client.post("/admin/periode/baru", data={
        "slug": SLUG, "title": "Penilaian Tata Kelola Bakohumas 2025",
        "rubric_id": "bakohumas-2025", "opens_at": wib(start - timedelta(hours=1)),
        "closes_at": wib(start + timedelta(days=7)), "levels": ["provinsi", "kabkota"]})
    assert response.status_code == 302, text(response)[:800]
    response = client.post(f"/admin/judging/{SLUG}/pengaturan", data={
        "judges_per_unit": "2", "judge_cap": "", "conflict_same_province": "y",
        "disagreement_threshold": "0,5", "min_shared_indicators": "10",
        "verification_closes_at": wib(start + timedelta(days=10)),
        "objection_opens_at": wib(start + timedelta(days=12)),
        "objection_closes_at": wib(start + timedelta(days=15))})
    assert response.status_code == 302, text(response)[:1500]
    period = season.period()
    settings = judging_settings(period)
    assert settings["judges_per_unit"] == 2 and settings["disagreement_threshold"] == 0.5
    assert settings["conflict_same_province"] is True and settings["judge_cap"] is None
    assert period.objection_opens_at - period.verification_closes_at == timedelta(days=2)

    # 2a. Jawa Barat through the JSON API with a personal token (evidence links through the
    #     evidence route, which the API does not cover)
    sub_url = f"{API}/periods/{SLUG}/units/{API_UNIT}/submission"
    headers = season.token(f"op-{API_UNIT}")
    response = client.put(sub_url, json={"answers": answers[API_UNIT], "version": 1},
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    season.as_(f"op-{API_UNIT}")
    season.add_links(rubric, answers[API_UNIT])
    version = client.get(sub_url, headers=headers).get_json()["version"]
    response = client.post(sub_url + "/submit", json=dict(HEAD, version=version, agreed=True),
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    # another unit's questionnaire through the same token: refused
    assert client.put(f"{API}/periods/{SLUG}/units/{HTML_UNIT}/submission",
                      json={"answers": {}, "version": 1}, headers=headers).status_code == 403

    # 2b. Jawa Tengah through the HTML form, aspect by aspect, with links on the pages
    season.as_(f"op-{HTML_UNIT}")
    for aspect in rubric.aspects:
        response = season.save_aspect(HTML_UNIT, aspect, answers[HTML_UNIT])
        assert response.status_code == 302, text(response)[:1500]
    assert season.submit_form(HTML_UNIT).status_code == 302

    # 2c. Kota Semarang offline: links first, then the workbook downloaded, filled, uploaded
    season.as_(f"op-{XLSX_UNIT}")
    season.add_links(rubric, answers[XLSX_UNIT])
    download = client.get(f"/kuesioner/{SLUG}/excel")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    upload = filled_workbook(download.data, xlsx_changes(rubric, answers[XLSX_UNIT]))
    response = client.post(f"/kuesioner/{SLUG}/excel/unggah",
                           data={"file": (io.BytesIO(upload), "kuesioner.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, text(response)[:2000]
    assert season.submit_form(XLSX_UNIT).status_code == 302

    for code in UNITS:
        sub = season.sub(code)
        assert sub.status == "submitted"
        assert {k: v for k, v in sub.answers.items() if v is not None} == \
            {k: v for k, v in answers[code].items() if v is not None}
    sources = {e.unit_code: e.detail.get("source") for e in session.query(AuditLog)
               .filter_by(action="submission.save")}
    assert sources == {API_UNIT: "api", HTML_UNIT: "web", XLSX_UNIT: "xlsx"}
    # the questionnaire closes (time travel): no more saves from anyone not returned
    season.travel(closes_at=now() - timedelta(minutes=1))

    # 3. automatic assignment: two judges per unit, the seconded judge never on Jawa Tengah
    season.as_("admin-musim")
    response = client.post(f"/admin/judging/{SLUG}/otomatis")
    assert response.status_code == 302
    judges = {code: season.judges_of(code) for code in UNITS}
    assert all(len(names) == 2 for names in judges.values()), judges
    assert SECONDED not in judges[HTML_UNIT] | judges[XLSX_UNIT]
    assert judges[HTML_UNIT] == judges[XLSX_UNIT] == {"penilai-a", "penilai-b"}
    assert SECONDED in judges[API_UNIT]
    overview = text(client.get(f"/admin/judging/{SLUG}/"))
    assert JUDGES["penilai-a"][0] in overview
    # the conflict is enforced on the server: pages and API
    season.as_(SECONDED)
    assert client.get(f"/penilai/{SLUG}/{HTML_UNIT}").status_code == 403
    assert client.get(f"/penilai/{SLUG}/{XLSX_UNIT}/kelembagaan").status_code == 403
    assert client.get(f"{API}/periods/{SLUG}/verifications/{HTML_UNIT}",
                      headers=season.token(SECONDED)).status_code == 403
    assert client.get(f"/penilai/{SLUG}/{API_UNIT}").status_code == 200

    # 4. Kota Semarang is returned once (penilai-a has begun), fixes and resubmits
    verify_url = f"{API}/periods/{SLUG}/verifications/{XLSX_UNIT}"
    first_aspect = {i.id: answers[XLSX_UNIT][i.id] for i in rubric.aspects[0].scored_indicators}
    assert client.put(verify_url, json={"values": first_aspect},
                      headers=season.token("penilai-a")).status_code == 200
    season.as_("admin-musim")
    response = client.post(f"/admin/moderation/{SLUG}/unit/{XLSX_UNIT}/kembalikan", data={
        "closes_at": wib(now() + timedelta(days=2)),
        f"reason-{RETURNED}": "SK tim belum dilampirkan; lampirkan SK terbaru."})
    assert response.status_code == 302, text(response)[:1500]
    assert season.sub(XLSX_UNIT).status == "returned"
    again = client.post(f"/admin/moderation/{SLUG}/unit/{XLSX_UNIT}/kembalikan", data={
        "closes_at": wib(now() + timedelta(days=2)), f"reason-{RETURNED}": "Sekali lagi."})
    assert again.status_code == 409          # once only
    # while returned, the judges' verification is paused
    paused = client.put(verify_url, json={"values": first_aspect},
                        headers=season.token("penilai-a"))
    assert paused.status_code == 409 and paused.get_json()["error"] == "closed"
    season.as_(f"op-{XLSX_UNIT}")
    overview = text(client.get(f"/kuesioner/{SLUG}"))
    assert "SK tim belum dilampirkan" in overview
    answers[XLSX_UNIT][RETURNED] = 3
    aspect = next(a for a in rubric.aspects if any(i.id == RETURNED for i in a.indicators))
    # the period has closed, the revision deadline has not: the unit may save and resubmit
    response = season.save_aspect(XLSX_UNIT, aspect, answers[XLSX_UNIT], links=False)
    assert response.status_code == 302, text(response)[:1500]
    assert season.submit_form(XLSX_UNIT).status_code == 302
    assert season.sub(XLSX_UNIT).status == "submitted"
    assert season.sub(XLSX_UNIT).answers[RETURNED] == 3
    season.as_("admin-musim")
    history = text(client.get(f"/admin/moderation/{SLUG}/unit/{XLSX_UNIT}/versi"))
    assert "SK tim belum dilampirkan" in history
    # an operator never sees the history page
    season.as_(f"op-{XLSX_UNIT}")
    assert client.get(f"/admin/moderation/{SLUG}/unit/{XLSX_UNIT}/versi").status_code == 403

    # 5. verification: pages for penilai-a, the API for the others; penilai-b disagrees
    comment = "Bukti lengkap dan sesuai."
    for code in UNITS:
        for judge in sorted(judges[code]):
            values = scored_values(rubric, answers[code])
            if judge == "penilai-a":
                season.verify_pages(judge, code, rubric, comment)
                continue
            if judge == "penilai-b" and code == HTML_UNIT:
                values[DISPUTED] = False
            season.verify_api(judge, code, values, comment)
    # a judge cannot touch a unit not assigned to them
    unassigned = next(j for j in ("penilai-a", "penilai-b") if j not in judges[API_UNIT])
    assert client.get(f"{API}/periods/{SLUG}/verifications/{API_UNIT}",
                      headers=season.token(unassigned)).status_code == 403

    # 6. the disagreement is flagged and moderated by the admin
    season.as_("admin-musim")
    flags = text(client.get(f"/admin/moderation/{SLUG}/perbedaan"))
    assert f"flag-{HTML_UNIT}-{DISPUTED}" in flags
    response = client.post(f"/admin/moderation/{SLUG}/perbedaan/{HTML_UNIT}/{DISPUTED}",
                           data={"value": "ya", "reason": "SK ada dan ditandatangani."})
    assert response.status_code == 302, text(response)[:1500]
    moderation = session.query(Moderation).filter_by(unit_code=HTML_UNIT).one()
    assert unwrap(moderation.value) is True and moderation.source == "disagreement"
    assert client.get(f"/admin/moderation/{SLUG}/selisih").status_code == 200
    assert client.get(f"/admin/moderation/{SLUG}/penilai").status_code == 200

    # 7. verification closes (time travel); the admin computes the provisional ranking
    season.travel(verification_closes_at=now() - timedelta(minutes=1))
    late = client.put(verify_url, json={"values": first_aspect}, headers=season.token("penilai-b"))
    assert late.status_code == 409
    response = client.post(f"/musim/{SLUG}/peringkat", data={"note": "Setelah verifikasi."})
    assert response.status_code == 302
    provisional = session.query(ScoringRun).filter_by(kind="provisional").one()
    ranking = json.loads(provisional.result)["ranking"]
    assert {row["unit"] for row in ranking} == set(UNITS)
    shortlisted = {row["unit"] for row in ranking if row["stage_reached"] == "presentasi"}
    assert shortlisted == set(UNITS), ranking

    # 8. stage-two scores for the shortlisted units, by judges without a conflict
    marks = {"penilai-a": "88,5", "penilai-b": "84"}
    for judge, mark in marks.items():
        season.as_(judge)
        assert client.get(f"/musim/{SLUG}/tahap-dua").status_code == 200
        for code in sorted(shortlisted):
            response = client.post(f"/musim/{SLUG}/tahap-dua/{code}",
                                   data={"score": mark, "notes": "Paparan runtut."})
            assert response.status_code == 302, text(response)[:800]
    season.as_(SECONDED)
    refused = client.post(f"/musim/{SLUG}/tahap-dua/{HTML_UNIT}", data={"score": "99"})
    assert refused.status_code == 403
    assert session.query(StageScore).count() == 2 * len(shortlisted)

    # 9. masa sanggah: closed before it opens, then Jawa Barat objects within it
    objection_url = f"/musim/{SLUG}/hasil-sementara/{OBJECTED}/sanggah"
    season.as_(f"op-{API_UNIT}")
    early = client.post(objection_url, data={"reason": "Terlalu awal."})
    assert early.status_code == 409
    season.travel(objection_opens_at=now() - timedelta(minutes=1),
                  objection_closes_at=now() + timedelta(days=2))
    results_page = client.get(f"/musim/{SLUG}/hasil-sementara")
    assert results_page.status_code == 200 and "Penilai 1" in text(results_page)
    response = client.post(objection_url, data={
        "reason": "Strategi komunikasi sudah disahkan pimpinan dan dievaluasi.",
        "url": "https://jabar.kpu.go.id/strategi-2025"}, content_type="multipart/form-data")
    assert response.status_code == 302, text(response)[:1500]
    objection = session.query(Objection).one()
    # the admin cannot give it to a judge who verified the unit; automatic picks the other
    season.as_("admin-musim")
    scorer = session.query(User).filter_by(username=SECONDED).one()
    response = client.post(f"/musim/sanggahan/{objection.id}/penelaah",
                           data={"reviewer": str(scorer.id)})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Objection, objection.id).reviewer_id is None
    response = client.post(f"/musim/sanggahan/{objection.id}/penelaah", data={"reviewer": "auto"})
    assert response.status_code == 302
    session.expire_all()
    reviewer = session.get(User, session.get(Objection, objection.id).reviewer_id)
    assert reviewer.username == unassigned and reviewer.username not in judges[API_UNIT]
    # a judge who is not the reviewer cannot open or decide it
    other = next(iter(judges[API_UNIT] - {SECONDED}))
    season.as_(other)
    assert client.get(f"/musim/sanggahan/{objection.id}").status_code == 403
    season.as_(reviewer.username)
    assert client.get(f"/musim/sanggahan/{objection.id}").status_code == 200
    response = client.post(f"/musim/sanggahan/{objection.id}", data={
        "decision": "accept", "value": "4", "reason": "Dokumen strategi lengkap dan dievaluasi."})
    assert response.status_code == 302, text(response)[:1500]
    session.expire_all()
    decided = session.get(Objection, objection.id)
    assert decided.status == "accepted" and unwrap(decided.new_value) == 4
    season.as_(f"op-{API_UNIT}")
    assert "Dokumen strategi lengkap" in text(client.get(f"/musim/{SLUG}/hasil-sementara"))

    # 10. the window closes (time travel); the admin finalises and publishes
    season.travel(objection_closes_at=now() - timedelta(minutes=1))
    assert client.post(objection_url, data={"reason": "Terlambat."}).status_code == 409
    season.as_("admin-musim")
    assert client.get("/hasil/bakohumas-2025/").status_code == 404     # not yet public
    # the season's checklist: every gate of the final ranking holds, publication waits for it
    checklist = text(client.get(f"/admin/periode/{SLUG}/tahapan/"))
    assert checklist.count("✘") == 1 and 'data-gate="final_run"' in checklist, checklist[-3000:]
    unticked = client.post(f"/admin/periode/{SLUG}/penghitungan/", data={"reason": ""})
    assert unticked.status_code == 200 and session.query(ScoringRun).filter_by(kind="final").count() == 0
    response = client.post(f"/admin/periode/{SLUG}/penghitungan/", data={"confirm": "y"})
    assert response.status_code == 302
    final = session.query(ScoringRun).filter_by(kind="final").one()
    response = client.post(f"/admin/periode/{SLUG}/penghitungan/{final.number}/terbitkan",
                           data={"confirm": "y"})
    assert response.status_code == 302
    assert "✘" not in text(client.get(f"/admin/periode/{SLUG}/tahapan/"))
    # the final run holds both moderated values and the stage scores
    exchange = json.loads(final.exchange)
    by_unit = {r["unit"]: r for r in exchange["responses"]}
    assert by_unit[HTML_UNIT]["moderated"] == {DISPUTED: True}
    assert by_unit[API_UNIT]["moderated"] == {OBJECTED: 4}
    assert all(len(by_unit[c]["stages"]["presentasi"]) == 2 for c in shortlisted)

    # 11. public results and the ranking API, equal to scoring.score on the run's own input
    auth.logout()
    public = text(client.get(f"/hasil/{SLUG}/"))
    result = json.loads(final.result)
    names = {u["code"]: u["name"] for u in exchange["units"]}
    for category in ("provinsi", "kabkota"):
        rows = [r for r in result["ranking"] if r["category"] == category]
        shown = [public.find(names[r["unit"]]) for r in rows]
        assert all(i >= 0 for i in shown) and shown == sorted(shown), (category, rows)
    assert "/hasil/" in text(client.get("/hasil/"))
    api = client.get(f"{API}/periods/{SLUG}/ranking")
    assert api.status_code == 200 and api.mimetype == "application/json"
    rescored = result_to_dict(score(run_rubric(final), assessment_from_dict(exchange)))
    assert api.get_json() == json.loads(json.dumps(rescored, ensure_ascii=False))
    assert [r["unit"] for r in api.get_json()["ranking"]] == [r["unit"] for r in result["ranking"]]

    # 12. feedback: each unit's own page and scorecard, 403 for another unit's operator
    judge_words = [w for name, _unit in JUDGES.values() for w in (name,)] + list(JUDGES)
    for code in UNITS:
        season.as_(f"op-{code}")
        own = client.get(f"/umpan-balik/{SLUG}/{code}")
        assert own.status_code == 200
        pdf = client.get(f"/umpan-balik/{SLUG}/{code}/rapor.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        other = next(c for c in UNITS if c != code)
        assert client.get(f"/umpan-balik/{SLUG}/{other}").status_code == 403
        assert client.get(f"/umpan-balik/{SLUG}/{other}/rapor.pdf").status_code == 403
        # no judge's name or account on any page a unit sees
        pages = ["/", f"/kuesioner/{SLUG}", f"/musim/{SLUG}/hasil-sementara",
                 f"/umpan-balik/{SLUG}/{code}", f"/hasil/{SLUG}/", "/musim/satker"]
        if code == API_UNIT:
            pages.append(f"/musim/sanggahan/{objection.id}")
        for url in pages:
            response = client.get(url, follow_redirects=True)
            assert response.status_code == 200, url
            body = text(response)
            leaked = [w for w in judge_words if w in body]
            assert not leaked, (code, url, leaked)
        assert "Penilai 1" in text(own)

    # 13. the audit log holds every step
    actions = {a for (a,) in session.query(AuditLog.action).distinct()}
    expected = {"period.open", "judging.settings", "submission.save", "submission.submit",
                "evidence.add", "assignment.add", "assignment.auto", "verification.save",
                "verification.complete", "submission.return", "submission.resubmit",
                "moderation.record", "run.provisional", "stage_score.save", "objection.file",
                "objection.assign", "objection.decide", "run.final", "run.publish"}
    assert expected <= actions, expected - actions
    completes = session.query(AuditLog).filter_by(action="verification.complete").count()
    assert completes == sum(len(v) for v in judges.values())
    decided_entry = session.query(AuditLog).filter_by(action="objection.decide").one()
    assert decided_entry.detail["status"] == "accepted" and decided_entry.detail["new_value"] == 4
    assert session.query(AuditLog).filter_by(action="submission.return").count() == 1
