"""Issue 13 on the judge's verification page: two saves of the same unit's verification (two
windows of the same judge, or the page and the API) merge per indicator; a part changed on
both sides (value, comment or checked dates) is a conflict that shows both and saves
nothing; autosave goes through the same merge and answers the page's fresh marks and counts;
the API answers 409 with the conflicts and the current version. Issue 19: an indicator with
``sample`` shows the judge its sampled dates and records the ones checked."""
from __future__ import annotations

import os
import re
from datetime import date
from html.parser import HTMLParser

import pytest

from assessment.models import JudgeAssignment, Submission, Verification
from assessment.operations import Conflict, Invalid
from assessment.operations import verification as ops
from assessment.operations.monitor import season_window
from rubrics import load_rubric
from rubrics.loader import EDITIONS_DIR
from scoring import sample_dates
from tests.test_verification import (API, SLUG, UNIT, assignment, headers,  # noqa: F401
                                     html, login, season, stored_values)

SDM = f"/penilai/{SLUG}/{UNIT}/sdm"
SDM_AUTOSAVE = SDM + "/simpan-otomatis"
SDM_SCORED = [i for i in load_rubric(EDITIONS_DIR / "bakohumas-2025.yaml").aspect("sdm").indicators
              if i.scored]


class _Fields(HTMLParser):
    """The successful controls of the verification form, as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.inside, self.data, self.textarea = False, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "verify":
            self.inside = True
        elif not self.inside or "name" not in attrs:
            return
        elif tag == "input" and attrs.get("type") in ("checkbox", "radio"):
            if "checked" in attrs:
                self.data.setdefault(attrs["name"], []).append(attrs.get("value", "on"))
        elif tag == "input" and attrs.get("type") not in ("submit", "button"):
            self.data[attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.data[self.textarea] = ""

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False


def opened_from(page: str) -> dict:
    parser = _Fields()
    parser.feed(page)
    parser.data.pop("csrf_token", None)
    return parser.data


def opened(client, url=SDM) -> dict:
    """What a window that opens the page holds: its version, signed base and every field."""
    return opened_from(html(client.get(url)))


def test_two_windows_changing_different_indicators_are_both_kept(client, auth, session, season):
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    first, second = opened(client), opened(client)
    assert first["version"] == second["version"] == "1"
    assert client.post(SDM, data=first | {"verified-jumlah-personel": "3", "save": "1"}
                       ).status_code == 302
    assert client.post(SDM, data=second | {"verified-pranata-humas": "2",
                                           "comment-pranata-humas": "Dua JF.", "save": "1"}
                       ).status_code == 302
    row = assignment(session, judge)
    assert stored_values(session, judge) == {"jumlah-personel": {"v": 3},
                                             "pranata-humas": {"v": 2}}
    assert {v.indicator_id: v.comment for v in row.verifications}["pranata-humas"] == "Dua JF."
    assert row.version == 3
    assert row.changed["jumlah-personel"]["version"] == 2
    assert row.changed["pranata-humas"]["version"] == 3
    assert row.changed["pranata-humas:comment"] == {"version": 3, "by": judge.id}


def test_the_same_indicator_on_both_sides_shows_both_and_saves_nothing(client, auth, session,
                                                                      season):
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    first, second = opened(client), opened(client)
    client.post(SDM, data=first | {"verified-jumlah-personel": "3", "save": "1"})
    response = client.post(SDM, data=second | {"verified-jumlah-personel": "5",
                                               "verified-pranata-humas": "1", "save": "1"})
    assert response.status_code == 409
    page = html(response)
    assert "Your changes were NOT saved: 1 of the values you changed" in page
    block = page[page.index('data-conflict="jumlah-personel"'):]
    block = block[:block.index("</fieldset>") if "</fieldset>" in block[:3000] else 3000]
    assert re.search(r'conflict-yours[^>]*>\s*5', block) and re.search(r'conflict-theirs[^>]*>\s*3', block)
    # nothing of the refused save is stored, the typed values stay on the page
    assert stored_values(session, judge) == {"jumlah-personel": {"v": 3}}
    assert re.search(r'name="verified-jumlah-personel"[^>]*value="5"', page)
    assert re.search(r'name="verified-pranata-humas"[^>]*value="1"', page)
    # the page is now based on the current version: choosing "theirs" keeps 3, saves the rest
    again = opened_from(page)
    assert again["version"] == "2"
    assert client.post(SDM, data=again | {"choice-jumlah-personel": "theirs", "save": "1"}
                       ).status_code == 302
    assert stored_values(session, judge) == {"jumlah-personel": {"v": 3},
                                             "pranata-humas": {"v": 1}}


def test_choosing_mine_saves_the_typed_value(client, auth, session, season):
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    first, second = opened(client), opened(client)
    client.post(SDM, data=first | {"verified-jumlah-personel": "3", "save": "1"})
    page = html(client.post(SDM, data=second | {"verified-jumlah-personel": "5", "save": "1"}))
    again = opened_from(page)
    assert client.post(SDM, data=again | {"choice-jumlah-personel": "mine", "save": "1"}
                       ).status_code == 302
    assert stored_values(session, judge) == {"jumlah-personel": {"v": 5}}


def test_a_comment_and_a_value_of_one_indicator_merge(client, auth, session, season):
    """The value, the comment and the checked dates are separate parts: one window's comment
    and the other's value of the same indicator are both kept."""
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    first, second = opened(client), opened(client)
    client.post(SDM, data=first | {"verified-jumlah-personel": "3", "save": "1"})
    assert client.post(SDM, data=second | {"comment-jumlah-personel": "SK memuat tiga nama.",
                                           "save": "1"}).status_code == 302
    row = {v.indicator_id: v for v in assignment(session, judge).verifications}["jumlah-personel"]
    assert row.value == {"v": 3} and row.comment == "SK memuat tiga nama."


