"""Issue 13: after an autosave of the questionnaire page, the page's incomplete marks and
counts come back with the answer (rendered by the page's own macros from
``completeness.indicator_marks``, which also counts the overview), so they follow what was
saved without a reload. The judge's page: tests/test_verification_merge.py."""
from __future__ import annotations

import re

from tests.conftest import SLUG
from tests.test_questionnaire_views import ASPECT, html, opened

AUTOSAVE = f"{ASPECT}/simpan-otomatis"


def test_autosave_answers_the_marks_and_counts_of_the_page(client, operator):
    page = html(client.get(ASPECT))
    # before: the three questions of kelembagaan are unanswered and marked so
    assert len(re.findall(r'data-fragment="mark-[^"]+">\s*<span[^>]*data-mark="unanswered"', page)) == 3
    assert "3 items incomplete on this page" in page
    state = {k: v for k, v in opened(client).items() if v is not None}
    result = client.post(AUTOSAVE, data=state | {"answer-sk-bakohumas": "ya",
                                                 "answer-struktur-tim": "0"}).get_json()
    assert result["saved"] is True
    fragments = result["fragments"]
    # "Yes" earns points, so its required evidence is now missing; level 1 earns nothing,
    # so it needs no evidence and is complete; the third is still unanswered
    assert 'data-mark="evidence"' in fragments["mark-sk-bakohumas"]
    assert "Required evidence is missing" in fragments["mark-sk-bakohumas"]
    assert fragments["mark-struktur-tim"] == ""
    assert 'data-mark="unanswered"' in fragments["mark-sarana-kehumasan"]
    assert result["marked"] == ["sk-bakohumas", "sarana-kehumasan"]
    # the counts, by hand: 2 of 3 answered, 2 items incomplete; the same in the aspect list
    assert '<span data-count="answered">2</span>/3' in fragments["progress"]
    assert "2 items incomplete on this page" in fragments["progress"]
    assert re.search(r'href="/kuesioner/%s/kelembagaan"[^>]*aria-current="page"' % SLUG,
                     fragments["nav"])
    assert "<span>2/3</span>" in fragments["nav"]
    assert 'data-saved="total"' in fragments["scores"]
    # and the page after a reload says exactly the same
    again = html(client.get(ASPECT))
    assert '<span data-count="answered">2</span>/3' in again
    assert "2 items incomplete on this page" in again
    overview = html(client.get(f"/kuesioner/{SLUG}"))
    assert "2/3" in overview


def test_autosave_answers_the_reason_under_a_field_as_a_reload_shows_it(client, operator):
    """A typed answer that is not valid is kept as typed; the autosave's answer carries the
    text under its field ("error-<id>"), the same as the page after a reload, and nothing once
    the answer is valid (the judge's page does the same: tests/test_verification_merge.py)."""
    url = f"/kuesioner/{SLUG}/sdm"
    state = {k: v for k, v in opened(client, url).items() if v is not None}
    result = client.post(f"{url}/simpan-otomatis",
                         data=state | {"answer-jumlah-personel": "dua"}).get_json()
    fragment = result["fragments"]["error-jumlah-personel"]
    assert 'id="err-jumlah-personel"' in fragment and "&ldquo;dua&rdquo;" in fragment
    assert "Not valid yet, kept as typed:" in fragment
    page = html(client.get(url))
    shown = re.search(r'data-fragment="error-jumlah-personel"[^>]*>(.*?</div>)\s*</div>',
                      page, re.S)[1]
    assert shown.strip() == fragment.strip()
    # every other field of the page has an empty reason
    assert all(not text.strip() for name, text in result["fragments"].items()
               if name.startswith("error-") and name != "error-jumlah-personel")
    state = {k: v for k, v in opened(client, url).items() if v is not None}
    fixed = client.post(f"{url}/simpan-otomatis",
                        data=state | {"answer-jumlah-personel": "2"}).get_json()
    assert fixed["fragments"]["error-jumlah-personel"].strip() == ""
