"""Script, HTML and formula text in every stored text field, and SQL metacharacters in
every search and filter parameter.

Hostile text is stored in every field people type (unit and account names, period title,
answers, the head's name and position, evidence links, objection reasons, judges' comments,
moderation and extension reasons, notices, token names), then every GET page of the url_map
is requested as an administrator, an operator, a judge and a monitor: no page may contain
the text unescaped, and every spreadsheet download holds it as literal text, never a
formula. Then every page is requested with SQL metacharacters and absurd numbers in every
query parameter the views read: no server error, no change, no leaked hashes."""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from assessment.models import (ApiToken, DeadlineExtension, Moderation, Notice, Objection,
                               Submission, User, Verification, WorkUnit)
from assessment.models.types import utcnow
from tests.hostile_support import (SLUG, build_season, changed_tables, fill_rule, login_client,
                                   snapshot)

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://penipu.invalid","klik")'
EVIL = f'{FORMULA}{SCRIPT}'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLES = ("admin-uji", "op-33.74", "penilai1", "monitor-11")


@pytest.fixture
def season(app, session, make_user, make_period):
    season = build_season(session, make_user, make_period, title=EVIL)
    period, users, subs = season["period"], season["users"], season["subs"]
    for code in ("33", "33.74", "11.71"):
        session.get(WorkUnit, code).name = f"{EVIL} {code}"
        subs[code].answers = {"kendala-dukungan": EVIL, "sk-bakohumas": True}
        subs[code].head_name, subs[code].head_position = EVIL, EVIL
    for user in users.values():
        user.name = EVIL
    session.flush()
    assignment = next(a for a in period_assignments(session, period) if a.unit_code == "33.74")
    objection = Objection(period_id=period.id, unit_code="33.74", indicator_id="sk-bakohumas",
                          reason=EVIL, decision_reason=EVIL, evidence_url="https://kpu.go.id/" + SCRIPT,
                          created_by=users["33.74"].id)
    session.add_all([
        objection,
        Verification(assignment_id=assignment.id, indicator_id="sk-bakohumas",
                     value={"v": True}, comment=EVIL),
        Moderation(period_id=period.id, unit_code="33.74", indicator_id="sk-bakohumas",
                   value={"v": True}, reason=EVIL, created_by=users["admin"].id),
        DeadlineExtension(period_id=period.id, unit_code="33.74", reason=EVIL,
                          closes_at=utcnow() + timedelta(days=9), created_by=users["admin"].id),
        *[Notice(user_id=u.id, kind="info", title=EVIL, body=EVIL) for u in users.values()],
        *[ApiToken(user_id=u.id, name=EVIL, token_hash=f"h{u.id}", hint="abcd")
          for u in users.values()],
    ])
    session.commit()
    season["objection"] = objection
    return season


def period_assignments(session, period):
    from assessment.models import JudgeAssignment
    return session.query(JudgeAssignment).filter_by(period_id=period.id).all()


def values(season, code="33.74") -> dict:
    return {"period_slug": SLUG, "slug": SLUG, "code": code, "unit_code": code,
            "aspect_id": "pelaporan", "indicator_id": "sk-bakohumas", "lang": "en",
            "judge_id": season["users"]["penilai1"].id, "assignment_id": 1, "number": 1,
            "entry_id": 1, "evidence_id": 1, "notice_id": 1, "token_id": 1,
            "objection_id": season["objection"].id, "filename": "app.css", "name": "radar"}


def get_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods
                   and not r.rule.startswith(("/static", "/bootstrap"))), key=lambda r: r.rule)


def formulas_in(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [(ws.title, cell.coordinate, cell.value) for ws in book.worksheets
            for row in ws.iter_rows() for cell in row
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")
                                          and cell.data_type != "s")]


def test_hostile_text_is_escaped_in_every_page_and_literal_in_every_spreadsheet(
        app, session, season):
    seen_escaped, sheets, problems = 0, 0, []
    for username in ROLES:
        client = login_client(app, username)
        client.post("/bahasa/en")
        for rule in get_rules(app):
            for code in ("33.74", "11.71"):
                url = fill_rule(rule, values(season, code))
                if url is None:
                    continue
                response = client.get(url)
                if response.status_code >= 500:
                    problems.append((username, url, response.status_code))
                body = response.get_data()
                kind = response.mimetype
                if kind == "text/html":
                    if b"<script>alert" in body or b"<img src=x onerror" in body:
                        problems.append((username, url, "unescaped"))
                    seen_escaped += b"&lt;script&gt;alert" in body
                elif kind == XLSX and response.status_code == 200:
                    sheets += 1
                    found = formulas_in(body)
                    if found:
                        problems.append((username, url, found[:3]))
    assert problems == []
    assert seen_escaped > 10      # the text really reached many pages
    assert sheets >= 3


SQL = ["' OR '1'='1", "1; DROP TABLE submission;--", "%' UNION SELECT password_hash FROM user_account--",
       '"; SELECT pg_sleep(5);--', "\\", "%_%", "99999999999999999999999", "-1", "1e309", "\u0000",
       "x" * 5000]
PARAMS = ["q", "state", "sort", "status", "level", "province", "provinsi", "code", "unit", "user",
          "action", "period", "date_from", "date_to", "page", "halaman", "show", "by", "aspek",
          "next"]


# each payload is some 300 requests (every page, three roles; 2.5 s of CPU): a quote and an
# absurd number in the quick run, the others with the slow tests (CI runs them all)
QUICK = {"' OR '1'='1", "99999999999999999999999"}


@pytest.mark.parametrize("payload", [
    pytest.param(payload, id=str(n), marks=() if payload in QUICK else pytest.mark.slow)
    for n, payload in enumerate(SQL)])
def test_sql_metacharacters_in_every_parameter_change_nothing(app, session, season, payload):
    clients = {name: login_client(app, name) for name in ("admin-uji", "penilai1", "monitor-11")}
    before = snapshot(session)
    problems = []
    for username, client in clients.items():
        for rule in get_rules(app):
            url = fill_rule(rule, values(season))
            if url is None or url.endswith((".png", ".pdf")):
                continue
            response = client.get(url, query_string={name: payload for name in PARAMS})
            if response.status_code >= 500 or b"scrypt:" in response.data:
                problems.append((username, url, response.status_code))
    assert problems == []
    assert changed_tables(before, snapshot(session)) == []


def test_nul_characters_in_paths_are_400_and_in_forms_422_and_change_nothing(app, session, season):
    client = login_client(app, "op-33.74")
    admin = login_client(app, "admin-uji")
    before = snapshot(session)
    for url in ("/kuesioner/%00", "/pemantauan/%00/", "/penilai/x%00/33.74", "/hasil/%00/"):
        assert admin.get(url).status_code == 400, url
    response = client.post(f"/kuesioner/{SLUG}/kelembagaan",
                           data={"version": "1", "save": "1", "answer-kendala-dukungan": "a\x00b"})
    assert response.status_code == 422     # a form field: refused naming the field
    assert "answer-kendala-dukungan" in response.get_data(as_text=True)
    assert changed_tables(before, snapshot(session)) == []
