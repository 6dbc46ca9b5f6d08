"""Another unit's ids in every URL and API path, and judge conflicts on every judge route.

The url_map is walked: every rule with a unit code or an object id in it is requested with
the values of another unit (KIP Kota Banda Aceh, 11.71) by the operator of KPU Kota Semarang
(33.74), and with the values of Jawa Tengah units by penilai3, a judge seconded from KPU
Provinsi Jawa Tengah who was assigned to 33.74 and 33 (a conflict of interest the
permissions must enforce). Each must be 403 or 404, never the other unit's data, and
nothing may change."""
from __future__ import annotations

import pytest

from assessment.models import ApiToken, Evidence, Notice, Objection
from assessment.operations.evidence import add_link
from tests.hostile_support import (SLUG, build_season, changed_tables, fill_rule,
                                   login_client, snapshot, token_headers)

UNIT_VARS = {"code", "unit_code", "evidence_id", "objection_id", "notice_id", "token_id",
             "entry_id", "assignment_id", "judge_id"}
SECRET = "Teks asli"          # the start of every seeded unit's free-text answer


@pytest.fixture
def season(app, session, make_user, make_period):
    season = build_season(session, make_user, make_period)
    users, subs = season["users"], season["subs"]
    ids = {}
    for code in ("11.71", "33.74", "33"):
        ev = add_link(session, subs[code], "sk-bakohumas", f"https://kpu.go.id/{code}", users[code])
        objection = Objection(period_id=season["period"].id, unit_code=code,
                              indicator_id="sk-bakohumas", reason=f"{SECRET} sanggahan {code}",
                              created_by=users[code].id)
        notice = Notice(user_id=users[code].id, kind="info", title=f"{SECRET} {code}")
        token = ApiToken(user_id=users[code].id, name=f"t{code}", token_hash=f"h{code}",
                         hint="abcd")
        session.add_all([objection, notice, token])
        session.flush()
        ids[code] = {"evidence_id": ev.id, "objection_id": objection.id,
                     "notice_id": notice.id, "token_id": token.id}
    session.commit()
    season["ids"] = ids
    return season


def values_of(season, code: str) -> dict:
    return {"period_slug": SLUG, "slug": SLUG, "code": code, "unit_code": code,
            "aspect_id": "kelembagaan", "indicator_id": "sk-bakohumas", "lang": "en",
            "judge_id": season["users"]["penilai1"].id, "assignment_id": 1, "number": 1,
            "entry_id": 1, **season["ids"][code]}


def unit_rules(app, prefix_filter=None):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not (set(rule.arguments) & UNIT_VARS):
            continue
        if prefix_filter and not prefix_filter(rule.rule):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def request(client, method, url, headers=None):
    kwargs = {"headers": headers or {}}
    if method in ("PUT", "POST") and url.startswith("/api/"):
        kwargs["json"] = {"answers": {"kendala-dukungan": "diubah"}, "version": 1,
                          "values": {"sk-bakohumas": True}, "comments": {"sk-bakohumas": "x"}}
    elif method == "POST":
        kwargs["data"] = {"version": "1", "save": "1", "answer-sk-bakohumas": "ya",
                          "reason": "Sanggahan palsu", "note": "x", "decision": "accept"}
    return getattr(client, method.lower())(url, **kwargs)


def walk(client, rules, values, headers=None):
    """(method, rule, status) of every answer that is not a refusal, plus leaks."""
    bad = []
    for rule, method in rules:
        url = fill_rule(rule, values)
        if url is None:
            continue
        response = request(client, method, url, headers)
        body = response.get_data()
        leaked = SECRET.encode() in body or values["code"].encode() + b" sanggahan" in body
        if response.status_code not in (403, 404) or leaked:
            bad.append((method, rule.rule, response.status_code, leaked))
    return bad


def test_an_operator_gets_nothing_of_another_unit_anywhere(app, session, season):
    client = login_client(app, "op-33.74")
    before = snapshot(session)
    assert walk(client, unit_rules(app, lambda r: not r.startswith("/api/")),
                values_of(season, "11.71")) == []
    assert changed_tables(before, snapshot(session)) == []


def test_an_operators_api_token_gets_nothing_of_another_unit(app, session, season):
    client = app.test_client()
    headers = token_headers(session, season["users"]["33.74"])
    before = snapshot(session)
    assert walk(client, unit_rules(app, lambda r: r.startswith("/api/")),
                values_of(season, "11.71"), headers) == []
    assert changed_tables(before, snapshot(session)) == []


JUDGE_PREFIXES = ("/penilai/", "/api/v1/periods/<slug>/verifications", "/kuesioner/",
                  "/umpan-balik/", "/bukti/", "/musim/", "/praktik-baik/")


@pytest.mark.parametrize("code", ["33.74", "33"])
def test_a_judge_with_a_conflict_is_refused_on_every_judge_route(app, session, season, code):
    """penilai3 is seconded from 33 and (wrongly) assigned to 33.74 and 33."""
    client = login_client(app, "penilai3")
    headers = token_headers(session, season["users"]["penilai3"])
    rules = list(unit_rules(app, lambda r: r.startswith(JUDGE_PREFIXES)))
    assert any(r.rule.startswith("/penilai/") for r, _ in rules)
    before = snapshot(session)
    pages = [(r, m) for r, m in rules if not r.rule.startswith("/api/")]
    api = [(r, m) for r, m in rules if r.rule.startswith("/api/")]
    assert walk(client, pages, values_of(season, code)) == []
    assert walk(app.test_client(), api, values_of(season, code), headers) == []
    assert changed_tables(before, snapshot(session)) == []


def test_the_same_routes_serve_a_judge_without_a_conflict(app, session, season):
    """The control: penilai1, assigned to 33.74 without a conflict, is served."""
    client = login_client(app, "penilai1")
    assert client.get(f"/penilai/{SLUG}/33.74").status_code == 200
    headers = token_headers(session, season["users"]["penilai1"])
    response = app.test_client().get(f"/api/v1/periods/{SLUG}/verifications/33.74", headers=headers)
    assert response.status_code == 200 and response.get_json()["unit"]["code"] == "33.74"
