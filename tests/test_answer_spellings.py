"""One reader of typed answers (scoring.answers.parse_answer): the web questionnaire, the
judges' form, the Excel workbook and the library accept the same spellings and read them
to the same values; the API takes exactly those values in the exchange format."""
from __future__ import annotations

from functools import cache

import pytest

from assessment.models import JudgeAssignment
from assessment.operations import verification
from assessment.operations.judging import unwrap
from scoring.answers import AnswerError, parse_answer
from tests.conftest import SLUG, sub_of
from tests.test_reports_questionnaire_xlsx import CELLS, RUBRIC, build, edit, parse
from tests.test_verification import UNIT, login, season, stored_values  # noqa: F401 (fixture)

YES = ["Ya", "ya", "YA", "iya", "y", "yes", "true", "benar", "1", "x", "V", "\u2713", "\u2714"]
NO = ["Tidak", "tidak", "tdk", "n", "No", "false", "salah", "0"]
SPELLINGS = (
    [("sk-bakohumas", text, True) for text in YES]
    + [("sk-bakohumas", text, False) for text in NO]
    + [("struktur-tim", "Terstandar", 3), ("struktur-tim", "  terstandar ", 3),
       ("struktur-tim", "3", 3)]
    + [("siaran-pers", "2,5", 2.5), ("siaran-pers", "2.5", 2.5),
       ("jumlah-personel", "1.250", 1250), ("jumlah-personel", " 12 ", 12)]
)
REFUSED = [("sk-bakohumas", "mungkin"), ("struktur-tim", "5"), ("struktur-tim", "Luar biasa"),
           ("jumlah-personel", "-1"), ("jumlah-personel", "dua"),
           ("jumlah-personel", "1" * 20), ("jumlah-personel", "2,5")]   # 2,5 orang


@cache
def blank() -> bytes:
    """The questionnaire workbook each case edits a copy of, built once (0.08 s of CPU)."""
    return build()


def _id(case) -> str:
    return f"{case[0]}={case[1]!r}"


@pytest.mark.parametrize("indicator, typed, value", SPELLINGS, ids=map(_id, SPELLINGS))
def test_the_library_reads_each_spelling(indicator, typed, value):
    assert parse_answer(RUBRIC.indicator(indicator), typed) == value


@pytest.mark.parametrize("indicator, typed", REFUSED, ids=map(_id, REFUSED))
def test_the_same_texts_are_refused_everywhere(indicator, typed):
    with pytest.raises(AnswerError) as caught:
        parse_answer(RUBRIC.indicator(indicator), typed)
    assert caught.value.msgid   # a message id the application translates
    sheet, cell = CELLS[indicator]
    got, errors = parse(edit(blank(), {(sheet, cell): typed}))
    assert got == {} and [(e.indicator_id, e.msgid) for e in errors] == [
        (indicator, caught.value.msgid)]


def test_excel_reads_each_spelling():
    for indicator, typed, value in SPELLINGS:
        got, errors = parse(edit(blank(), {CELLS[indicator]: typed}))
        assert errors == [] and got[indicator] == value, (indicator, typed, errors)


def _web_form(indicator: str) -> tuple[str, str]:
    aspect = next(a.id for a in RUBRIC.aspects if any(i.id == indicator for i in a.indicators))
    return f"/kuesioner/{SLUG}/{aspect}", f"answer-{indicator}"


def test_the_web_questionnaire_reads_each_spelling(client, session, operator):
    version = 1
    for indicator, typed, value in SPELLINGS:
        url, field = _web_form(indicator)
        response = client.post(url, data={"version": str(version), "save": "1", field: typed})
        assert response.status_code == 302, (indicator, typed)
        sub = sub_of(session)
        session.refresh(sub)
        assert sub.answers.get(indicator) == value and not sub.pending, (indicator, typed)
        version = sub.version


def test_the_judges_form_reads_each_spelling(client, auth, session, season):  # noqa: F811
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    for indicator, typed, value in SPELLINGS:
        url, _ = _web_form(indicator)
        response = client.post(url.replace("/kuesioner/", "/penilai/").replace(
            f"{SLUG}/", f"{SLUG}/{UNIT}/"), data={f"verified-{indicator}": typed, "save": "1"})
        assert response.status_code == 302, (indicator, typed)
        assert unwrap(stored_values(session, judge)[indicator]) == value, (indicator, typed)


def test_judges_typed_values_through_the_operation(session, season):  # noqa: F811
    """What a judge types is read the same way when it reaches the operation as raw text."""
    judge = season["judges"]["penilai1"]
    row = session.query(JudgeAssignment).filter_by(unit_code=UNIT, judge_id=judge.id).one()
    typed = {"sk-bakohumas": "x", "struktur-tim": "terstandar", "jumlah-personel": "1.250"}
    kept = verification.save_verifications(session, row, {}, typed, {}, judge)
    assert kept == {}
    assert {k: unwrap(v) for k, v in stored_values(session, judge).items()} == {
        "sk-bakohumas": True, "struktur-tim": 3, "jumlah-personel": 1250}


def test_the_api_takes_the_values_the_spellings_read_to(client, session, season):  # noqa: F811
    """The API speaks the exchange format (true, 3, 2.5): each value a spelling reads to is
    accepted there, and a spelled text is refused with a message for its indicator."""
    from tests.test_verification import headers
    judge = season["judges"]["penilai1"]
    auth = headers(session, judge)
    url = f"/api/v1/periods/{SLUG}/verifications/{UNIT}"
    for indicator, _, value in SPELLINGS[::4]:
        response = client.put(url, json={"values": {indicator: value}}, headers=auth)
        assert response.status_code == 200, (indicator, value, response.get_json())
    response = client.put(url, json={"values": {"sk-bakohumas": "ya"}}, headers=auth)
    assert response.status_code == 422 and "sk-bakohumas" in response.get_json()["details"]
