"""Issue 15: the public results page as anonymous visitors see it is rendered once per
publication, period version, previous published run and language, kept in memory and as a
file (operations/public_results.py ``kept_page_html``), with each visitor's CSRF token put
in when it is sent; logged-in users get a fresh render. Counted, never timed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from assessment import run_files
from assessment.models import Period, ScoringRun
from assessment.operations import public_results
from assessment.operations.results import finalise, publish_run
from tests.conftest import built_on
from tests.results_support import two_published_seasons

SLUG = "bakohumas-2024"
TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def fresh(monkeypatch):
    """A fresh worker: no page kept in memory; counts the pages rendered to be kept."""
    monkeypatch.setattr(public_results, "_HTML", type(public_results._HTML)())
    monkeypatch.setattr(public_results, "_rendered", [0])


def _kept_files(app) -> list[Path]:
    return sorted(Path(run_files.cache_dir(app)).glob("*-halaman-publik-*.html"))


def _without_token(html: str) -> str:
    return TOKEN.sub('name="csrf_token" value=""', html)


@built_on(two_published_seasons)
def test_the_kept_page_is_the_page_rendered_afresh(app, client, fresh):
    first = client.get(f"/hasil/{SLUG}/")
    assert first.status_code == 200 and public_results._rendered[0] == 1
    assert len(_kept_files(app)) == 1
    public_results._HTML.clear()            # another worker: reads the file
    second = client.get(f"/hasil/{SLUG}/")
    assert public_results._rendered[0] == 1
    # a fresh render for the same anonymous visitor: query arguments are never kept
    fresh_page = client.get(f"/hasil/{SLUG}/?x=1").get_data(as_text=True)
    fresh_page = fresh_page.replace(f"/hasil/{SLUG}/?x=1", f"/hasil/{SLUG}/?")
    assert public_results._rendered[0] == 1
    for response in (first, second):
        page = response.get_data(as_text=True)
        assert _without_token(page) == _without_token(fresh_page)
        assert "Rank changes" in page or "Perubahan peringkat" in page


@built_on(two_published_seasons)
def test_no_csrf_token_or_account_in_the_kept_page(app, client, auth, fresh):
    page = client.get(f"/hasil/{SLUG}/").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    assert token and token != public_results.CSRF_MARK
    [kept] = _kept_files(app)
    html = kept.read_text(encoding="utf-8")
    assert TOKEN.findall(html) == [public_results.CSRF_MARK]
    assert token not in html
    assert auth.login("penilai1", "kata-sandi-uji-123").status_code == 302
    mine = client.get(f"/hasil/{SLUG}/")
    assert "Penilai1" in mine.get_data(as_text=True)     # the judge's own navigation
    assert "ETag" not in mine.headers
    assert public_results._rendered[0] == 1 and len(_kept_files(app)) == 1
    for path in _kept_files(app):
        text = path.read_text(encoding="utf-8")
        assert "Penilai1" not in text and "penilai1" not in text
        assert "Log out" not in text and "Keluar" not in text


@built_on(two_published_seasons)
def test_etag_and_304(client, fresh):
    first = client.get(f"/hasil/{SLUG}/")
    assert first.headers["Cache-Control"] == "private, no-cache"
    etag = first.headers["ETag"]
    again = client.get(f"/hasil/{SLUG}/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/hasil/{SLUG}/", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.headers["ETag"] == etag


@built_on(two_published_seasons)
def test_a_correction_or_a_change_to_the_period_gives_a_new_page(app, session, client, fresh):
    first = client.get(f"/hasil/{SLUG}/")
    period = session.query(Period).filter_by(slug=SLUG).one()
    old = session.query(ScoringRun).filter_by(period_id=period.id).one()
    correction = finalise(session, period, None, "Koreksi data unit")
    publish_run(session, period, correction, None)
    session.commit()
    second = client.get(f"/hasil/{SLUG}/")
    assert public_results._rendered[0] == 2
    assert second.headers["ETag"] != first.headers["ETag"]
    assert f"grafik/{correction.number}/" in second.get_data(as_text=True)
    assert f"grafik/{old.number}/" not in second.get_data(as_text=True)
    assert client.get(f"/hasil/{SLUG}/", headers={"If-None-Match": first.headers["ETag"]}
                      ).status_code == 200
    # a change to the period itself (its title) bumps its version: rendered again
    period.title = "Apresiasi Bakohumas 2024 (ralat)"
    session.commit()
    third = client.get(f"/hasil/{SLUG}/")
    assert public_results._rendered[0] == 3
    assert "Apresiasi Bakohumas 2024 (ralat)" in third.get_data(as_text=True)
    # the correction's earlier rendering (older period version, same language) is removed:
    # one file per run and language (the first run's stays with its other files)
    kept = _kept_files(app)
    assert len(kept) == 2 and sum(p.name.startswith(f"{correction.id}-") for p in kept) == 1


@built_on(two_published_seasons)
def test_publication_keeps_the_page_in_every_language(app, session, client, make_user, auth,
                                                     fresh):
    """The publishing request renders the anonymous page in each language after its
    commit: the first view of the period just published renders nothing."""
    make_user("admin-uji", role="admin", unit_code=None)
    period = session.query(Period).filter_by(slug=SLUG).one()
    correction = finalise(session, period, None, "Koreksi data unit")
    session.commit()
    assert auth.login("admin-uji").status_code == 302
    response = client.post(f"/admin/periode/{SLUG}/penghitungan/{correction.number}/terbitkan",
                           data={"confirm": "y"})
    assert response.status_code == 302
    assert public_results._rendered[0] == len(app.config["LANGUAGES"]) == 2
    kept = [p.read_text(encoding="utf-8") for p in _kept_files(app)
            if p.name.startswith(f"{correction.id}-")]
    assert len(kept) == 2
    assert all("admin-uji" not in html for html in kept)
    assert any('lang="en"' in html for html in kept) and any('lang="id"' in html for html in kept)
    auth.logout()
    page = client.get(f"/hasil/{SLUG}/")
    assert page.status_code == 200 and f"grafik/{correction.number}/" in page.get_data(as_text=True)
    assert public_results._rendered[0] == 2
