"""Huge, deeply nested and wrongly typed JSON on every API endpoint that reads a body, and
wrong values for every kind of answer: a clear JSON error (400, 413, 415 or 422 with the
Error shape) and nothing changed."""
from __future__ import annotations

import json

import pytest

from rubrics import load_rubric
from rubrics.loader import EDITIONS_DIR
from tests.hostile_support import (SLUG, build_season, changed_tables, login_client, snapshot,
                                   token_headers)

RUBRIC = load_rubric(EDITIONS_DIR / "bakohumas-2025.yaml")   # the edition of these periods
FIRST = {kind: next(i for i in RUBRIC.indicators if i.type == kind)
         for kind in ("yesno", "scale", "number", "choice", "text")}
SUBMISSION = f"/api/v1/periods/{SLUG}/units/33.74/submission"
ENDPOINTS = {   # method, url, caller, a valid body
    "save": ("put", SUBMISSION, "33.74", {"answers": {"sk-bakohumas": True}, "version": 1}),
    "submit": ("post", SUBMISSION + "/submit", "33.74",
               {"version": 1, "head_name": "Budi", "head_position": "Ketua",
                "head_nip": "198001012005011001", "agreed": True}),
    "verify": ("put", f"/api/v1/periods/{SLUG}/verifications/33.74", "penilai1",
               {"values": {"sk-bakohumas": True}, "comments": {"sk-bakohumas": "ok"}}),
}
WRONG = [None, "1", 1.5, -1, [], {}, True, "x" * 100_000, 10**400, [[[[[]]]]]]


@pytest.fixture
def season(app, session, make_user, make_period):
    season = build_season(session, make_user, make_period)
    season["headers"] = {who: token_headers(session, season["users"][who])
                         for who in ("33.74", "penilai1")}
    return season


def send(client, season, endpoint, body=None, raw=None, content_type="application/json"):
    method, url, who, _ = ENDPOINTS[endpoint]
    data = raw if raw is not None else json.dumps(body)
    return getattr(client, method)(url, data=data, headers={**season["headers"][who],
                                                            "Content-Type": content_type})


def refused(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.get_data()[:300])
    body = response.get_json()
    assert set(body) == {"error", "message", "details"} and body["message"]
    return body


