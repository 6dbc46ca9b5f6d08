"""Login guessing and token abuse beyond tests/test_assessment_core.py and
tests/test_assessment_api.py: password spraying over many accounts from one address, no
telling known from unknown accounts, open redirects after login, and expired or revoked
tokens on every API operation changing nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from assessment.models import ApiToken
from assessment.models.types import utcnow
from assessment.operations.tokens import create_token, revoke_token
from tests.conftest import PASSWORD
from tests.hostile_support import SLUG, build_season, changed_tables, snapshot


def login(client, username, password, **kw):
    return client.post("/akun/masuk", data={"username": username, "password": password}, **kw)


def test_password_spraying_from_one_address_is_blocked(app, make_user):
    make_user(username="op-sasaran", unit_code="33")
    client = app.test_client()
    limit = 4 * app.config["LOGIN_MAX_FAILURES"]     # an office shares one address
    statuses = [login(client, f"tebakan-{n}", "kata-sandi-umum").status_code for n in range(limit)]
    assert set(statuses) == {401}
    # the address is blocked now: even a right password of an untouched account
    response = login(client, "op-sasaran", PASSWORD)
    assert response.status_code == 429
    # another address is not
    assert login(app.test_client(), "op-sasaran", PASSWORD,
                 environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 302


def test_unknown_and_known_accounts_get_the_same_answer(app, make_user):
    make_user(username="op-ada", unit_code="33")
    client = app.test_client()
    client.post("/bahasa/en")
    known = login(client, "op-ada", "salah")
    unknown = login(client, "op-tidak-ada", "salah")
    assert known.status_code == unknown.status_code == 401
    strip = lambda r: r.get_data(as_text=True).replace("op-tidak-ada", "X").replace("op-ada", "X")
    assert strip(known).replace('value="X"', "") == strip(unknown).replace('value="X"', "")


@pytest.mark.parametrize("target", ["//penipu.example/", "/\\penipu.example/", "/\\/penipu.example",
                                    "https://penipu.example/", "/\r\nLocation: https://x.example",
                                    "/\t/penipu.example", "javascript:alert(1)"])
def test_login_never_redirects_to_another_site(app, make_user, target):
    make_user(username="op-33", unit_code="33")
    response = app.test_client().post("/akun/masuk", query_string={"next": target},
                                      data={"username": "op-33", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_login_keeps_a_local_next_page(app, make_user):
    make_user(username="op-33", unit_code="33")
    response = app.test_client().post("/akun/masuk", query_string={"next": f"/kuesioner/{SLUG}?a=1"},
                                      data={"username": "op-33", "password": PASSWORD})
    assert response.headers["Location"].endswith(f"/kuesioner/{SLUG}?a=1")


@pytest.fixture
def season(app, session, make_user, make_period):
    return build_season(session, make_user, make_period)


def api_calls():
    sub = f"/api/v1/periods/{SLUG}/units/33.74/submission"
    ver = f"/api/v1/periods/{SLUG}/verifications/33.74"
    return [("get", "/api/v1/periods", None), ("get", f"/api/v1/periods/{SLUG}", None),
            ("get", sub, None), ("put", sub, {"answers": {"sk-bakohumas": True}, "version": 1}),
            ("post", sub + "/submit", {"version": 1, "head_name": "A", "head_position": "B",
                                       "head_nip": "198001012005011001", "agreed": True}),
            ("get", ver, None), ("put", ver, {"values": {"sk-bakohumas": True}}),
            ("post", ver + "/complete", None), ("post", ver + "/reopen", None),
            ("get", f"/api/v1/periods/{SLUG}/assignments", None)]


@pytest.mark.parametrize("state", ["revoked", "expired", "inactive account", "garbled"])
def test_dead_tokens_are_401_on_every_operation_and_change_nothing(client, session, season, state):
    owner = season["users"]["33.74"] if state != "garbled" else season["users"]["admin"]
    judge_token, judge_secret = create_token(session, season["users"]["penilai1"], "uji")
    token, secret = create_token(session, owner, "uji", expires_at=utcnow() + timedelta(hours=1))
    session.commit()
    if state == "revoked":
        revoke_token(session, token, owner)
    elif state == "expired":
        token.expires_at = utcnow() - timedelta(seconds=1)
    elif state == "inactive account":
        owner.active = False
    session.commit()
    header = {"garbled": f"Bearer {secret[:-1]}", }.get(state, f"Bearer {secret}")
    before = snapshot(session)
    for method, url, body in api_calls():
        for value in (header, header.replace("Bearer", "Basic"), header + " extra",
                      "Bearer " + secret + "x" * 5000):
            response = getattr(client, method)(url, json=body, headers={"Authorization": value})
            assert response.status_code == 401, (method, url, value[:20], response.status_code)
            assert response.get_json()["error"] in ("unauthorized", "invalid_token")
    assert changed_tables(before, snapshot(session)) == []
    assert session.get(ApiToken, judge_token.id).revoked_at is None
