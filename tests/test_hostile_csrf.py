"""Forged or missing CSRF tokens on every HTML form (every POST route of the url_map),
for each role: 400 with the clear "reload the page" message, and nothing changed."""
from __future__ import annotations

import re

import pytest

from tests.hostile_support import (SLUG, build_season, changed_tables, fill_rule,
                                   html_post_rules, login_client, snapshot)

VALUES = {"period_slug": SLUG, "slug": SLUG, "code": "33.74", "unit_code": "33.74",
          "aspect_id": "kelembagaan", "indicator_id": "sk-bakohumas", "lang": "en",
          "evidence_id": 1, "assignment_id": 1, "judge_id": 1, "number": 1, "notice_id": 1,
          "objection_id": 1, "entry_id": 1, "token_id": 1, "channel_id": 1, "activity_id": 1,
          "user_id": 1}      # op-33: the admin's account pages (/admin/akun/<user_id>/...)
ROLES = ("33.74", "penilai1", "admin")


@pytest.fixture
def season(app, session, make_user, make_period):
    return build_season(session, make_user, make_period)


def test_every_form_route_is_walked(app):
    """The walk below covers every POST route; a new variable name needs a value here."""
    rules = html_post_rules(app)
    assert len(rules) > 20
    assert [r.rule for r in rules if fill_rule(r, VALUES) is None] == []


@pytest.mark.parametrize("token", ["missing", "forged", "another session's"])
def test_posts_without_a_valid_csrf_token_are_refused_and_change_nothing(
        app, session, season, token):
    clients = {name: login_client(app, season["users"][name].username) for name in ROLES + ("33",)}
    app.config["WTF_CSRF_ENABLED"] = True
    page = clients["33"].get(f"/kuesioner/{SLUG}/kelembagaan").get_data(as_text=True)
    others = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"missing": {}, "forged": {"csrf_token": "IjAxMjM0NTY3ODki.forged.signature"},
            "another session's": {"csrf_token": others}}[token]
    before = snapshot(session)
    seen = []
    for who, rule in ((who, rule) for who in ROLES for rule in html_post_rules(app)):
        url = fill_rule(rule, VALUES)
        response = clients[who].post(url, data={**data, "version": "1", "save": "1",
                                                "answer-sk-bakohumas": "ya", "reason": "x"})
        seen.append((who, rule.rule, response.status_code))
        if response.is_json:   # autosave: a JSON refusal the page shows beside what was typed
            assert response.status_code == 400 and response.get_json()["error"] == "expired", rule.rule
        elif response.status_code == 400:   # the questionnaire page: shown again, typed values kept
            text = response.get_data(as_text=True)
            assert "Muat ulang halaman" in text or "tekan Simpan sekali lagi" in text, rule.rule
    assert len(seen) > 60 and [s for s in seen if s[2] != 400] == []
    assert changed_tables(before, snapshot(session)) == []


def test_logout_and_login_without_a_token_are_refused(app, session, season):
    client = login_client(app, "op-33.74")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/akun/keluar").status_code == 400
    # still logged in: the forged logout did nothing
    assert client.get("/dasbor/").status_code == 200
    assert app.test_client().post("/akun/masuk", data={"username": "op-33.74",
                                                       "password": season["password"]}).status_code == 400
