"""Sessions end on the server: a cookie saved before logout, a password change or a
deactivation opens nothing afterwards, without Redis (records in user_session) as with it.
API tokens are revoked with a password change or deactivation. Unknown accounts cost a
password check too."""
from __future__ import annotations

from unittest import mock

import pytest
from werkzeug import security as wz_security

from assessment.models import ApiToken, UserSession
from assessment.operations.tokens import authenticate, create_token
from tests.conftest import PASSWORD

PROFILE = "/akun/profil"


def session_cookie(client, app):
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return cookie.value


def logged_in_client(app, username="op-33"):
    client = app.test_client()
    response = client.post("/akun/masuk", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def replay(app, cookie):
    """A fresh browser carrying a copy of the saved cookie."""
    other = app.test_client()
    other.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), cookie)
    return other.get(PROFILE)


def test_a_cookie_saved_before_logout_no_longer_opens_the_profile(app, make_user):
    make_user(username="op-33", unit_code="33")
    client = logged_in_client(app)
    saved = session_cookie(client, app)
    assert replay(app, saved).status_code == 200
    client.post("/akun/keluar")
    assert client.get(PROFILE).status_code == 302
    response = replay(app, saved)
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]


def test_only_the_hash_of_the_session_id_is_stored(app, make_user, session):
    make_user(username="op-33", unit_code="33")
    client = logged_in_client(app)
    with client.session_transaction() as cookie_session:
        sid = cookie_session["_sid"]
    stored = [row.id_hash for row in session.query(UserSession)]
    assert len(stored) == 1 and sid not in stored and len(stored[0]) == 64


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app, make_user):
    make_user(username="op-33", unit_code="33")
    other = logged_in_client(app)
    saved = session_cookie(other, app)
    client = logged_in_client(app)
    response = client.post("/akun/profil/kata-sandi", data={
        "current_password": PASSWORD, "new_password": "sandi-baru-yang-panjang-42",
        "confirm": "sandi-baru-yang-panjang-42"})
    assert response.status_code in (200, 302)
    assert client.get(PROFILE).status_code == 200
    assert other.get(PROFILE).status_code == 302
    assert replay(app, saved).status_code == 302


def test_deactivation_ends_sessions_and_revokes_tokens(app, make_user, session):
    user = make_user(username="op-33", unit_code="33")
    client = logged_in_client(app)
    _token, secret = create_token(session, user, "skrip")
    session.commit()
    user.active = False
    session.commit()
    assert session.query(UserSession).filter_by(user_id=user.id).count() == 0
    assert session.query(ApiToken).filter_by(user_id=user.id, revoked_at=None).count() == 0
    user.active = True      # even reactivated, the old session and token stay dead
    session.commit()
    assert client.get(PROFILE).status_code == 302
    assert authenticate(session, secret) is None


def test_a_password_change_revokes_the_accounts_api_tokens(app, make_user, session):
    user = make_user(username="op-33", unit_code="33")
    _token, secret = create_token(session, user, "skrip")
    other = make_user(username="op-34", unit_code="34")
    _t2, other_secret = create_token(session, other, "skrip")
    session.commit()
    assert authenticate(session, secret) is not None
    user.set_password("sandi-baru-yang-panjang-42")
    session.commit()
    assert authenticate(session, secret) is None
    assert authenticate(session, other_secret) is not None
    response = app.test_client().get("/api/v1/periods",
                                     headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


@pytest.mark.parametrize("who", ["unknown", "deactivated", "wrong password"])
def test_every_failed_login_costs_one_password_check(app, make_user, session, who):
    user = make_user(username="op-33", unit_code="33")
    if who == "deactivated":
        user.active = False
        session.commit()
    name = "tidak-ada" if who == "unknown" else "op-33"
    with mock.patch("assessment.security.check_password_hash",
                    wraps=wz_security.check_password_hash) as dummy, \
            mock.patch("assessment.models.users.check_password_hash",
                       wraps=wz_security.check_password_hash) as real:
        response = app.test_client().post("/akun/masuk",
                                          data={"username": name, "password": "salah-sekali"})
    assert response.status_code == 401
    assert dummy.call_count + real.call_count == 1


def test_the_dummy_hash_has_the_cost_of_a_real_one(app, make_user):
    from assessment.security import _dummy_hash
    user = make_user(username="op-33", unit_code="33")
    assert _dummy_hash().split("$")[0] == user.password_hash.split("$")[0]   # scrypt:N:r:p
