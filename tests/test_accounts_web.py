"""Accounts run from the web (issue 13): the administrators' pages, one-time passwords that
must be changed, the forgotten password over a real SMTP server on loopback, activation
letters, tokens and sessions ended by a new password or a deactivation."""
from __future__ import annotations

import io
import re
import subprocess
import zipfile
from datetime import timedelta

import pytest
from openpyxl import Workbook

from assessment.account_links import digest
from assessment.models import AccountLink, ApiToken, AuditLog, Notice, User
from assessment.models.types import utcnow
from assessment.operations.tokens import create_token
from tests.conftest import PASSWORD, english
from tests.test_notifications import smtp  # noqa: F401  (the loopback SMTP server fixture)

NEW = "sandi-baru-yang-panjang-1"


@pytest.fixture
def admin(client, auth, make_user):
    user = make_user("admin2", role="admin", unit_code=None)
    auth.login("admin2")
    english(client)
    return user


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def one_time_password(response) -> str:
    return re.search(r'id="one-time-password"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_admin_lists_searches_and_pages_accounts(client, admin, make_user):
    for n in range(55):
        make_user(f"op-x{n:02d}", unit_code="33", name=f"Operator Nomor {n}")
    page = client.get("/admin/akun/").get_data(as_text=True)
    assert "57 accounts" in page and "page 1 of 2" in page
    found = client.get("/admin/akun/?q=nomor+7").get_data(as_text=True)
    assert "op-x07" in found and "op-x08" not in found
    assert "op-x54" in client.get("/admin/akun/?page=2").get_data(as_text=True)
    assert "1 account" in client.get("/admin/akun/?role=admin&q=admin2").get_data(as_text=True)


def test_created_account_must_change_its_one_time_password(client, admin, auth, session):
    response = client.post("/admin/akun/baru", data={
        "username": "op-34", "name": "Operator DIY", "email": "op34@kpu.test",
        "role": "operator", "unit_code": "34"})
    assert response.status_code == 200
    password = one_time_password(response)
    user = session.query(User).filter_by(username="op-34").one()
    assert user.must_change_password and user.check_password(password)
    assert session.query(AuditLog).filter_by(action="user.create", object_id=str(user.id)).count() == 1
    auth.logout()
    auth.login("op-34", password)
    # every page sends the account to the password form
    for path in ("/dasbor/", "/akun/profil", "/pemantauan/"):
        assert client.get(path).headers["Location"].endswith("/akun/ganti-sandi")
    wrong = client.post("/akun/ganti-sandi", data={"current_password": "salah-sekali",
                                                   "new_password": NEW, "confirm": NEW})
    assert wrong.status_code == 422
    done = client.post("/akun/ganti-sandi", data={"current_password": password,
                                                  "new_password": NEW, "confirm": NEW})
    assert done.status_code == 302
    session.expire_all()
    assert not session.get(User, user.id).must_change_password
    assert client.get("/dasbor/").status_code == 200


def test_a_bad_new_account_names_the_field(client, admin, session):
    response = client.post("/admin/akun/baru", data={"username": "Op 34!", "role": "operator",
                                                    "unit_code": "99"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "not a valid username" in page and "unknown unit" in page
    assert session.query(User).filter(User.username.like("op%34%")).count() == 0


def test_first_admin_password_is_one_time(app, session):
    from assessment.first_start import prepare
    old = session.query(User).filter_by(username="admin").one()
    old.role, old.username = "judge", "former-admin"
    session.commit()
    password = prepare(app)
    session.expire_all()
    admin = session.query(User).filter_by(role="admin").one()
    assert admin.check_password(password) and admin.must_change_password


def test_reset_gives_a_one_time_password_and_revokes_tokens_and_sessions(
        app, client, admin, auth, make_user, session):
    operator = make_user("op-33")
    _token, secret = create_token(session, operator, "skrip")
    session.commit()
    other = app.test_client()
    other.post("/akun/masuk", data={"username": "op-33", "password": PASSWORD})
    assert other.get("/akun/profil").status_code == 200
    assert client.get("/api/v1/periods", headers=bearer(secret)).status_code == 200
    response = client.post(f"/admin/akun/{operator.id}/reset")
    password = one_time_password(response)
    assert client.get("/api/v1/periods", headers=bearer(secret)).status_code == 401
    assert other.get("/akun/profil").status_code == 302           # that session ended
    session.expire_all()
    assert session.get(User, operator.id).must_change_password
    assert session.query(ApiToken).filter_by(user_id=operator.id).one().revoked_at is not None
    # a token made after the reset works: the API is not held up by the one-time password
    _t, fresh = create_token(session, session.get(User, operator.id), "baru")
    session.commit()
    assert client.get("/api/v1/periods", headers=bearer(fresh)).status_code == 200
    auth.logout()
    auth.login("op-33", password)
    assert client.get("/dasbor/").status_code == 302


def test_password_change_on_the_profile_revokes_tokens(client, auth, make_user, session):
    user = make_user("op-33")
    _token, secret = create_token(session, user, "skrip")
    session.commit()
    auth.login("op-33")
    assert client.get("/api/v1/periods", headers=bearer(secret)).status_code == 200
    client.post("/akun/profil/kata-sandi", data={"current_password": PASSWORD,
                                                "new_password": NEW, "confirm": NEW})
    assert client.get("/api/v1/periods", headers=bearer(secret)).status_code == 401


def test_deactivate_and_reactivate(app, client, admin, make_user, session):
    operator = make_user("op-33")
    _token, secret = create_token(session, operator, "skrip")
    session.commit()
    other = app.test_client()
    other.post("/akun/masuk", data={"username": "op-33", "password": PASSWORD})
    client.post(f"/admin/akun/{operator.id}/status", data={"active": "0"})
    session.expire_all()
    assert not session.get(User, operator.id).active
    assert other.get("/akun/profil").status_code == 302
    assert client.get("/api/v1/periods", headers=bearer(secret)).status_code == 401
    assert other.post("/akun/masuk", data={"username": "op-33", "password": PASSWORD}).status_code == 401
    client.post(f"/admin/akun/{operator.id}/status", data={"active": "1"})
    session.expire_all()
    assert session.get(User, operator.id).active
    assert other.post("/akun/masuk", data={"username": "op-33", "password": PASSWORD}).status_code == 302
    # the old token stays revoked
    assert client.get("/api/v1/periods", headers=bearer(secret)).status_code == 401
    actions = [a for (a,) in session.query(AuditLog.action).filter(
        AuditLog.action.in_(("user.deactivate", "user.reactivate"))).order_by(AuditLog.id)]
    assert actions == ["user.deactivate", "user.reactivate"]


def test_an_admin_cannot_deactivate_themselves(client, admin, session):
    client.post(f"/admin/akun/{admin.id}/status", data={"active": "0"})
    session.expire_all()
    assert session.get(User, admin.id).active


def roster(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["username", "name", "email", "role", "unit_code"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_roster_import_is_all_or_nothing(client, admin, session):
    before = session.query(User).count()
    bad = roster([["op-35", "Jatim", "", "operator", "35"], ["op-99", "X", "", "operator", "99.99"]])
    response = client.post("/admin/akun/impor", data={"roster": (io.BytesIO(bad), "akun.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "row 3" in response.get_data(as_text=True)
    assert session.query(User).count() == before
    good = roster([["op-35", "Jatim", "", "operator", "35"], ["op-36", "Banten", "", "operator", "36"]])
    response = client.post("/admin/akun/impor", data={"roster": (io.BytesIO(good), "akun.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    session.expire_all()
    new = session.query(User).filter(User.username.in_(("op-35", "op-36"))).all()
    assert len(new) == 2 and all(u.must_change_password for u in new)


def test_a_roster_over_the_web_limit_is_refused_whole(client, admin, session, app):
    """A sync worker's request must end within GUNICORN_TIMEOUT, and every row costs a slow
    password hash: the page takes at most ROSTER_WEB_MAX_ROWS rows, says so, and refuses a
    larger file with nothing added (the command has no such limit)."""
    app.config["ROSTER_WEB_MAX_ROWS"] = 2
    page = client.get("/admin/akun/impor").get_data(as_text=True)
    assert "2 rows" in page or "2 baris" in page
    before = session.query(User).count()
    rows = [[f"op-{code}", "X", "", "operator", code] for code in ("35", "36", "51")]
    response = client.post("/admin/akun/impor", data={"roster": (io.BytesIO(roster(rows)), "akun.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "more than 2 rows" in response.get_data(as_text=True)
    assert session.query(User).count() == before
    # rows of the file, its header included, as XLSX_MAX_ROWS counts them
    response = client.post("/admin/akun/impor",
                           data={"roster": (io.BytesIO(roster(rows[:1])), "akun.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert session.query(User).count() == before + 1


def test_admin_sets_an_email_and_issues_a_token_for_another_user(client, admin, make_user, session):
    operator = make_user("op-33")
    response = client.post(f"/admin/akun/{operator.id}/email", data={"email": "humas33@kpu.test"})
    assert response.status_code == 302
    assert client.post(f"/admin/akun/{operator.id}/email", data={"email": "bukan alamat"}).status_code == 422
    response = client.post(f"/admin/akun/{operator.id}/token", data={"name": "integrasi", "expires": "30"})
    secret = re.search(r'id="token-secret"[^>]*value="(bkh_[^"]+)"', response.get_data(as_text=True)).group(1)
    session.expire_all()
    assert session.get(User, operator.id).email == "humas33@kpu.test"
    token = session.query(ApiToken).filter_by(user_id=operator.id).one()
    assert token.token_hash == digest(secret) and secret not in str(token.__dict__)
    assert client.get("/api/v1/periods", headers=bearer(secret)).status_code == 200
    # shown once: the account page does not show it again
    assert secret not in client.get(f"/admin/akun/{operator.id}/").get_data(as_text=True)


def test_the_admin_sets_their_own_email_on_the_profile(client, admin, session):
    assert client.post("/akun/profil/email", data={"email": "admin@kpu.test",
                                                   "email_password": "salah"}).status_code == 422
    assert client.post("/akun/profil/email", data={"email": "admin@kpu.test",
                                                   "email_password": PASSWORD}).status_code == 302
    session.expire_all()
    assert session.get(User, admin.id).email == "admin@kpu.test"


def test_forgot_password_over_smtp(app, client, make_user, session, smtp):  # noqa: F811
    make_user("op-33", email="op33@kpu.test")
    response = client.post("/akun/lupa-sandi", data={"identifier": "op33@kpu.test"})
    unknown = client.post("/akun/lupa-sandi", data={"identifier": "tidak-ada"})
    # the same answer whether or not the account exists
    assert response.status_code == unknown.status_code == 302
    assert len(smtp.messages) == 1
    body = smtp.messages[0]["body"]
    link = re.search(r"https://bakohumas\.kpu\.test(/akun/sandi-baru\?token=\w+)", body).group(1)
    token = link.split("=", 1)[1]
    stored = session.query(AccountLink).one()
    assert stored.token_hash == digest(token)
    assert token not in str(session.query(Notice).one().__dict__)   # only the hash is kept
    page = client.get(link)
    assert page.status_code == 200
    done = client.post("/akun/sandi-baru", data={"token": token, "new_password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert client.post("/akun/masuk", data={"username": "op-33", "password": NEW}).status_code == 302
    # single use
    client.post("/akun/keluar")
    assert client.get(link).status_code == 404
    assert client.post("/akun/sandi-baru", data={"token": token, "new_password": NEW + "x",
                                                 "confirm": NEW + "x"}).status_code == 404


def test_a_reset_link_expires(client, make_user, session, smtp):  # noqa: F811
    make_user("op-33", email="op33@kpu.test")
    client.post("/akun/lupa-sandi", data={"identifier": "op-33"})
    token = re.search(r"token=(\w+)", smtp.messages[0]["body"]).group(1)
    link = session.query(AccountLink).one()
    link.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert client.get(f"/akun/sandi-baru?token={token}").status_code == 404


def test_forgot_password_is_throttled(client, make_user, session, smtp):  # noqa: F811
    make_user("op-33", email="op33@kpu.test")
    codes = [client.post("/akun/lupa-sandi", data={"identifier": "op-33"}).status_code
             for _ in range(7)]
    assert codes[:5] == [302] * 5 and codes[5:] == [429, 429]
    assert len(smtp.messages) == 5
    # the login itself is not blocked by reset requests
    assert client.post("/akun/masuk", data={"username": "op-33", "password": PASSWORD}).status_code == 302


def test_activation_letters_for_every_unit(client, admin, auth, make_user, session, tmp_path):
    make_user("op-33")
    make_user("op-33.74", unit_code="33.74")
    response = client.post("/admin/akun/surat-aktivasi")
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert "surat-aktivasi-33.pdf" in names and "surat-aktivasi-33.74.pdf" in names
    assert "tanpa-akun-operator.txt" in names
    pdf = tmp_path / "surat.pdf"
    pdf.write_bytes(archive.read("surat-aktivasi-33.74.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "op-33.74" in text and "Surat Aktivasi Akun" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts and " yes " in fonts            # embedded
    code = re.search(r"Kode aktivasi\s+([A-Z0-9]{5}-[A-Z0-9]{5})", text).group(1)
    token = re.search(r"token=([\w-]+)", text).group(1)
    links = session.query(AccountLink).filter_by(purpose="activation").all()
    assert len(links) == 2 and all(code not in (l.code_hash, l.token_hash) for l in links)
    auth.logout()
    wrong = client.post("/akun/aktivasi", data={"username": "op-33.74", "code": "AAAAA-AAAAA",
                                               "new_password": NEW, "confirm": NEW})
    assert wrong.status_code == 422
    page = client.get(f"/akun/aktivasi?token={token}")
    assert page.status_code == 200
    done = client.post("/akun/aktivasi", data={"token": token, "code": code.lower(),
                                              "new_password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert client.post("/akun/masuk", data={"username": "op-33.74", "password": NEW}).status_code == 302
    client.post("/akun/keluar")
    again = client.post("/akun/aktivasi", data={"username": "op-33.74", "code": code,
                                               "new_password": NEW + "x", "confirm": NEW + "x"})
    assert again.status_code == 422


ADMIN_ROUTES = [("get", "/admin/akun/"), ("get", "/admin/akun/baru"), ("post", "/admin/akun/baru"),
                ("get", "/admin/akun/impor"), ("post", "/admin/akun/impor"),
                ("get", "/admin/akun/{id}/"), ("post", "/admin/akun/{id}/reset"),
                ("post", "/admin/akun/{id}/status"), ("post", "/admin/akun/{id}/email"),
                ("post", "/admin/akun/{id}/token"), ("post", "/admin/akun/{id}/token/1/cabut"),
                ("post", "/admin/akun/surat-aktivasi")]


@pytest.mark.parametrize("role,unit", [("operator", "33"), ("judge", None), ("monitor", "33")])
def test_non_admins_are_refused_on_every_account_route(client, auth, make_user, role, unit):
    user = make_user("someone", role=role, unit_code=unit)
    auth.login("someone")
    for method, path in ADMIN_ROUTES:
        response = getattr(client, method)(path.format(id=user.id))
        assert response.status_code == 403, (method, path)


def test_every_account_form_needs_its_csrf_token(app, client, admin, make_user, session):
    app.config["WTF_CSRF_ENABLED"] = True
    operator = make_user("op-33", email="op33@kpu.test")
    before = (operator.password_hash, operator.email, operator.active)
    for method, path in ADMIN_ROUTES:
        if method == "post":
            response = client.post(path.format(id=operator.id), data={"active": "0", "email": "x@y.id",
                                                                      "name": "t", "expires": "30"})
            assert response.status_code == 400, path
    for path, data in (("/akun/lupa-sandi", {"identifier": "op-33"}),
                       ("/akun/aktivasi", {"username": "op-33", "code": "x", "new_password": NEW, "confirm": NEW}),
                       ("/akun/sandi-baru", {"token": "x", "new_password": NEW, "confirm": NEW}),
                       ("/akun/ganti-sandi", {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW}),
                       ("/akun/profil/email", {"email": "a@b.id", "email_password": PASSWORD})):
        assert client.post(path, data=data).status_code in (400, 302, 404), path
    session.expire_all()
    after = session.get(User, operator.id)
    assert (after.password_hash, after.email, after.active) == before
    assert session.query(AccountLink).count() == 0