HOSTILE_BODIES = {
    "array nested 100000 deep": ("[" * 100_000 + "]" * 100_000, (400,)),
    "object nested 5000 deep": ('{"a":' * 5000 + "1" + "}" * 5000, (400,)),
    "nested within the limit's edge": (json.dumps({"answers": {"a": [[["x"]]]}, "version": 1,
                                                   "values": {"a": [[["x"]]]}}), (400,)),
    "over a megabyte": (json.dumps({"answers": {"kendala-dukungan": "x" * (1 << 20)},
                                    "values": {"x": "x" * (1 << 20)}}), (413,)),
    "20000 keys": (json.dumps({"answers": {f"k{n}": 1 for n in range(20_000)},
                               "values": {f"k{n}": 1 for n in range(20_000)}, "version": 1}),
                   (400,)),
    "NaN": ('{"answers": {"jumlah-personel": NaN}, "values": {"x": NaN}, "version": 1}', (400,)),
    "Infinity": ('{"answers": {}, "values": {}, "version": Infinity}', (400,)),
    "duplicate keys": ('{"version": 1, "version": 1, "answers": {}, "values": {}}', (400, 409, 422)),
    "invalid UTF-8": (b'{"answers": {"kendala-dukungan": "\xff\xfe"}, "version": 1}', (400,)),
    "lone surrogate": ('{"answers": {"kendala-dukungan": "\\udc00"}, "values": {"sk-bakohumas": "\\ud800"},'
                       ' "version": 1}', (422,)),
    "NUL in a string and a key": ('{"answers": {"kendala-dukungan": "a\\u0000b"}, "version": 1,'
                                  ' "values": {"sk-bakohumas\\u0000": true}}', (422,)),
    "a list": ("[1, 2, 3]", (400,)),
    "a string": ('"hello"', (400,)),
    "null": ("null", (400,)),
    "empty": ("", (400,)),
    "trailing garbage": ('{"version": 1}garbage', (400,)),
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_hostile_bodies_get_a_clear_error_and_change_nothing(client, session, season, endpoint):
    before = snapshot(session)
    for what, (raw, statuses) in HOSTILE_BODIES.items():
        response = send(client, season, endpoint, raw=raw)
        assert response.status_code in statuses or response.status_code == 400, (what, response.status_code)
        refused(response, *statuses, 400)
    refused(send(client, season, endpoint, body=ENDPOINTS[endpoint][3], content_type="text/plain"), 415)
    refused(send(client, season, endpoint, body=ENDPOINTS[endpoint][3],
                 content_type="application/x-www-form-urlencoded"), 415)
    assert changed_tables(before, snapshot(session)) == []


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_wrong_types_in_every_field_are_named_and_change_nothing(client, session, season, endpoint):
    good = ENDPOINTS[endpoint][3]
    before = snapshot(session)
    for field in good:
        for value in WRONG:
            if type(value) is type(good[field]) and field != "version":
                continue
            if field == "version" and type(value) is int and value >= 0:
                continue
            body = {**good, field: value}
            response = send(client, season, endpoint, body=body)
            error = refused(response, 400, 413, 422)
            if response.status_code == 400 and error["error"] == "bad_request" and error["details"]:
                assert field in error["details"], (field, value, error)
    assert changed_tables(before, snapshot(session)) == []


ANSWER_WRONG = {
    "yesno": ["ya", 1, 0, None.__class__.__name__, [], {"v": True}],
    "scale": [-1, 99, 1.5, "2", True, [1]],
    "number": [-1, "tiga", True, [3], 1e308 * 10, 10**400],
    "choice": ["satu", [1], ["bukan pilihan"], [None], {"a": 1}],
    "text": [1, True, ["x"], {"a": "b"}, "x" * 200_000],
}


@pytest.mark.parametrize("kind", sorted(ANSWER_WRONG))
@pytest.mark.parametrize("endpoint, key", [("save", "answers"), ("verify", "values")])
def test_wrong_answer_values_are_422_by_indicator_and_change_nothing(
        client, session, season, kind, endpoint, key):
    indicator = FIRST[kind]
    if endpoint == "verify" and not indicator.scored:
        pytest.skip("judges verify scored indicators only")
    before = snapshot(session)
    for value in ANSWER_WRONG[kind]:
        raw = json.dumps({**ENDPOINTS[endpoint][3], key: {indicator.id: value}})
        response = send(client, season, endpoint, raw=raw)
        error = refused(response, 400, 413, 422)
        if response.status_code == 422:
            assert indicator.id in error["details"], (value, error)
    unknown = send(client, season, endpoint, body={**ENDPOINTS[endpoint][3],
                                                   key: {"../../etc/passwd": True}})
    assert "../../etc/passwd" in refused(unknown, 422)["details"]
    assert changed_tables(before, snapshot(session)) == []


def test_huge_numbers_are_refused_and_stored_ones_still_show(app, client, session, season):
    """10**400 or 1e308 once saved broke the judge's and the admin's pages (Decimal
    formatting) and the offline workbook (500): refused now with 422, and a stored one
    (older data) is shown raw instead of crashing the page."""
    number = FIRST["number"]
    for value in (10**400, 1e308, 10**13):
        response = send(client, season, "save", body={"answers": {number.id: value}, "version": 1})
        message = refused(response, 422)["details"][number.id]
        assert "too large" in message or "terlalu besar" in message
    sub = season["subs"]["33.74"]
    sub.answers = {**sub.answers, number.id: 1e308}
    session.commit()
    aspect = next(a.id for a in RUBRIC.aspects if number in a.indicators)
    admin = login_client(app, "admin-uji")
    judge = login_client(app, "penilai1")
    assert admin.get(f"/kuesioner/{SLUG}/unit/33.74/{aspect}").status_code == 200
    assert judge.get(f"/penilai/{SLUG}/33.74/{aspect}").status_code == 200
    # judges' verified values have the same bound
    response = send(client, season, "verify", body={"values": {number.id: 10**400}})
    assert number.id in refused(response, 422)["details"]


def test_nul_in_an_api_path_or_query_is_a_json_400(client, session, season):
    headers = season["headers"]["33.74"]
    for url in ("/api/v1/periods/%00", f"/api/v1/periods/{SLUG}/units/33.74%00/submission",
                "/api/v1/periods?x=%00"):
        assert refused(client.get(url, headers=headers), 400)["error"] == "bad_request", url
