"""Message catalogues: every message the code marks is translated into Indonesian, the
compiled .mo files match their .po sources, translations keep their placeholders, and the
interface is Indonesian by default with English switchable.

When a test here fails after you added or changed a message, update the catalogues:

    pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k N_ \\
        --add-comments=TRANSLATORS: -o assessment/translations/messages.pot .
    pybabel update -i assessment/translations/messages.pot -d assessment/translations
    (translate the new entries in assessment/translations/id/LC_MESSAGES/messages.po)
    pybabel compile -d assessment/translations
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "assessment" / "translations"
LOCALES = ("id", "en")
# the keywords the code uses besides Babel's defaults (_, gettext, ngettext, N_, ...)
KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "N_")
# %(name)s-style parameters (with any conversion), a literal %%, and {name} fields
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%|\{\w*\}")


def _po(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def _key(message):
    return message.id[0] if isinstance(message.id, (tuple, list)) else message.id


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages marked in the code now, extracted the way the catalogue was made."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    args = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(pot)]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    CommandLineInterface().run(args + [str(ROOT)])
    with open(pot, "rb") as f:
        catalog = read_po(f)
    return [m for m in catalog if m.id]


def test_extraction_finds_the_marked_messages(extracted):
    ids = {_key(m) for m in extracted}
    # one msgid from each kind of source: template, view (_l), N_ in reports, ngettext
    assert {"Log in", "Save and continue",
            "The row of indicator %(indicator)s is missing from sheet %(sheet)s.",
            "Enter a number, for example 12 or 2,5.", "%(num)d day"} <= ids
    assert len(ids) > 300


def test_every_message_is_translated_into_indonesian(extracted):
    catalog = _po("id")
    missing = []
    for m in extracted:
        entry = catalog.get(m.id)
        if entry is None or "fuzzy" in entry.flags or not all(s.strip() for s in _forms(entry)):
            missing.append(_key(m))
    assert not missing, (
        f"{len(missing)} message(s) have no Indonesian translation in "
        "assessment/translations/id/LC_MESSAGES/messages.po (see this module's docstring):\n"
        + "\n".join(f"  {msgid!r}" for msgid in missing))


def test_plural_entries_have_the_indonesian_single_form():
    catalog = _po("id")
    assert catalog.num_plurals == 1
    for m in catalog:
        if m.id and m.pluralizable:
            assert len(_forms(m)) == 1, _key(m)


def test_english_catalogue_exists_for_the_same_messages():
    english, indonesian = _po("en"), _po("id")
    assert str(english.locale) == "en"
    assert {_key(m) for m in english if m.id} == {_key(m) for m in indonesian if m.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_its_source(locale):
    catalog = _po(locale)
    fresh = io.BytesIO()
    write_mo(fresh, catalog)   # what `pybabel compile` writes (fuzzy entries left out)
    fresh.seek(0)
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        stored = read_mo(f)
    expected, actual = _messages(read_mo(fresh)), _messages(stored)
    stale = sorted(_key_of(k) for k in expected.keys() ^ actual.keys()) + sorted(
        _key_of(k) for k in expected.keys() & actual.keys() if expected[k] != actual[k])
    assert not stale, (f"{locale}/LC_MESSAGES/messages.mo is out of date; run "
                       f"`pybabel compile -d assessment/translations`. Differs for: {stale[:10]}")


def _messages(catalog) -> dict:
    as_key = lambda v: tuple(v) if isinstance(v, (tuple, list)) else v   # noqa: E731
    return {as_key(m.id): as_key(m.string) for m in catalog if m.id}


def _key_of(msgid):
    return msgid[0] if isinstance(msgid, tuple) else msgid


def test_translations_keep_their_placeholders():
    wrong = []
    for m in _po("id"):
        if not m.id:
            continue
        ids = list(m.id) if m.pluralizable else [m.id]
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))   # Indonesian's one form is the plural
        for text in _forms(m):
            if text and sorted(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((_key(m), text))
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(
        f"  {msgid!r} -> {text!r}" for msgid, text in wrong)


def test_placeholder_check_sees_a_dropped_parameter():
    assert sorted(PLACEHOLDER.findall("Periode %(title)s telah dibuat.")) == ["%(title)s"]
    assert PLACEHOLDER.findall("%(percent)s%% terkirim") == ["%(percent)s", "%%"]
    assert PLACEHOLDER.findall("Aspek %(num)d dari %(total)d") == ["%(num)d", "%(total)d"]
    assert PLACEHOLDER.findall("Aspek dari") == []


def test_login_page_is_indonesian_by_default_and_english_on_request(client):
    page = client.get("/akun/masuk").get_data(as_text=True)
    assert '<html lang="id">' in page
    assert ">Masuk</h1>" in page and "Kata sandi" in page
    assert "Log in" not in page and ">Password<" not in page

    response = client.post("/bahasa/en", data={"next": "/akun/masuk"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/akun/masuk")
    page = client.get("/akun/masuk").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert ">Log in</h1>" in page and "Password" in page
    assert "Masuk" not in page and "Kata sandi" not in page

    client.post("/bahasa/id", data={"next": "/akun/masuk"})
    assert ">Masuk</h1>" in client.get("/akun/masuk").get_data(as_text=True)


def test_messages_of_operations_follow_the_interface_language(client, auth, make_user,
                                                              make_period):
    """A refusal raised by an operation (plain _() at raise time) reaches the page translated."""
    make_user("admin-2", role="admin", unit_code=None)
    period = make_period()
    auth.login("admin-2")
    form = {"unit_code": "", "closes_at": "2000-01-01T00:00", "reason": "uji"}
    page = client.post(f"/admin/periode/{period.slug}/", data=form).get_data(as_text=True)
    # a closing time before the opening time is refused by operations.periods
    assert "Waktu penutupan harus setelah waktu pembukaan." in page
    client.post("/bahasa/en", data={"next": "/"})
    page = client.post(f"/admin/periode/{period.slug}/", data=form).get_data(as_text=True)
    assert "The closing time must be after the opening time." in page


def test_wtforms_own_messages_come_from_the_catalogue(client):
    """WTForms has no Indonesian catalogue: its messages are translated in ours."""
    empty = {"username": "", "password": ""}
    page = client.post("/akun/masuk", data=empty).get_data(as_text=True)
    assert page.count("Wajib diisi.") == 2 and "This field is required." not in page
    client.post("/bahasa/en", data={"next": "/"})
    page = client.post("/akun/masuk", data=empty).get_data(as_text=True)
    assert page.count("This field is required.") == 2 and "Wajib diisi." not in page


def test_switching_language_on_a_page_answered_to_a_post_returns_to_the_page_before(client):
    """A page rendered for a POST (a form with errors) cannot be fetched again with GET;
    the switch goes back to the page the form was sent from."""
    before = "http://localhost/akun/masuk?dari=uji"
    page = client.post("/akun/masuk", data={"username": "x", "password": ""},
                       headers={"Referer": before}).get_data(as_text=True)
    assert f'name="next" value="{before}"' in page
    response = client.post("/bahasa/en", data={"next": before})
    assert response.headers["Location"] == "/akun/masuk?dari=uji"
    # another site's address, or a scheme-relative path, never becomes the target
    for foreign in ("http://evil.example/akun/masuk", "http://localhost//evil.example/x"):
        assert client.post("/bahasa/id", data={"next": foreign}).headers["Location"] == "/"
