"""Personal API tokens (stored hashed, revocable, expiring) and the profile page:
tokens shown once, revoking, and changing the password (which ends other sessions)."""
import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from assessment.extensions import db
from assessment.models import ApiToken, AuditLog, User
from assessment.models.types import utcnow
from assessment.models.users import hash_token
from assessment.operations import Invalid, NotAllowed
from assessment.operations.tokens import TOUCH_INTERVAL, authenticate, create_token, revoke_token
from tests.conftest import PASSWORD

NEW_PASSWORD = "kata-sandi-baru-456"


def new_token(session, user, name="skrip", **kw):
    token, secret = create_token(session, user, name, **kw)
    session.commit()
    return token, secret


def all_stored_text(session) -> str:
    """Every value of every row of every table, as one text (to look for secrets)."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in session.execute(select(table)):
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


# -- operations ----------------------------------------------------------------------------

def test_token_is_stored_only_as_its_hash(session, make_user):
    user = make_user()
    token, secret = new_token(session, user, "unggah")
    assert secret.startswith("bkh_") and len(secret) > 40
    assert token.token_hash == hash_token(secret) and token.hint == secret[-4:]
    assert secret not in all_stored_text(session)
    entry = session.query(AuditLog).filter_by(action="token.create").one()
    assert entry.user_id == user.id and entry.detail["hint"] == secret[-4:]


def test_authenticate_accepts_a_valid_token_only(session, make_user):
    user = make_user()
    _, secret = new_token(session, user)
    assert authenticate(session, secret) == user
    for wrong in (None, "", secret[:-1], secret + "x", "bkh_" + "a" * 43, "x" * 5000,
                  secret.replace("bkh_", "")):
        assert authenticate(session, wrong) is None, wrong


def test_revoked_expired_and_inactive_are_refused(session, make_user):
    user = make_user()
    token, secret = new_token(session, user)
    later, later_secret = new_token(session, user, expires_at=utcnow() + timedelta(days=1))
    assert authenticate(session, later_secret) == user
    assert authenticate(session, later_secret, now=utcnow() + timedelta(days=2)) is None
    revoke_token(session, token, user)
    session.commit()
    assert token.revoked_at is not None and authenticate(session, secret) is None
    assert session.query(AuditLog).filter_by(action="token.revoke").count() == 1
    user.active = False
    session.commit()
    assert authenticate(session, later_secret) is None


def test_last_used_is_written_at_most_once_a_minute(session, make_user):
    user = make_user()
    token, secret = new_token(session, user)
    assert token.last_used_at is None
    start = utcnow()
    authenticate(session, secret, now=start)
    assert token.last_used_at == start
    authenticate(session, secret, now=start + TOUCH_INTERVAL - timedelta(seconds=1))
    assert token.last_used_at == start
    authenticate(session, secret, now=start + TOUCH_INTERVAL)
    assert token.last_used_at == start + TOUCH_INTERVAL


def test_create_token_refusals(session, make_user):
    user = make_user()
    for name, expires in (("", None), ("   ", None), ("x" * 101, None),
                          ("ok", utcnow() - timedelta(minutes=1))):
        with pytest.raises(Invalid):
            create_token(session, user, name, expires_at=expires)
    assert session.query(ApiToken).count() == 0


def test_only_the_owner_or_an_admin_revokes(session, make_user):
    owner = make_user()
    other = make_user(username="op-34", unit_code="34")
    admin = session.query(User).filter_by(username="admin").one()
    token, _ = new_token(session, owner)
    with pytest.raises(NotAllowed):
        revoke_token(session, token, other)
    assert token.revoked_at is None
    revoke_token(session, token, admin)
    assert token.revoked_at is not None


# -- the profile page ------------------------------------------------------------------------

def test_profile_needs_login(client):
    response = client.get("/akun/profil")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]


def test_profile_shows_the_account(client, auth, make_user):
    make_user(name="Operator Jawa Tengah", email="humas@jateng.kpu.go.id")
    auth.login()
    html = client.get("/akun/profil").get_data(as_text=True)
    for text in ("op-33", "Operator Jawa Tengah", "humas@jateng.kpu.go.id",
                 "KPU Provinsi Jawa Tengah"):
        assert text in html


def test_token_secret_is_shown_once_then_only_its_hint(client, auth, make_user, session):
    user = make_user()
    auth.login()
    response = client.post("/akun/profil/token", data={"name": "skrip unggah", "expires": "30"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    secret = re.search(r'value="(bkh_[A-Za-z0-9_-]+)"', html).group(1)
    token = session.query(ApiToken).filter_by(user_id=user.id).one()
    assert token.token_hash == hash_token(secret) and token.name == "skrip unggah"
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    again = client.get("/akun/profil").get_data(as_text=True)
    assert secret not in again and "skrip unggah" in again and f"…{secret[-4:]}" in again
    # the secret works on the API
    api = client.get("/api/v1/periods", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200


def test_token_form_errors_create_nothing(client, auth, make_user, session):
    make_user()
    auth.login()
    response = client.post("/akun/profil/token", data={"name": "  ", "expires": "30"})
    assert response.status_code == 422
    response = client.post("/akun/profil/token", data={"name": "x", "expires": "9999"})
    assert response.status_code == 422
    assert session.query(ApiToken).count() == 0


def test_revoke_own_token_from_the_profile(client, auth, make_user, session):
    user = make_user()
    token, secret = new_token(session, user)
    auth.login()
    response = client.post(f"/akun/profil/token/{token.id}/cabut")
    assert response.status_code == 302
    session.refresh(token)
    assert token.revoked_at is not None
    html = client.get("/akun/profil").get_data(as_text=True)
    assert "revoked" in html or "dicabut" in html
    api = client.get("/api/v1/periods", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401


def test_cannot_revoke_another_users_token(client, auth, make_user, session):
    make_user()
    other = make_user(username="op-34", unit_code="34")
    token, _ = new_token(session, other)
    auth.login()
    assert client.post(f"/akun/profil/token/{token.id}/cabut").status_code == 404
    assert client.post("/akun/profil/token/999999/cabut").status_code == 404
    session.refresh(token)
    assert token.revoked_at is None


def test_profile_forms_need_csrf(app, client, auth, make_user, session):
    user = make_user()
    token, _ = new_token(session, user)
    auth.login()
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/akun/profil/token", data={"name": "x", "expires": "30"}).status_code == 400
    assert client.post(f"/akun/profil/token/{token.id}/cabut").status_code == 400
    response = client.post("/akun/profil/kata-sandi", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    session.refresh(token)
    session.refresh(user)
    assert session.query(ApiToken).count() == 1 and token.revoked_at is None
    assert user.check_password(PASSWORD)


def forget_loaded_user():
    """The app fixture keeps one app context, so ``g`` (where Flask-Login caches the user it
    loaded) outlives a test request; a real request starts with an empty ``g``."""
    g.pop("_login_user", None)


def test_profile_forms_carry_their_csrf_token(app, client, auth, make_user, session):
    user = make_user()
    token, _ = new_token(session, user)
    auth.login()
    app.config["WTF_CSRF_ENABLED"] = True
    html = client.get("/akun/profil").get_data(as_text=True)
    tokens = re.findall(r'name="csrf_token" value="([^"]+)"', html)
    assert len(tokens) >= 4                      # language, logout, password, revoke, create
    csrf = tokens[-1]
    response = client.post("/akun/profil/token", data={"name": "x", "expires": "30",
                                                       "csrf_token": csrf})
    assert response.status_code == 200 and "bkh_" in response.get_data(as_text=True)
    response = client.post(f"/akun/profil/token/{token.id}/cabut", data={"csrf_token": csrf})
    assert response.status_code == 302
    session.refresh(token)
    assert token.revoked_at is not None


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post("/akun/profil/kata-sandi", data={
        "current_password": current, "new_password": new,
        "confirm": new if confirm is None else confirm})


@pytest.mark.parametrize("current, new, confirm", [
    ("salah-sekali-123", NEW_PASSWORD, None),       # wrong current password
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x"),   # the two new ones differ
    (PASSWORD, "pendek", None),                     # shorter than 10
    (PASSWORD, "op-33", None),                      # too short and the username
    (PASSWORD, PASSWORD, None),                     # unchanged
])
def test_password_change_refusals(client, auth, make_user, session, current, new, confirm):
    user = make_user()
    auth.login()
    response = change(client, current, new, confirm)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    session.refresh(user)
    assert user.check_password(PASSWORD) and user.session_epoch == 1
    assert session.query(AuditLog).filter_by(action="user.password_change").count() == 0


def test_guessing_the_current_password_is_throttled(app, client, auth, make_user, session):
    user = make_user()
    auth.login()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert change(client, current="tebakan-salah-1").status_code == 422
    assert change(client).status_code == 429
    session.refresh(user)
    assert user.check_password(PASSWORD)


def test_password_change_ends_other_sessions_only(app, client, auth, make_user, session):
    user = make_user()
    other_device = app.test_client()
    assert other_device.post("/akun/masuk", data={"username": "op-33", "password": PASSWORD}).status_code == 302
    auth.login()
    assert other_device.get("/akun/profil").status_code == 200
    response = change(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/akun/profil")
    session.refresh(user)
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    forget_loaded_user()
    assert client.get("/akun/profil").status_code == 200          # this session goes on
    forget_loaded_user()
    ended = other_device.get("/akun/profil")                       # the other one is over
    assert ended.status_code == 302 and "/akun/masuk" in ended.headers["Location"]
    entry = session.query(AuditLog).filter_by(action="user.password_change").one()
    assert entry.user_id == user.id
    auth.logout()
    assert auth.login(password=PASSWORD).status_code == 401
    assert auth.login(password=NEW_PASSWORD).status_code == 302