def test_api_answers_409_with_conflicts_and_the_current_version(client, auth, session, season):
    judge = season["judges"]["penilai1"]
    api = headers(session, judge)
    body = client.get(f"{API}/{UNIT}", headers=api).get_json()
    assert body["version"] == 1
    login(client, auth, "penilai1")
    client.post(SDM, data=opened(client) | {"verified-jumlah-personel": "3", "save": "1"})
    stale = client.put(f"{API}/{UNIT}", headers=api,
                       json={"version": 1, "values": {"jumlah-personel": 4},
                             "comments": {"pranata-humas": "dari API"}})
    assert stale.status_code == 409
    answer = stale.get_json()
    assert answer["error"] == "conflict"
    assert answer["details"] == {"conflicts": [{"indicator": "jumlah-personel", "field": "value",
                                                "yours": 4, "theirs": 3}],
                                 "current_version": 2}
    assert stored_values(session, judge) == {"jumlah-personel": {"v": 3}}
    # another indicator from the same stale version merges
    merged = client.put(f"{API}/{UNIT}", headers=api,
                        json={"version": 1, "values": {"pranata-humas": 2}})
    assert merged.status_code == 200 and merged.get_json()["version"] == 3
    # the same value as stored is no conflict; a version from the future is refused
    assert client.put(f"{API}/{UNIT}", headers=api,
                      json={"version": 1, "values": {"jumlah-personel": 3}}).status_code == 200
    assert client.put(f"{API}/{UNIT}", headers=api,
                      json={"version": 9, "values": {"jumlah-personel": 3}}).status_code == 422


def test_operation_refuses_a_conflict_and_keeps_everything(session, season):
    judge = season["judges"]["penilai1"]
    row = assignment(session, judge)
    ops.save_verifications(session, row, {"jumlah-personel": 3}, {}, {}, judge, version=1)
    session.commit()
    with pytest.raises(Conflict) as refused:
        ops.save_verifications(session, row, {"jumlah-personel": 4, "pranata-humas": 1}, {},
                               {"jumlah-personel": "x"}, judge, version=1)
    session.rollback()
    assert refused.value.details["current_version"] == 2
    assert [c["indicator"] for c in refused.value.details["conflicts"]] == ["jumlah-personel"]
    assert stored_values(session, judge) == {"jumlah-personel": {"v": 3}}
    assert assignment(session, judge).version == 2


# ---- autosave ---------------------------------------------------------------------------------

