"""Every ``next`` goes through one helper (security.safe_next): after login, after the
language switch, and the 404 page's language form that carries the requested path."""
from __future__ import annotations

import pytest

from assessment.security import safe_next
from assessment.text import problem
from tests.conftest import PASSWORD

HOSTILE = ["//penipu.example/", "/\\penipu.example/", "/\\/penipu.example", "\\\\penipu.example",
           "https://penipu.example/", "http:penipu.example", "javascript:alert(1)",
           "/\t/penipu.example", "/\t/penipu.example?", "\t//penipu.example", "/ /penipu.example",
           "/%09/penipu.example", "/%2F%2Fpenipu.example", "%2F%2Fpenipu.example",
           "/%5Cpenipu.example", "/%5C%5Cpenipu.example", "/%252F%252Fpenipu.example",
           "/\r\nLocation: https://x.example", "/%0d%0aSet-Cookie:x=1", "/\x00/x",
           "/\u3000/penipu.example", "https://localhost.penipu.example/", "", None]
HOME = ("/", "http://localhost/")


@pytest.mark.parametrize("target", HOSTILE)
def test_the_helper_sends_anything_not_local_home(app, target):
    with app.test_request_context("/"):
        assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/kuesioner/bakohumas-2025?a=1", "/akun/profil",
                                    "http://localhost/akun/profil?x=%2F"])
def test_local_paths_and_this_sites_own_urls_are_kept(app, target):
    with app.test_request_context("/"):
        assert safe_next(target) == target.removeprefix("http://localhost")


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_never_redirects_to_another_site(client, target):
    data = {} if target is None else {"next": target}
    response = client.post("/bahasa/en", data=data)
    if response.status_code == 422:     # text no form field may carry (NUL) is refused first
        assert problem(target)
        return
    assert response.status_code == 302
    assert response.headers["Location"] in HOME


@pytest.mark.parametrize("target", [t for t in HOSTILE if t and "\x00" not in t])
def test_login_never_redirects_to_another_site(app, make_user, target):
    make_user(username="op-33", unit_code="33")
    response = app.test_client().post("/akun/masuk", query_string={"next": target},
                                      data={"username": "op-33", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] in HOME


def test_the_404_page_form_and_the_switch_together_stay_on_the_site(client):
    """The issue's reproduction: GET /%09/evil.example renders a language form whose next
    is "/\\t/evil.example?"; posting it must not leave the site."""
    page = client.get("/%09/penipu.example").get_data(as_text=True)
    assert 'name="next"' in page
    response = client.post("/bahasa/en", data={"next": "/\t/penipu.example?"})
    assert response.headers["Location"] in HOME
    back = client.post("/bahasa/id", data={"next": "/akun/masuk?next=/x"})
    assert back.headers["Location"] == "/akun/masuk?next=/x"
