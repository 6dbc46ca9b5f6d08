"""The questionnaire on the 2026 default edition: "Tidak berlaku" for allow_na indicators of
every type, number bounds shown and enforced, a stored tidak-berlaku shown again."""
from __future__ import annotations

import re

import pytest

from rubrics import NOT_APPLICABLE
from tests.conftest import english, sub_of

SLUG26 = "bakohumas-2026"
ISU = f"/kuesioner/{SLUG26}/manajemen-isu"        # klarifikasi-24-jam (number, allow_na, 0-100)
PUBLIKASI = f"/kuesioner/{SLUG26}/publikasi"     # publikasi-tepat-waktu (whole number 0-10)


@pytest.fixture
def operator26(client, auth, make_user, make_period):
    user = make_user(username="op-33", unit_code="33")
    period = make_period(slug=SLUG26, rubric_id="bakohumas-2026", title="Penilaian 2026")
    auth.login("op-33")
    english(client)
    return user, period


def page(client, url):
    return client.get(url).get_data(as_text=True)


def version(text):
    return re.search(r'name="version" value="(\d+)"', text)[1]


def test_not_applicable_is_offered_for_scale_and_number(client, operator26):
    text = page(client, ISU)
    # a scale with allow_na: one more radio, stored as tidak-berlaku
    assert re.search(r'name="answer-klarifikasi-berbasis-data"[^>]*value="tidak-berlaku"', text)
    # a number with allow_na: the tick box named like the field, before the text input
    box = text.index('id="answer-klarifikasi-24-jam-na" value="tidak-berlaku"')
    assert box < text.index('id="answer-klarifikasi-24-jam" value=""')
    assert "A number from 0 to 100; use a comma for decimals (2,5)." in text
    assert 'data-max="100"' in text
    # an indicator without allow_na has no such option
    assert 'id="answer-tanggap-isu-na"' not in text


def test_whole_number_bounds_are_shown(client, operator26):
    text = page(client, PUBLIKASI)
    assert "A whole number from 0 to 10." in text
    assert re.search(r'id="answer-publikasi-tepat-waktu"[^>]*inputmode="numeric"', text)


def test_not_applicable_is_saved_for_scale_and_number_and_shown_again(client, session, operator26):
    _user, period = operator26
    text = page(client, ISU)
    client.post(ISU, data={"version": version(text), "save": "1",
                           "answer-klarifikasi-24-jam": ["tidak-berlaku", "40"],
                           "answer-klarifikasi-berbasis-data": "tidak-berlaku"})
    answers = sub_of(session, "33").answers
    assert answers["klarifikasi-24-jam"] == NOT_APPLICABLE     # the ticked box wins
    assert answers["klarifikasi-berbasis-data"] == NOT_APPLICABLE
    again = page(client, ISU)
    assert re.search(r'id="answer-klarifikasi-24-jam-na" value="tidak-berlaku" checked', again)
    assert 'id="answer-klarifikasi-24-jam" value=""' in again
    assert re.search(r'name="answer-klarifikasi-berbasis-data" id="[^"]+" value="tidak-berlaku" checked',
                     again)
    # unticking and typing a number stores the number
    client.post(ISU, data={"version": version(again), "save": "1", "answer-klarifikasi-24-jam": "85,5"})
    session.expire_all()
    assert sub_of(session, "33").answers["klarifikasi-24-jam"] == 85.5


def test_out_of_range_is_refused_with_the_bound(client, session, operator26):
    _user, period = operator26
    text = page(client, ISU)
    response = client.post(ISU, data={"version": version(text), "save": "1",
                                      "answer-klarifikasi-24-jam": "123"}, follow_redirects=True)
    body = response.get_data(as_text=True)
    error = re.search(r'id="err-klarifikasi-24-jam">(.*?)</div>', body, re.S)[1]
    assert "123" in error and "100" in error     # kept as typed, with the bound
    sub = sub_of(session, "33")
    assert sub.answers.get("klarifikasi-24-jam") is None and "klarifikasi-24-jam" in sub.pending
