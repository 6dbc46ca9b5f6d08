"""The JSON API: bearer tokens only, every error JSON, another unit's questionnaire
refused, optimistic locking, all-or-nothing saves, submitting, and the OpenAPI document
(validated, matching the routes, and describing what the API really answers)."""
import io
import json
from datetime import timedelta

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec

from assessment.models import AuditLog, Submission, User
from assessment.models.types import utcnow
from assessment.api.openapi import document
from assessment.operations.tokens import create_token, revoke_token
from assessment.rubric_store import rubric_by_id

BASE = "/api/v1"
SUB = BASE + "/periods/bakohumas-2025/units/{}/submission"
GOOD = {"sk-bakohumas": True, "struktur-tim": 2, "jumlah-personel": 4,
        "sarana-kehumasan": ["Kamera foto", "Rumah Pintar Pemilu"],
        "kendala-dukungan": "Anggaran terbatas."}
HEAD = {"head_name": "Dra. Sri Wahyuni", "head_position": "Ketua",
        "head_nip": "19700101 199503 2 001", "agreed": True}


# -- helpers -------------------------------------------------------------------------------

def matches_schema(name: str, instance) -> None:
    doc = document()
    OAS31Validator({"$ref": f"#/components/schemas/{name}",
                    "components": doc["components"]}).validate(instance)