def test_autosave_saves_through_the_merge_and_returns_fresh_marks_and_counts(client, auth,
                                                                             session, season):
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    page = opened(client)
    first = html(client.get(SDM))
    assert 'data-mark="unverified"' in first
    response = client.post(SDM_AUTOSAVE, data=page | {"verified-jumlah-personel": "3",
                                                      "verified-pranata-humas": "dua"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["saved"] is True and body["version"] == 2
    assert re.fullmatch(r"Saved automatically at \d{2}\.\d{2}", body["message"])
    assert stored_values(session, judge)["jumlah-personel"] == {"v": 3}
    assert stored_values(session, judge)["pranata-humas"]["raw"] == "dua"
    # marks: verified, not valid yet, and the rest not verified yet
    fragments = body["fragments"]
    assert 'data-mark="verified"' in fragments["mark-jumlah-personel"]
    assert 'data-mark="invalid"' in fragments["mark-pranata-humas"]
    unverified = [i.id for i in SDM_SCORED if i.id not in ("jumlah-personel", "pranata-humas")]
    assert all('data-mark="unverified"' in fragments[f"mark-{key}"] for key in unverified)
    assert body["marked"] == [i.id for i in SDM_SCORED if i.id != "jumlah-personel"]
    # counts, by hand: 1 of the aspect's scored indicators verified, 1 value not valid
    assert f'<span data-count="verified">1</span>/{len(SDM_SCORED)}' in fragments["progress"]
    assert "1 value is not valid yet" in fragments["progress"]
    assert re.search(r"<span>1/%d</span>" % len(SDM_SCORED), fragments["nav"])
    # the page says the same after a reload
    reloaded = html(client.get(SDM))
    assert f'<span data-count="verified">1</span>/{len(SDM_SCORED)}' in reloaded


def test_autosave_sends_the_reason_under_the_field_as_a_reload_shows_it(client, auth, session,
                                                                         season):
    """The reason a kept value is not valid comes back with the marks ("error-<id>"), as the
    text under the field that a reload shows, not only as the mark's tooltip; once the value
    is valid the text is gone."""
    login(client, auth, "penilai1")
    body = client.post(SDM_AUTOSAVE, data=opened(client) | {"verified-pranata-humas": "dua",
                                                            "verified-jumlah-personel": "3"}
                       ).get_json()
    fragments = body["fragments"]
    reason = fragments["error-pranata-humas"].strip()
    assert reason.startswith('<div class="invalid-feedback d-block" id="err-pranata-humas">')
    assert "Not valid yet, kept as typed:" in reason and "&ldquo;dua&rdquo;" in reason
    # the mark's tooltip gives the same reason ("the value typed is not valid: <reason>")
    tooltip = re.search(r'data-mark="invalid" title="([^"]*)"', fragments["mark-pranata-humas"])
    why = tooltip.group(1).split(": ", 1)[1]
    assert why and reason.endswith(f"&mdash; {why}</div>")
    # every other scored field of the aspect has no reason under it
    assert {key for key, html_ in fragments.items()
            if key.startswith("error-") and html_.strip()} == {"error-pranata-humas"}
    assert {f"error-{i.id}" for i in SDM_SCORED} <= set(fragments)
    # a reload shows exactly this under the field
    reloaded = html(client.get(SDM))
    holder = re.search(r'<div data-fragment="error-pranata-humas"[^>]*>(.*?)</div>\s*</div>',
                       reloaded, re.S)
    assert holder.group(1).strip() + "</div>" == reason
    # fixed: no reason any more, after the autosave and after a reload
    body = client.post(SDM_AUTOSAVE, data=opened(client) | {"verified-pranata-humas": "2"}
                       ).get_json()
    assert body["fragments"]["error-pranata-humas"].strip() == ""
    assert ' id="err-pranata-humas"' not in html(client.get(SDM))


def test_autosave_conflict_and_expired_login_answer_json(client, auth, session, season):
    login(client, auth, "penilai1")
    first, second = opened(client), opened(client)
    client.post(SDM_AUTOSAVE, data=first | {"verified-jumlah-personel": "3"})
    refused = client.post(SDM_AUTOSAVE, data=second | {"verified-jumlah-personel": "4"})
    assert refused.status_code == 409
    assert refused.get_json()["details"]["conflicts"][0]["theirs"] == 3
    # a field another window saved reaches this window with its next autosave
    moved = client.post(SDM_AUTOSAVE, data=second | {"comment-pranata-humas": "cek"}).get_json()
    assert moved["fields"] == {"verified-jumlah-personel": ["3"]}
    auth.logout()
    assert client.post(SDM_AUTOSAVE, data=second).status_code == 401


def test_autosave_with_nothing_changed_saves_nothing(client, auth, session, season):
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    body = client.post(SDM_AUTOSAVE, data=opened(client)).get_json()
    assert body["saved"] is False and body["version"] == 1
    assert assignment(session, judge).verifications == []


# ---- sampled dates (issue 19) -----------------------------------------------------------------

SLUG26 = "bakohumas-2026-uji"


@pytest.fixture
def sampled_season(session, season, make_period):
    """penilai1 assigned to KPU Kota Semarang in a period of the 2026 edition (indicators
    with ``sample``)."""
    period = make_period(slug=SLUG26, rubric_id="bakohumas-2026", levels=["provinsi", "kabkota"])
    session.add(Submission(period_id=period.id, unit_code=UNIT, status="submitted", answers={},
                           pending={}))
    row = JudgeAssignment(period_id=period.id, unit_code=UNIT,
                          judge_id=season["judges"]["penilai1"].id)
    session.add(row)
    session.commit()
    return period, row


def test_sampled_dates_are_shown_and_the_checked_ones_recorded(client, auth, session,
                                                               sampled_season):
    period, row = sampled_season
    rubric = load_rubric(EDITIONS_DIR / "bakohumas-2026.yaml")
    ind = rubric.indicator("publikasi-tepat-waktu")
    start, end = season_window(period, row.unit)
    drawn = sample_dates(UNIT, ind.id, start, end, SLUG26, 10)
    assert len(drawn) == 10 and all(start <= d <= end for d in drawn)
    assert ops.sampled_for(row, rubric.aspect(ind.aspect_id))[ind.id] == [d.isoformat()
                                                                          for d in drawn]
    login(client, auth, "penilai1")
    url = f"/penilai/{SLUG26}/{UNIT}/{ind.aspect_id}"
    page = html(client.get(url))
    shown = re.findall(r'name="checked-publikasi-tepat-waktu"[^>]*value="([^"]+)"', page)
    assert shown == [d.isoformat() for d in drawn]
    data = opened(client, url) | {"verified-publikasi-tepat-waktu": "7",
                                  "checked-publikasi-tepat-waktu": [drawn[0].isoformat(),
                                                                    drawn[3].isoformat()],
                                  "save": "1"}
    assert client.post(url, data=data).status_code == 302
    saved = session.query(Verification).filter_by(assignment_id=row.id,
                                                  indicator_id=ind.id).one()
    assert saved.value == {"v": 7}
    assert saved.checked == {"dates": [drawn[0].isoformat(), drawn[3].isoformat()]}
    assert opened(client, url)["checked-publikasi-tepat-waktu"] == [drawn[0].isoformat(),
                                                                    drawn[3].isoformat()]


def test_only_sampled_dates_can_be_recorded(session, season, sampled_season):
    period, row = sampled_season
    judge = season["judges"]["penilai1"]
    with pytest.raises(Invalid) as refused:
        ops.save_verifications(session, row, {}, {}, {}, judge,
                               checked={"publikasi-tepat-waktu": [date(1999, 1, 1).isoformat()]})
    assert list(refused.value.details) == ["publikasi-tepat-waktu"]
    with pytest.raises(Invalid):
        ops.save_verifications(session, row, {}, {}, {}, judge,
                               checked={"jumlah-personel": ["2025-01-01"]})


# ---- the pages are valid HTML ------------------------------------------------------------------

def test_conflict_and_sampled_dates_pages_are_valid_html(request, client, auth, session,
                                                         sampled_season):
    if request.node.callspec.params["app"] != "sqlite":
        pytest.skip("the HTML does not depend on the database: checked once, on SQLite")
    from tests.a11y_support import require_vnu, validate_html
    require_vnu()
    login(client, auth, "penilai1")
    first, second = opened(client), opened(client)
    client.post(SDM, data=first | {"verified-jumlah-personel": "3",
                                   "comment-jumlah-personel": "a", "save": "1"})
    conflict = client.post(SDM, data=second | {"verified-jumlah-personel": "5",
                                               "comment-jumlah-personel": "b", "save": "1"})
    assert conflict.status_code == 409
    pages = {"conflict": html(conflict),
             "sampled": html(client.get(f"/penilai/{SLUG26}/{UNIT}/publikasi"))}
    errors = validate_html(pages)
    assert not any(errors.values()), errors


# ---- an expired CSRF token or login never loses the judge's page ------------------------------

def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]


def test_an_expired_csrf_token_shows_the_judges_page_again_with_what_was_typed(
        app, client, auth, session, season):
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    first, second = opened(client), opened(client)
    client.post(SDM, data=first | {"verified-pranata-humas": "2", "save": "1"})
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(SDM, data=second | {"csrf_token": "expired-token", "save": "1",
                                               "verified-jumlah-personel": "4"})
    page = html(response)
    assert response.status_code == 400 and "nothing was saved" in page
    assert re.search(r'name="verified-jumlah-personel"[^>]*value="4"', page)
    kept = opened_from(page)
    assert kept["version"] == "1" and kept["base"] == second["base"]
    # the same save sent again merges with the other window's
    again = client.post(SDM, data=kept | {"csrf_token": _token(page), "save": "1"})
    assert again.status_code == 302
    assert stored_values(session, judge) == {"pranata-humas": {"v": 2},
                                             "jumlah-personel": {"v": 4}}


def test_a_judges_page_posted_after_the_login_ended_is_kept(app, client, auth, session,
                                                            season):
    from assessment.models import UserSession
    judge = season["judges"]["penilai1"]
    login(client, auth, "penilai1")
    state = opened(client)
    app.config["WTF_CSRF_ENABLED"] = True
    state["csrf_token"] = _token(html(client.get(SDM)))
    session.query(UserSession).delete()   # the login ends
    session.commit()
    response = client.post(SDM, data=state | {"verified-jumlah-personel": "4", "save": "1"})
    kept = html(response)
    assert response.status_code == 200 and "Your session has ended" in kept
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', kept)
    assert ("verified-jumlah-personel", "4") in fields and ("version", "1") in fields
    assert stored_values(session, judge) == {}


# ---- two saves read at the same version at the same moment (PostgreSQL) ----------------------

@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="a second connection needs PostgreSQL (TEST_DATABASE_URL)")
def test_two_saves_read_at_the_same_moment_cannot_both_write_unseen(app, session, season):
    """A save that read version 1 before another save of version 1 was committed does not
    see that save's changes in what it read; the version is taken with a conditional
    UPDATE, so it loses the race, reads again and merges: the same indicator is then a
    conflict (nothing overwritten), another indicator is saved beside it."""
    from sqlalchemy.orm import Session

    from assessment.extensions import db
    from assessment.models import User
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the race is run on PostgreSQL")
    judge = season["judges"]["penilai1"]
    row_id = assignment(session, judge).id
    for key, theirs, expected in (("jumlah-personel", 9, Conflict),
                                  ("pranata-humas", 2, None)):
        with Session(db.engine) as other:
            stale = other.get(JudgeAssignment, row_id)
            stale_judge = other.get(User, judge.id)
            read = stale.version
            assert len(stale.verifications) == (0 if expected else 1)   # loaded now
            mine = assignment(session, judge)
            ops.save_verifications(session, mine, {"jumlah-personel": 3 + read}, {}, {}, judge,
                                   version=mine.version)
            session.commit()
            if expected is Conflict:
                with pytest.raises(Conflict) as refused:
                    ops.save_verifications(other, stale, {key: theirs}, {}, {}, stale_judge,
                                           version=read)
                assert refused.value.details["conflicts"] == [
                    {"indicator": key, "field": "value", "yours": theirs, "theirs": 3 + read}]
                other.rollback()
            else:
                ops.save_verifications(other, stale, {key: theirs}, {}, {}, stale_judge,
                                       version=read)
                other.commit()
    assert stored_values(session, judge) == {"jumlah-personel": {"v": 5},
                                             "pranata-humas": {"v": 2}}
    assert assignment(session, judge).version == 4
