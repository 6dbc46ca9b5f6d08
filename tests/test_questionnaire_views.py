"""The questionnaire pages through the Flask test client: saving, kept invalid values,
conflicts, deadlines, submission, access control, escaping, CSRF and the self-score."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from assessment.models import AuditLog, Submission, User, UserSession
from assessment.models.types import utcnow
from assessment.operations import questionnaire as q
from assessment.operations import answers as qa
from assessment import scores
from assessment.operations.periods import extend_deadline
from assessment.rubric_store import rubric_for
from tests.conftest import PASSWORD, Auth, SLUG, english, sub_of
from tests.test_questionnaire_operations import NIP, zero_answers

ASPECT = f"/kuesioner/{SLUG}/kelembagaan"


def html(response) -> str:
    return response.get_data(as_text=True)


def save(client, version, url=ASPECT, **fields):
    data = {"version": str(version), "save": "1"}
    data.update({k.replace("_", "-"): v for k, v in fields.items()})
    return client.post(url, data=data)


# ---- the pages ---------------------------------------------------------------------------

def test_the_menu_leads_to_the_period_overview(client, operator):
    response = client.get("/kuesioner/")
    assert response.status_code == 302 and response.location.endswith(f"/kuesioner/{SLUG}")
    page = html(client.get("/dasbor/"))
    assert 'href="/kuesioner/"' in page


def test_overview_shows_status_deadline_in_both_zones_and_progress(client, auth, make_user, make_period):
    make_user(username="op-merauke", unit_code="94.01")   # a WIT unit
    make_period(slug=SLUG)
    auth.login("op-merauke")
    english(client)
    page = html(client.get(f"/kuesioner/{SLUG}"))
    assert re.search(r"\d{2}:\d{2} WIB \(.*\d{2}:\d{2} WIT\)", page)
    assert "0/50" in page and "Kelembagaan Bakohumas" in page
    assert "50 items still block submission" in page
    assert 'name="head_nip"' in page and 'name="agreed"' in page


def test_aspect_page_shows_questions_guidance_levels_units_and_evidence_rules(client, operator):
    rubric = rubric_for(operator[1])
    page = html(client.get(ASPECT))
    aspect = rubric.aspect("kelembagaan")
    for ind in aspect.indicators:
        assert ind.question.split("?")[0][:60] in page.replace("&#34;", '"')
        assert ind.guidance[:50] in page
        assert ind.evidence_hint[:50] in page
    for level in rubric.indicator("struktur-tim").levels:   # every level with its descriptor
        assert level.label in page and level.descriptor[:60] in page
    assert 'name="version" value="1"' in page
    assert "Save and continue" in page and "Evidence required" in page
    assert "0/3" in page
    sdm = html(client.get(f"/kuesioner/{SLUG}/sdm"))
    assert 'inputmode="decimal"' in sdm and ">orang</span>" in sdm
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag, tag
    assert " style=" not in page and "onclick" not in page


def test_partial_answers_are_saved_and_shown_again(client, session, operator):
    response = client.post(ASPECT, data={
        "version": "1", "save": "1", "answer-sk-bakohumas": "ya", "answer-struktur-tim": "3",
        "answer-sarana-kehumasan": ["Kamera foto", "Rumah Pintar Pemilu"]})
    assert response.status_code == 302 and response.location.endswith(ASPECT)
    sub = sub_of(session)
    assert sub.answers == {"sk-bakohumas": True, "struktur-tim": 3,
                           "sarana-kehumasan": ["Kamera foto", "Rumah Pintar Pemilu"]}
    page = html(client.get(ASPECT))
    assert "Saved." in page
    assert re.search(r'id="answer-sk-bakohumas-0" value="ya"[^>]*checked', page)
    assert re.search(r'id="answer-struktur-tim-3" value="3"[^>]*checked', page)
    assert re.search(r'value="Rumah Pintar Pemilu" checked', page)
    assert not re.search(r'value="Kamera video atau perekam video" checked', page)
    assert 'name="version" value="2"' in page and "3/3" in page
    # a number in Indonesian grouping, on another aspect, keeps the first aspect's answers
    response = save(client, 2, url=f"/kuesioner/{SLUG}/sdm", answer_jumlah_personel="1.250")
    assert response.status_code == 302
    sub = sub_of(session)
    assert sub.answers["jumlah-personel"] == 1250 and sub.answers["struktur-tim"] == 3
    assert 'value="1250"' in html(client.get(f"/kuesioner/{SLUG}/sdm"))
    # a head count refuses a fraction: "2,5" orang is kept as typed and marked, with its value
    save(client, 3, url=f"/kuesioner/{SLUG}/sdm", answer_jumlah_personel="2,5")
    assert sub_of(session).pending["jumlah-personel"]["raw"] == "2,5"
    assert re.search(r'id="err-jumlah-personel">.*&ldquo;2,5&rdquo;.*whole number',
                     html(client.get(f"/kuesioner/{SLUG}/sdm")), re.S)
    client.post("/bahasa/id")
    assert 'value="2,5"' in html(client.get(f"/kuesioner/{SLUG}/sdm"))


def test_save_and_continue_goes_to_the_next_aspect_then_the_overview(client, operator):
    response = client.post(ASPECT, data={"version": "1", "save_next": "1"})
    assert response.location.endswith(f"/kuesioner/{SLUG}/sdm")
    # a save that changes nothing writes nothing: the questionnaire is still at version 1
    response = client.post(f"/kuesioner/{SLUG}/manajemen-isu", data={"version": "1", "save_next": "1"})
    assert response.location.endswith(f"/kuesioner/{SLUG}")


def test_invalid_values_are_kept_and_shown_with_their_error(client, session, operator):
    url = f"/kuesioner/{SLUG}/sdm"
    response = save(client, 1, url=url, answer_jumlah_personel="lima orang", answer_pranata_humas="2")
    assert response.status_code == 302
    sub = sub_of(session)
    assert sub.pending["jumlah-personel"]["raw"] == "lima orang"
    assert sub.answers == {"pranata-humas": 2}
    page = html(client.get(url))
    assert "1 answer is not valid yet" in page
    field = re.search(r'<input[^>]*name="answer-jumlah-personel"[^>]*>', page).group(0)
    assert 'value="lima orang"' in field and "is-invalid" in field
    assert 'aria-describedby="err-jumlah-personel' in field
    assert re.search(r'id="err-jumlah-personel">.*Enter a number', page, re.S)
    overview = html(client.get(f"/kuesioner/{SLUG}"))
    assert "the value typed is not valid" in overview


def test_every_incomplete_question_is_marked_and_the_counts_agree(client, session, operator):
    # sk-bakohumas "yes" needs its evidence; struktur-tim stays unanswered
    save(client, 1, answer_sk_bakohumas="ya", answer_sarana_kehumasan="-")
    page = html(client.get(ASPECT))
    marks = dict(re.findall(r'id="ind-([\w-]+)".*?(?:data-mark="(\w+)"|(?=id="ind-|$))', page, re.S))
    marks = {key: kind for key, kind in marks.items() if kind}
    assert marks == {"sk-bakohumas": "evidence", "struktur-tim": "unanswered"}
    assert "Required evidence is missing" in page and "Not answered yet" in page
    assert "2 items incomplete on this page" in page
    overview = html(client.get(f"/kuesioner/{SLUG}"))
    # the overview's aspect row counts the same two, and 2 of 3 scored questions answered
    row = re.search(r'href="%s">.*?</li>' % ASPECT, overview, re.S).group(0)
    assert "2 items missing" in row and "2/3" in row
    listed = re.search(r'<summary>.*?Kelembagaan.*?</details>', overview, re.S).group(0)
    assert set(re.findall(r'#ind-([\w-]+)"', listed)) == set(marks)
    # once the evidence is there and the question answered, the marks and the counts go
    response = post(client, opened(client), answer_struktur_tim="0", answer_sarana_kehumasan="-",
                    link_sk_bakohumas="https://kpu.go.id/sk")
    assert response.status_code == 302
    page = html(client.get(ASPECT))
    assert "data-mark=" not in page and "incomplete on this page" not in page
    row = re.search(r'href="%s">.*?</li>' % ASPECT, html(client.get(f"/kuesioner/{SLUG}")), re.S)
    assert "missing" not in row.group(0) and "3/3" in row.group(0)


def test_clearing_an_answer(client, session, operator):
    save(client, 1, answer_sk_bakohumas="ya")
    assert "Clear this answer" in html(client.get(ASPECT))
    client.post(ASPECT, data={"version": "2", "clear": "sk-bakohumas", "answer-sk-bakohumas": "ya"})
    assert "sk-bakohumas" not in sub_of(session).answers


# ---- saves merge per indicator -------------------------------------------------------------

def opened(client, url=ASPECT) -> dict:
    """The hidden version and base of a page as the browser holds them, and its fields."""
    page = html(client.get(url))
    return {"version": re.search(r'name="version" value="(\d+)"', page)[1],
            "base": re.search(r'name="base" value="([^"]*)"', page)[1],
            "answer-sk-bakohumas": "ya" if re.search(
                r'id="answer-sk-bakohumas-0" value="ya"[^>]*checked', page) else None}


def post(client, state: dict, url=ASPECT, **fields):
    data = {k: v for k, v in state.items() if v is not None}
    data.update({k.replace("_", "-"): v for k, v in fields.items()})
    data.setdefault("save", "1")
    return client.post(url, data=data)


@pytest.fixture
def colleague(app, make_user, operator):
    make_user(username="op-33-kedua", unit_code="33", name="Operator Kedua")
    second = app.test_client()
    Auth(second).login("op-33-kedua")
    english(second)
    return second


def test_two_people_changing_different_questions_from_one_version_are_both_kept(
        client, colleague, session):
    mine, theirs = opened(client), opened(colleague)
    assert mine["version"] == theirs["version"] == "1"
    assert post(colleague, theirs, answer_sk_bakohumas="ya").status_code == 302
    assert post(client, mine, answer_struktur_tim="3").status_code == 302
    sub = sub_of(session)
    assert sub.answers == {"sk-bakohumas": True, "struktur-tim": 3}
    assert sub.version == 3


def test_the_same_question_changed_on_both_sides_shows_yours_and_theirs_and_saves_nothing(
        client, colleague, session):
    mine, theirs = opened(client), opened(colleague)
    assert post(colleague, theirs, answer_struktur_tim="4").status_code == 302
    response = post(client, mine, answer_struktur_tim="1", answer_sk_bakohumas="tidak")
    assert response.status_code == 409
    page = html(response)
    assert "Your changes were NOT saved" in page and "Operator Kedua" in page
    conflict = re.search(r'data-conflict="struktur-tim".*?</div>\s*</div>\s*</div>', page, re.S)[0]
    labels = rubric_for(sub_of(session).period).indicator("struktur-tim").levels
    assert f"2. {labels[1].label}" in conflict and f"5. {labels[4].label}" in conflict
    assert 'data-conflict="sk-bakohumas"' not in page   # changed on one side only
    # what was typed is still in the fields, now based on the current version
    assert re.search(r'id="answer-struktur-tim-1" value="1"[^>]*checked', page)
    assert 'name="version" value="2"' in page
    assert sub_of(session).answers == {"struktur-tim": 4}
    again = {"version": "2", "base": re.search(r'name="base" value="([^"]*)"', page)[1]}
    # choosing theirs keeps theirs and saves the other change
    assert post(client, again, answer_struktur_tim="1", answer_sk_bakohumas="tidak",
                **{"choice-struktur-tim": "theirs"}).status_code == 302
    assert sub_of(session).answers == {"struktur-tim": 4, "sk-bakohumas": False}


def test_keeping_mine_after_a_conflict_saves_mine(client, colleague, session):
    mine, theirs = opened(client), opened(colleague)
    post(colleague, theirs, answer_struktur_tim="4")
    page = html(post(client, mine, answer_struktur_tim="1"))
    again = {"version": "2", "base": re.search(r'name="base" value="([^"]*)"', page)[1]}
    assert post(client, again, answer_struktur_tim="1",
                **{"choice-struktur-tim": "mine"}).status_code == 302
    assert sub_of(session).answers == {"struktur-tim": 1}


def test_untouched_questions_are_never_written(client, colleague, session):
    mine, theirs = opened(client), opened(colleague)
    post(colleague, theirs, answer_struktur_tim="4", answer_sk_bakohumas="ya")
    # the first page still shows struktur-tim empty; saving another question leaves it alone
    assert post(client, mine, answer_sk_bakohumas="ya").status_code == 302
    assert sub_of(session).answers == {"struktur-tim": 4, "sk-bakohumas": True}


def test_evidence_added_to_a_question_changed_since_is_a_conflict(client, colleague, session):
    mine, theirs = opened(client), opened(colleague)
    post(colleague, theirs, answer_sk_bakohumas="ya")
    response = post(client, mine, **{"link-sk-bakohumas": "https://kpu.go.id/sk"})
    assert response.status_code == 409
    assert "https://kpu.go.id/sk" in html(response)
    assert sub_of(session).evidence == []


# ---- deadlines ---------------------------------------------------------------------------

def test_saving_after_the_deadline_is_refused_until_an_extension(
        client, session, auth, make_user, make_period):
    make_user(username="op-33", unit_code="33")
    period = make_period(slug=SLUG, opens=-10, closes=-1)
    auth.login("op-33")
    english(client)
    page = html(client.get(ASPECT))
    assert "closed on" in page and 'id="answers"' not in page   # read-only
    response = save(client, 1, answer_sk_bakohumas="ya")
    assert response.status_code == 409 and "closed on" in html(response)
    assert sub_of(session) is None
    admin = session.query(User).filter_by(username="admin").one()
    extend_deadline(session, period, utcnow() + timedelta(days=1), "Banjir", admin, unit_code="33")
    session.commit()
    assert save(client, 1, answer_sk_bakohumas="ya").status_code == 302
    assert sub_of(session).answers == {"sk-bakohumas": True}


def test_a_unit_whose_level_takes_no_part_is_refused(client, auth, make_user, make_period):
    make_user(username="op-33", unit_code="33")
    make_period(slug=SLUG, levels=["kabkota"])
    auth.login("op-33")
    assert client.get(f"/kuesioner/{SLUG}").status_code == 403
    assert client.get(ASPECT).status_code == 403
    assert save(client, 1, answer_sk_bakohumas="ya").status_code == 403


# ---- submission --------------------------------------------------------------------------

def test_submit_is_refused_with_what_is_missing_then_accepted_then_locked(
        client, session, operator):
    user, period = operator
    save(client, 1, answer_sk_bakohumas="ya")
    statement = {"version": "2", "head_name": "Dr. Paramita", "head_position": "Sekretaris",
                 "head_nip": "19700101 199503 1 001", "agreed": "y"}
    response = client.post(f"/kuesioner/{SLUG}/kirim", data=statement)
    assert response.status_code == 422
    page = html(response)
    assert "cannot be submitted yet: 50 items are missing" in page
    assert "required evidence is missing" in page and "not answered" in page
    assert sub_of(session).status == "draft"

    sub = sub_of(session)
    qa.save_answers(session, sub, zero_answers(rubric_for(period)), {}, 2, user)
    session.commit()
    response = client.post(f"/kuesioner/{SLUG}/kirim", data=dict(statement, version="3", head_nip="123"))
    assert response.status_code == 422 and "The NIP has exactly 18 digits" in html(response)
    response = client.post(f"/kuesioner/{SLUG}/kirim", data=dict(statement, version="3", agreed=""))
    assert response.status_code == 422 and "must be agreed to" in html(response)

    response = client.post(f"/kuesioner/{SLUG}/kirim", data=dict(statement, version="3"))
    assert response.status_code == 302
    sub = sub_of(session)
    assert sub.status == "submitted" and sub.head_nip == NIP and sub.submitted_by == user.id
    page = html(client.get(f"/kuesioner/{SLUG}"))
    assert "Submitted on" in page and "by op-33" in page and "Dr. Paramita" in page
    assert 'name="head_nip"' not in page
    aspect = html(client.get(ASPECT))
    assert 'id="answers"' not in aspect and "locked" in aspect
    response = save(client, 4, answer_sk_bakohumas="ya")
    assert response.status_code == 409 and "submitted on" in html(response)
    assert sub_of(session).version == 4
    assert session.query(AuditLog).filter_by(action="submission.submit").count() == 1


# ---- who sees what -------------------------------------------------------------------------

def test_another_units_questionnaire_is_refused(client, session, auth, make_user, make_period):
    period = make_period(slug=SLUG)
    other = make_user(username="op-34", unit_code="34")
    sub = q.get_or_create_submission(session, period, "34", other)
    qa.save_answers(session, sub, {"sk-bakohumas": True}, {}, 1, other)
    session.commit()
    make_user(username="op-33", unit_code="33")
    auth.login("op-33")
    assert client.get(f"/kuesioner/{SLUG}/unit/34").status_code == 403
    assert client.get(f"/kuesioner/{SLUG}/unit/34/kelembagaan").status_code == 403
    assert client.get(f"/kuesioner/{SLUG}/unit/99999").status_code == 404
    # the own questionnaire's pages never show another unit's answers
    assert save(client, 1, answer_struktur_tim="2").status_code == 302
    assert sub_of(session, "34").answers == {"sk-bakohumas": True}


def test_admin_and_monitor_view_read_only(client, session, auth, make_user, make_period):
    period = make_period(slug=SLUG)
    op = make_user(username="op-33.74", unit_code="33.74")
    sub = q.get_or_create_submission(session, period, "33.74", op)
    qa.save_answers(session, sub, {"struktur-tim": 2}, {}, 1, op)
    session.commit()
    make_user(username="monitor-33", role="monitor", unit_code="33")
    make_user(username="monitor-34", role="monitor", unit_code="34")
    auth.login("monitor-33")
    english(client)
    page = html(client.get(f"/kuesioner/{SLUG}/unit/33.74/kelembagaan"))
    assert "Read-only view" in page and 'id="answers"' not in page
    assert re.search(r'chosen-level">\s*<span class="level-label">Terkelola', page)
    assert client.get(f"/kuesioner/{SLUG}/unit/33.74").status_code == 200
    assert client.get(ASPECT).status_code == 403      # monitors do not fill in
    auth.logout()
    auth.login("monitor-34")
    assert client.get(f"/kuesioner/{SLUG}/unit/33.74").status_code == 403
    auth.logout()
    from tests.conftest import PASSWORD
    admin = session.query(User).filter_by(username="admin").one()
    admin.set_password(PASSWORD)
    session.commit()
    auth.login("admin")
    assert client.get(f"/kuesioner/{SLUG}/unit/33.74/sdm").status_code == 200


# ---- escaping, CSRF, self-score ----------------------------------------------------------------

def test_stored_script_text_is_shown_escaped(client, session, operator):
    url = f"/kuesioner/{SLUG}/perencanaan"
    payload = "<script>alert(1)</script>"
    assert save(client, 1, url=url, answer_kendala_dukungan=payload).status_code == 302
    assert sub_of(session).answers["kendala-dukungan"] == payload
    page = html(client.get(url))
    assert payload not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # a kept invalid value too
    save(client, 2, url=f"/kuesioner/{SLUG}/sdm", answer_jumlah_personel=payload)
    page = html(client.get(f"/kuesioner/{SLUG}/sdm"))
    assert payload not in page and "&lt;script&gt;" in page


def test_a_post_without_csrf_token_is_refused(app, client, session, operator):
    app.config["WTF_CSRF_ENABLED"] = True
    response = save(client, 1, answer_sk_bakohumas="ya")
    assert response.status_code == 400
    assert sub_of(session) is None
    response = client.post(f"/kuesioner/{SLUG}/kirim", data={"version": "1", "head_name": "X"})
    assert response.status_code == 400
    response = client.post(f"/bukti/{SLUG}/struktur-tim/tautan", data={"url": "https://kpu.go.id"})
    assert response.status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html(client.get(ASPECT))).group(1)
    response = client.post(ASPECT, data={"csrf_token": token, "version": "1", "save": "1",
                                         "answer-sk-bakohumas": "ya"})
    assert response.status_code == 302 and sub_of(session).answers == {"sk-bakohumas": True}


def _expected_total(rubric, answers) -> str:
    from scoring import Assessment, Response, Unit, round2, score
    result = score(rubric, Assessment(rubric.id, (Unit("33", "Jawa Tengah", "provinsi"),),
                                      (Response("33", answers),)))
    value = round2(result.ranking[0].self_total)
    return f"{value:.2f}".replace(".", ",")


def test_the_self_score_shown_is_scorings_self_total(client, session, operator):
    rubric = rubric_for(operator[1])
    client.post("/bahasa/id")   # Indonesian number format: 87,50
    save(client, 1, answer_sk_bakohumas="ya", answer_struktur_tim="3",
         answer_sarana_kehumasan=["Kamera foto", "Mikrofon dan perangkat audio"])
    save(client, 2, url=f"/kuesioner/{SLUG}/sdm", answer_jumlah_personel="3",
         answer_pranata_humas="1")
    expected = _expected_total(rubric, sub_of(session).answers)
    assert expected != "0,00"
    for url in (f"/kuesioner/{SLUG}", ASPECT, f"/kuesioner/{SLUG}/laman"):
        page = html(client.get(url))
        assert re.search(r'data-saved="total">\s*' + re.escape(expected) + r"\s*<", page), url
    page = html(client.get(ASPECT))
    aspect = q.self_scores(rubric, sub_of(session))["aspects"]["kelembagaan"]
    assert f'data-saved="aspect">{aspect:.2f}'.replace(".", ",") in page


def test_the_preview_estimates_without_saving(client, session, operator):
    rubric = rubric_for(operator[1])
    response = client.post(f"{ASPECT}/pratinjau", data={"version": "1", "answer-sk-bakohumas": "ya",
                                                        "answer-struktur-tim": "4"})
    assert response.status_code == 200
    result = response.get_json()
    expected = scores.self_scores_for(rubric, "33", {"sk-bakohumas": True, "struktur-tim": 4})
    assert result["total"] == f"{expected['total']:.2f}" and Decimal(result["aspect"]) > 0
    assert result["answered"] == 2 and result["scored"] == 3
    assert sub_of(session) is None


# ---- an expired session or CSRF token never loses the page ---------------------------------

def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]


def test_an_expired_csrf_token_shows_the_page_again_with_what_was_typed(
        app, client, colleague, session):
    state = opened(client)
    theirs = colleague.post(ASPECT, data={"version": "1", "save": "1", "answer-struktur-tim": "2"})
    assert theirs.status_code == 302   # a colleague saves another question meanwhile
    app.config["WTF_CSRF_ENABLED"] = True
    response = post(client, state, csrf_token="expired-token", answer_sk_bakohumas="ya")
    page = html(response)
    assert response.status_code == 400 and "could not be understood" not in page
    assert "nothing was saved" in page and "press Save again" in page
    assert re.search(r'id="answer-sk-bakohumas-0" value="ya"[^>]*checked', page)
    # the page keeps its version and signed base: the same save now merges with the colleague's
    assert f'name="version" value="{state["version"]}"' in page
    again = {"csrf_token": _token(page), "version": state["version"], "save": "1",
             "base": re.search(r'name="base" value="([^"]*)"', page)[1],
             "answer-sk-bakohumas": "ya"}
    assert client.post(ASPECT, data=again).status_code == 302
    assert sub_of(session).answers == {"sk-bakohumas": True, "struktur-tim": 2}


def test_a_page_posted_after_the_login_ended_is_kept_and_saved_after_logging_in_again(
        app, client, colleague, session):
    state = opened(client)
    theirs = colleague.post(ASPECT, data={"version": "1", "save": "1", "answer-struktur-tim": "2"})
    assert theirs.status_code == 302   # a colleague saves another question meanwhile
    app.config["WTF_CSRF_ENABLED"] = True
    state["csrf_token"] = _token(html(client.get(ASPECT)))
    session.query(UserSession).delete()   # the login ends (expiry, a logout elsewhere)
    session.commit()
    typed = "Kamera foto"   # and a value with markup, echoed escaped
    response = post(client, state, answer_sk_bakohumas="ya", answer_sarana_kehumasan=typed,
                    note="<b>dan</b>")
    kept = html(response)
    assert response.status_code == 200 and "could not be understood" not in kept
    assert "Your session has ended" in kept and 'href="/akun/masuk"' in kept
    assert "&lt;b&gt;dan&lt;/b&gt;" in kept and "<b>dan</b>" not in kept
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', kept)
    assert ("answer-sk-bakohumas", "ya") in fields and ("version", state["version"]) in fields
    # logging in again in another tab (the same browser's cookies), then "Save again"
    login_page = html(client.get("/akun/masuk"))
    logged = client.post("/akun/masuk", data={"csrf_token": _token(login_page), "username": "op-33",
                                     "password": PASSWORD})
    assert logged.status_code == 302
    data = {}
    for name, value in fields:
        data.setdefault(name, []).append(value.replace("&lt;", "<").replace("&gt;", ">"))
    data["save"] = "1"
    response = client.post(ASPECT, data=data)
    assert response.status_code == 302
    sub = sub_of(session)
    assert sub.answers["sk-bakohumas"] is True and sub.answers["struktur-tim"] == 2
    assert sub.answers["sarana-kehumasan"] == [typed]


# ---- autosave ------------------------------------------------------------------------------

AUTOSAVE = f"{ASPECT}/simpan-otomatis"


def test_autosave_merges_and_keeps_the_page_in_step(client, colleague, session):
    state = opened(client)
    page_url = html(client.get(ASPECT))
    assert f'data-autosave-url="{AUTOSAVE}"' in page_url
    result = client.post(AUTOSAVE, data=state | {"answer-sk-bakohumas": "ya"}).get_json()
    assert result["saved"] is True and result["version"] == 2
    assert re.fullmatch(r"Saved automatically at \d{2}\.\d{2}", result["message"])
    assert sub_of(session).answers == {"sk-bakohumas": True}
    mine = {"version": str(result["version"]), "base": result["base"], "answer-sk-bakohumas": "ya"}
    # a colleague answers another question; the page's next autosave keeps it and is told it
    theirs = colleague.post(ASPECT, data=opened(colleague) | {"save": "1", "answer-struktur-tim": "2"})
    assert theirs.status_code == 302
    result = client.post(AUTOSAVE, data=mine | {"answer-sarana-kehumasan": "-"}).get_json()
    assert result["saved"] is True and result["fields"] == {"answer-struktur-tim": ["2"]}
    assert sub_of(session).answers == {"sk-bakohumas": True, "struktur-tim": 2,
                                       "sarana-kehumasan": []}
    # the same question changed on both sides: nothing saved, the page is told why
    colleague.post(ASPECT, data=opened(colleague) | {"save": "1", "answer-struktur-tim": "3",
                                                     "answer-sarana-kehumasan": "-"})
    mine = {"version": str(result["version"]), "base": result["base"]}
    response = client.post(AUTOSAVE, data=mine | {"answer-sk-bakohumas": "ya",
                                                  "answer-struktur-tim": "1",
                                                  "answer-sarana-kehumasan": "-"})
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"
    assert sub_of(session).answers["struktur-tim"] == 3
    # after the login ended: a JSON answer, not the login page
    client.post("/akun/keluar")
    response = client.post(AUTOSAVE, data=mine)
    assert response.status_code == 401 and response.get_json()["error"] == "expired"


def test_a_refused_evidence_link_is_kept_in_its_field_and_marked(client, session, operator):
    response = save(client, 1, answer_sk_bakohumas="ya", link_sk_bakohumas="ftp://kpu.go.id/sk")
    page = html(response)
    assert response.status_code == 422 and sub_of(session).answers == {"sk-bakohumas": True}
    field = re.search(r'<input[^>]*name="link-sk-bakohumas"[^>]*>', page).group(0)
    assert 'value="ftp://kpu.go.id/sk"' in field and "is-invalid" in field
    assert re.search(r'id="le-sk-bakohumas">ftp://kpu.go.id/sk: Only links', page)
    assert 'name="version" value="2"' in page   # the page is the saved one: saving again is safe