def error_of(response, status: int, code: str | None = None) -> dict:
    """The JSON error body, after checking its status, type and documented shape."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    matches_schema("Error", body)
    if code:
        assert body["error"] == code, body
    return body


def bearer(session, user) -> dict:
    _, secret = create_token(session, user, "test")
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def zero_answers() -> dict:
    """Every scored indicator answered with a value that earns nothing (so no evidence is
    required): a complete, submittable questionnaire."""
    zero = {"yesno": False, "scale": 0, "number": 0, "choice": []}
    return {i.id: zero[i.type] for i in rubric_by_id("bakohumas-2025").indicators if i.scored}


def stored(session, period, code: str) -> Submission | None:
    session.expire_all()
    return session.query(Submission).filter_by(period_id=period.id, unit_code=code).one_or_none()


@pytest.fixture
def period(make_period):
    return make_period()


@pytest.fixture
def op(session, make_user):
    """The operator of KPU Provinsi Jawa Tengah (33) and its API headers."""
    return bearer(session, make_user())


@pytest.fixture
def saved(client, op, period):
    """The Jawa Tengah questionnaire with GOOD saved once (version 2)."""
    response = client.put(SUB.format("33"), json={"answers": GOOD, "version": 1}, headers=op)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# -- the OpenAPI document ------------------------------------------------------------------

def test_openapi_document_is_valid_and_served_without_a_token(client):
    response = client.get(BASE + "/openapi.json")
    assert response.status_code == 200
    served = response.get_json()
    validate_spec(served)
    assert served["openapi"] == "3.1.0"
    assert served["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A personal API token (bkh_...)"}
    answer = served["components"]["schemas"]["AnswerValue"]["anyOf"]
    assert {json.dumps(a, sort_keys=True) for a in answer} == {json.dumps(a, sort_keys=True) for a in [
        {"type": "boolean"}, {"type": "integer"}, {"type": "number"}, {"type": "string"},
        {"type": "array", "items": {"type": "string"}}, {"type": "null"}]}


def test_openapi_describes_exactly_the_routes(app):
    doc = document()
    documented = {(f"{BASE}{path}".replace("{period}", "<slug>").replace("{code}", "<code>")
                   .replace("{channel}", "<int:channel>").replace("{number}", "<int:number>"),
                   method.upper())
                  for path, item in doc["paths"].items() for method in item
                  if method in ("get", "put", "post", "delete", "patch")}
    routed = {(rule.rule, method) for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("api.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed


@pytest.mark.parametrize("value, ok", [
    (True, True), (3, True), (2.5, True), (["a", "b"], True), ("teks", True), (None, True),
    ({"a": 1}, False), ([1], False)])
def test_answer_value_schema(value, ok):
    valid = OAS31Validator({"$ref": "#/components/schemas/AnswerValue",
                            "components": document()["components"]}).is_valid(value)
    assert valid is ok


# -- authentication ------------------------------------------------------------------------

@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Token abc", "Basic b3AtMzM6eA==", "Bearer a b",
    "bkh_tanpa_skema"])
def test_missing_or_garbled_authorization_is_401(client, period, header):
    headers = {} if header is None else {"Authorization": header}
    response = client.get(BASE + "/periods", headers=headers)
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_revoked_and_expired_tokens_are_401(client, session, make_user, period):
    user = make_user()
    token, secret = create_token(session, user, "dicabut")
    _, expired = create_token(session, user, "kedaluwarsa", expires_at=utcnow() + timedelta(seconds=30))
    session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(BASE + "/periods", headers=headers).status_code == 200
    revoke_token(session, token, user)
    session.commit()
    error_of(client.get(BASE + "/periods", headers=headers), 401, "invalid_token")
    error_of(client.get(BASE + "/periods", headers={"Authorization": "Bearer bkh_" + "x" * 43}),
             401, "invalid_token")
    session.query(type(token)).filter_by(name="kedaluwarsa").one().expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    error_of(client.get(BASE + "/periods", headers={"Authorization": f"Bearer {expired}"}),
             401, "invalid_token")


def test_deactivated_users_token_is_401(client, session, make_user, period):
    user = make_user()
    headers = bearer(session, user)
    user.active = False
    session.commit()
    error_of(client.get(BASE + "/periods", headers=headers), 401, "invalid_token")


def test_cookie_session_is_not_accepted(client, auth, make_user, period):
    make_user()
    assert auth.login().status_code == 302
    assert client.get("/akun/profil").status_code == 200        # the cookie session works
    for method, url in (("get", BASE + "/periods"), ("get", SUB.format("33")),
                        ("put", SUB.format("33"))):
        kw = {"json": {"answers": GOOD, "version": 1}} if method == "put" else {}
        error_of(getattr(client, method)(url, **kw), 401, "unauthorized")


def test_token_holder_not_cookie_user_is_the_caller(client, auth, session, make_user, period):
    make_user()
    monitor = make_user(username="mon-34", role="monitor", unit_code="34")
    auth.login()                                                  # op-33's cookie session
    headers = bearer(session, monitor)                            # mon-34's token
    error_of(client.get(SUB.format("33"), headers=headers), 403, "forbidden")
    response = client.put(SUB.format("33"), json={"answers": GOOD, "version": 1}, headers=headers)
    error_of(response, 403, "forbidden")
    assert stored(session, period, "33") is None


def test_api_needs_no_csrf_token(app, client, op, period):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.put(SUB.format("33"), json={"answers": GOOD, "version": 1}, headers=op)
    assert response.status_code == 200


# -- periods -------------------------------------------------------------------------------

def test_periods_list_what_the_caller_may_see(client, session, make_user, make_period):
    make_period()
    make_period(slug="pusat-2025", title="Khusus pusat", levels=["pusat"], opens=-30, closes=-2)
    op = bearer(session, make_user())
    body = client.get(BASE + "/periods", headers=op).get_json()
    matches_schema("PeriodList", body)
    assert [p["slug"] for p in body["periods"]] == ["bakohumas-2025"]
    p = body["periods"][0]
    assert p["rubric_id"] == "bakohumas-2025" and p["levels"] == ["provinsi", "kabkota"]
    assert p["open"] is True and p["opens_at"].endswith("Z") and p["closes_at"].endswith("Z")
    admin = bearer(session, session.query(User).filter_by(username="admin").one())
    body = client.get(BASE + "/periods", headers=admin).get_json()
    assert {p["slug"]: p["open"] for p in body["periods"]} == {"bakohumas-2025": True,
                                                                "pusat-2025": False}
    error_of(client.get(BASE + "/periods/pusat-2025", headers=op), 404, "not_found")


def test_period_detail_lists_the_rubric(client, op, period):
    response = client.get(BASE + "/periods/bakohumas-2025", headers=op)
    assert response.status_code == 200
    body = response.get_json()
    matches_schema("PeriodDetail", body)
    assert body["slug"] == "bakohumas-2025" and body["rubric"]["id"] == "bakohumas-2025"
    indicators = {i["id"]: i for a in body["rubric"]["aspects"] for i in a["indicators"]}
    assert len(indicators) == len(rubric_by_id("bakohumas-2025").indicators)
    assert indicators["struktur-tim"]["type"] == "scale" and len(indicators["struktur-tim"]["levels"]) == 5
    assert "Kamera foto" in indicators["sarana-kehumasan"]["options"]
    error_of(client.get(BASE + "/periods/tidak-ada", headers=op), 404, "not_found")


# -- reading a questionnaire ---------------------------------------------------------------

def test_not_started_reads_as_empty_version_1(client, op, period, session):
    response = client.get(SUB.format("33"), headers=op)
    assert response.status_code == 200
    body = response.get_json()
    matches_schema("Submission", body)
    assert body["status"] == "not_started" and body["version"] == 1 and body["answers"] == {}
    assert body["self_score"]["total"] == 0 and body["open"] is True
    assert body["deadline"] == period.closes_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    assert len(body["missing"]) == sum(1 for i in rubric_by_id("bakohumas-2025").indicators if i.scored)
    assert stored(session, period, "33") is None                  # reading creates nothing


def test_read_shows_answers_scores_and_pending(client, op, period, saved, session):
    sub = stored(session, period, "33")
    sub.pending = {"pranata-humas": {"raw": "dua", "error": "Enter a number"}}
    session.commit()
    body = client.get(SUB.format("33"), headers=op).get_json()
    matches_schema("Submission", body)
    assert body["answers"] == GOOD and body["status"] == "draft" and body["version"] == 3
    assert body["pending"]["pranata-humas"]["raw"] == "dua"
    assert body["self_score"]["total"] > 0 and body["self_score"]["aspects"]["kelembagaan"] > 0
    assert set(body["self_score"]["aspects"]) == {a.id for a in rubric_by_id("bakohumas-2025").aspects}
    for value in [body["self_score"]["total"], *body["self_score"]["aspects"].values()]:
        assert round(value, 2) == value


def test_deadline_includes_the_units_extension(client, op, session, period):
    from assessment.operations.periods import extend_deadline
    later = period.closes_at + timedelta(days=3)
    extend_deadline(session, period, later, "banjir", user=None, unit_code="33")
    session.commit()
    body = client.get(SUB.format("33"), headers=op).get_json()
    assert body["deadline"] == later.isoformat(timespec="seconds").replace("+00:00", "Z")


@pytest.mark.parametrize("username, role, unit, code, status", [
    ("op-33", "operator", "33", "33", 200),          # own unit
    ("admin2", "admin", None, "33.74", 200),         # admin: any unit
    ("mon-33", "monitor", "33", "33.74", 200),       # monitor: a regency of its province
    ("mon-33", "monitor", "33", "33", 200),          # monitor: its province itself
    ("mon-34", "monitor", "34", "33.74", 403),       # monitor of another province
    ("op-33", "operator", "33", "33.74", 403),       # operator: another unit
    ("op-33.74", "operator", "33.74", "33", 403),    # operator: its own province's unit
    ("penilai1", "judge", None, "33", 403),          # judges do not read drafts here
    ("op-33", "operator", "33", "99.99", 404),       # no such unit
])
def test_who_may_read_a_questionnaire(client, session, make_user, period, username, role,
                                      unit, code, status):
    headers = bearer(session, make_user(username=username, role=role, unit_code=unit))
    response = client.get(SUB.format(code), headers=headers)
    if status == 200:
        assert response.status_code == 200 and response.get_json()["unit"]["code"] == code
    else:
        error_of(response, status)


def test_unit_not_taking_part_is_404(client, session, make_user, period):
    admin = bearer(session, make_user(username="admin2", role="admin", unit_code=None))
    error_of(client.get(SUB.format("00"), headers=admin), 404, "not_found")


# -- saving ----------------------------------------------------------------------------------

def test_first_save_creates_and_returns_the_new_version(client, op, period, session):
    response = client.put(SUB.format("33"), json={"answers": GOOD, "version": 1}, headers=op)
    assert response.status_code == 200
    body = response.get_json()
    matches_schema("Submission", body)
    assert body["version"] == 2 and body["status"] == "draft" and body["answers"] == GOOD
    sub = stored(session, period, "33")
    assert sub.answers == GOOD and sub.version == 2
    assert session.query(AuditLog).filter_by(action="submission.save").count() == 1


def test_later_saves_merge_and_null_clears(client, op, period, saved, session):
    response = client.put(SUB.format("33"), headers=op, json={
        "answers": {"struktur-tim": 4, "jumlah-personel": None, "kalender-konten": False},
        "version": saved["version"]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] == saved["version"] + 1
    expected = {**GOOD, "struktur-tim": 4, "kalender-konten": False}
    del expected["jumlah-personel"]
    assert body["answers"] == expected == stored(session, period, "33").answers


def test_stale_version_changing_a_changed_indicator_is_409_with_both_values(
        client, op, period, saved, session):
    response = client.put(SUB.format("33"), headers=op, json={
        "answers": {"struktur-tim": 0, "kalender-konten": True}, "version": saved["version"] - 1})
    body = error_of(response, 409, "conflict")
    assert body["details"] == {"conflicts": [{"indicator": "struktur-tim", "yours": 0,
                                              "theirs": 2}],
                               "current_version": saved["version"]}
    sub = stored(session, period, "33")
    assert sub.answers == GOOD and sub.version == saved["version"]


def test_two_clients_changing_different_indicators_from_one_version_are_both_kept(
        client, op, period, saved, session, make_user):
    colleague = bearer(session, make_user(username="op-33-b", unit_code="33"))
    first = client.put(SUB.format("33"), headers=colleague,
                       json={"answers": {"struktur-tim": 3}, "version": saved["version"]})
    assert first.status_code == 200
    second = client.put(SUB.format("33"), headers=op,
                        json={"answers": {"kalender-konten": True}, "version": saved["version"]})
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["version"] == saved["version"] + 2
    assert stored(session, period, "33").answers == {**GOOD, "struktur-tim": 3,
                                                    "kalender-konten": True}


def test_invalid_values_are_422_per_indicator_and_nothing_is_saved(client, op, period, saved, session):
    bad = {"struktur-tim": 9, "sk-bakohumas": "ya", "jumlah-personel": -1,
           "sarana-kehumasan": ["Kapal selam"], "tidak-ada": 1, "kalender-konten": True}
    response = client.put(SUB.format("33"), headers=op, json={"answers": bad, "version": saved["version"]})
    body = error_of(response, 422, "invalid")
    assert set(body["details"]) == set(bad) - {"kalender-konten"}
    assert all(isinstance(message, str) and message for message in body["details"].values())
    sub = stored(session, period, "33")
    assert sub.answers == GOOD and sub.version == saved["version"] and sub.pending == {}


def test_invalid_first_save_creates_nothing(client, op, period, session):
    response = client.put(SUB.format("33"), headers=op, json={"answers": {"struktur-tim": "x"}, "version": 1})
    error_of(response, 422, "invalid")
    assert stored(session, period, "33") is None
    assert session.query(AuditLog).filter_by(action="submission.create").count() == 0


def test_another_units_questionnaire_cannot_be_saved(client, op, session, make_user, period):
    other = bearer(session, make_user(username="op-33.74", unit_code="33.74"))
    client.put(SUB.format("33.74"), json={"answers": GOOD, "version": 1}, headers=other)
    before = stored(session, period, "33.74").answers
    for code in ("33.74", "34"):
        error_of(client.put(SUB.format(code), json={"answers": {"struktur-tim": 0}, "version": 2},
                            headers=op), 403, "forbidden")
    assert stored(session, period, "33.74").answers == before
    assert stored(session, period, "34") is None


@pytest.mark.parametrize("role, unit", [("admin", None), ("monitor", "33"), ("judge", None)])
def test_only_operators_save(client, session, make_user, period, role, unit):
    headers = bearer(session, make_user(username=f"u-{role}", role=role, unit_code=unit))
    error_of(client.put(SUB.format("33"), json={"answers": GOOD, "version": 1}, headers=headers),
             403, "forbidden")
    assert stored(session, period, "33") is None


def test_saving_after_the_deadline_is_409_closed(client, op, make_period, session):
    period = make_period(opens=-10, closes=-1)
    error_of(client.put(SUB.format("33"), json={"answers": GOOD, "version": 1}, headers=op),
             409, "closed")
    assert stored(session, period, "33") is None


# -- request bodies --------------------------------------------------------------------------

@pytest.mark.parametrize("body, status, code", [
    ('{"answers": {', 400, "malformed_json"),
    ("", 400, "malformed_json"),
    ('{"answers": {"jumlah-personel": NaN}, "version": 1}', 400, "malformed_json"),
    ('{"answers": {}, "version": 1}' + "x", 400, "malformed_json"),
    ("[1, 2]", 400, "bad_request"),
    ('"answers"', 400, "bad_request"),
    ("[" * 100000 + "]" * 100000, 400, None),
    ('{"answers": {"a": [[[[["x"]]]]]}, "version": 1}', 400, "bad_request"),
])
def test_malformed_bodies_are_400(client, op, period, session, body, status, code):
    response = client.put(SUB.format("33"), data=body, headers={**op, "Content-Type": "application/json"})
    error_of(response, status, code)
    assert stored(session, period, "33") is None


@pytest.mark.parametrize("body, details", [
    ({"answers": GOOD}, {"version": "required"}),
    ({"version": 1}, {"answers": "required"}),
    ({"answers": GOOD, "version": 1, "status": "submitted"}, {"status": "unexpected"}),
    ({"answers": GOOD, "version": "1"}, {"version": "must be an integer of at least 0"}),
    ({"answers": GOOD, "version": True}, {"version": "must be an integer of at least 0"}),
    ({"answers": GOOD, "version": -1}, {"version": "must be an integer of at least 0"}),
    ({"answers": GOOD, "version": 1.0}, {"version": "must be an integer of at least 0"}),
    ({"answers": [1], "version": 1}, {"answers": "must be an object"}),
])
def test_body_shape_errors_name_the_field(client, op, period, session, body, details):
    body_ = error_of(client.put(SUB.format("33"), json=body, headers=op), 400, "bad_request")
    assert body_["details"] == details
    assert stored(session, period, "33") is None


def test_body_must_be_json(client, op, period):
    response = client.put(SUB.format("33"), data={"answers": "x", "version": "1"}, headers=op)
    error_of(response, 415, "unsupported_media_type")


def test_oversized_body_is_413(client, op, period, session):
    huge = json.dumps({"answers": {"kendala-dukungan": "x" * (1024 * 1024)}, "version": 1})
    response = client.put(SUB.format("33"), data=huge,
                          headers={**op, "Content-Type": "application/json"})
    error_of(response, 413, "too_large")
    assert stored(session, period, "33") is None


def test_oversized_body_without_a_length_is_413(client, op, period, session):
    huge = json.dumps({"answers": {"kendala-dukungan": "x" * (2 * 1024 * 1024)}, "version": 1})
    response = client.put(SUB.format("33"), input_stream=io.BytesIO(huge.encode()),
                          headers={**op, "Content-Type": "application/json",
                                   "Transfer-Encoding": "chunked"},
                          environ_overrides={"wsgi.input_terminated": True})  # as gunicorn does
    error_of(response, 413, "too_large")
    assert stored(session, period, "33") is None


def test_too_many_answers_is_400(client, op, period):
    answers = {f"x{i}": 1 for i in range(1001)}
    error_of(client.put(SUB.format("33"), json={"answers": answers, "version": 1}, headers=op),
             400, "bad_request")


# -- submitting ------------------------------------------------------------------------------

def test_incomplete_submit_is_422_with_what_is_missing(client, op, period, saved, session):
    response = client.post(SUB.format("33") + "/submit", headers=op,
                           json={"version": saved["version"], **HEAD})
    body = error_of(response, 422, "invalid")
    missing = {m["indicator"]: m["reason"] for m in body["details"]["missing"]}
    assert "pranata-humas" in missing and "sk-bakohumas" in missing  # unanswered / no evidence
    assert "kendala-dukungan" not in missing                         # unscored text
    sub = stored(session, period, "33")
    assert sub.status == "draft" and sub.version == saved["version"]


def test_submit_with_incomplete_statement_is_422(client, op, period, session):
    put = client.put(SUB.format("33"), json={"answers": zero_answers(), "version": 1}, headers=op)
    version = put.get_json()["version"]
    assert put.get_json()["missing"] == []
    body = {"version": version, **HEAD, "head_nip": "123", "agreed": False}
    problems = error_of(client.post(SUB.format("33") + "/submit", json=body, headers=op),
                        422, "invalid")["details"]
    assert problems["missing"] == [] and {"head_nip", "agreed"} <= set(problems)
    assert stored(session, period, "33").status == "draft"


def test_submit_then_locked(client, op, period, session):
    put = client.put(SUB.format("33"), json={"answers": zero_answers(), "version": 1}, headers=op)
    version = put.get_json()["version"]
    error_of(client.post(SUB.format("33") + "/submit", json={"version": version - 1, **HEAD},
                         headers=op), 409, "conflict")
    response = client.post(SUB.format("33") + "/submit", json={"version": version, **HEAD}, headers=op)
    assert response.status_code == 200
    body = response.get_json()
    matches_schema("Submission", body)
    assert body["status"] == "submitted" and body["open"] is False
    assert body["head_nip"] == "197001011995032001" and body["submitted_at"].endswith("Z")
    error_of(client.put(SUB.format("33"), json={"answers": {"sk-bakohumas": True},
                                                 "version": body["version"]}, headers=op),
             409, "closed")
    error_of(client.post(SUB.format("33") + "/submit", json={"version": body["version"], **HEAD},
                         headers=op), 409, "closed")
    assert stored(session, period, "33").answers == zero_answers()


def test_submitting_through_the_api_sends_the_receipt_and_records_the_source(client, op, period,
                                                                            session):
    from assessment.models import AuditLog, Notice
    put = client.put(SUB.format("33"), json={"answers": zero_answers(), "version": 1}, headers=op)
    saves = session.query(AuditLog).filter_by(action="submission.save", unit_code="33").all()
    assert [entry.detail["source"] for entry in saves] == ["api"]
    client.post(SUB.format("33") + "/submit", json={"version": put.get_json()["version"], **HEAD},
                headers=op)
    receipts = session.query(Notice).filter_by(kind="submitted").all()
    assert len(receipts) == 1 and receipts[0].user_id == stored(session, period, "33").submitted_by


def test_another_units_questionnaire_cannot_be_submitted(client, op, session, make_user, period):
    other = bearer(session, make_user(username="op-33.74", unit_code="33.74"))
    client.put(SUB.format("33.74"), json={"answers": zero_answers(), "version": 1}, headers=other)
    error_of(client.post(SUB.format("33.74") + "/submit", json={"version": 2, **HEAD}, headers=op),
             403, "forbidden")
    assert stored(session, period, "33.74").status == "draft"


def test_submit_body_is_checked(client, op, period):
    body = error_of(client.post(SUB.format("33") + "/submit", json={"version": 1}, headers=op),
                    400, "bad_request")
    assert set(body["details"]) == {"head_name", "head_position", "head_nip", "agreed"}
    body = error_of(client.post(SUB.format("33") + "/submit", headers=op,
                                json={"version": 1, **HEAD, "agreed": "ya"}), 400, "bad_request")
    assert body["details"] == {"agreed": "must be true or false"}


# -- errors are JSON everywhere under /api/v1 -------------------------------------------------

def test_unknown_paths_and_methods_are_json(client, op, period):
    error_of(client.get(BASE + "/tidak-ada", headers=op), 404, "not_found")
    error_of(client.get(BASE + "/tidak-ada"), 404, "not_found")
    error_of(client.post(BASE + "/periods/x/units/33/submission/tidak-ada", headers=op), 404)
    response = client.delete(SUB.format("33"), headers=op)
    error_of(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PUT"}
    error_of(client.post(BASE + "/periods", headers=op), 405, "method_not_allowed")
    # pages outside the API keep their HTML errors
    assert client.get("/tidak-ada").mimetype == "text/html"


def test_unexpected_error_is_json_500(client, op, period, monkeypatch):
    import assessment.api.periods as api

    def broken(period):
        raise RuntimeError("database on fire")
    monkeypatch.setattr(api, "rubric_for", broken)
    body = error_of(client.get(BASE + "/periods/bakohumas-2025", headers=op), 500, "server_error")
    assert "fire" not in body["message"]           # no internals in the answer
