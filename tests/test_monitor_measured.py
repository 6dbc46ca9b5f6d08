"""Indicators measured from a unit's own channels (rubric ``measured_by``, issue 16): the
season's window, the measured values, the questionnaire showing and pre-filling them, and
judges seeing claimed and measured side by side."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from assessment.models import JudgeAssignment, MonitorActivity, MonitorItem, Submission, WorkUnit
from assessment.operations import monitor as ops
from assessment.rubric_store import rubric_for, store_rubric
from rubrics.loader import EDITIONS_DIR
from scoring.activity import season_window
from tests.conftest import english

SLUG = "bakohumas-2026"
UNIT = "33"


def test_the_window_is_the_52_full_iso_weeks_before_the_opening_week():
    # opens on Wednesday 2026-03-18 (ISO week 12): weeks 2025-W12 .. 2026-W11
    assert season_window(date(2026, 3, 18)) == (date(2025, 3, 17), date(2026, 3, 15))
    # opening on a Monday leaves that whole week out as well
    assert season_window(date(2026, 3, 16)) == (date(2025, 3, 17), date(2026, 3, 15))
    # across ISO week 53 (2026-W53 ends on 2027-01-03)
    start, end = season_window(date(2027, 1, 6))
    assert (start, end) == (date(2026, 1, 5), date(2027, 1, 3)) and (end - start).days == 52 * 7 - 1


@pytest.fixture
def period(session, make_period):
    store_rubric(session, (EDITIONS_DIR / f"{SLUG}.yaml").read_bytes(), f"{SLUG}.yaml")
    session.commit()
    return make_period(slug=SLUG, title="Penilaian 2026", rubric_id=SLUG)


def pages_as_served(app):
    """Render pages with their CSRF fields, as served (the login before is posted without)."""
    app.config["WTF_CSRF_ENABLED"] = True


def noon(day: date) -> datetime:
    return datetime.combine(day, time(5), timezone.utc)   # 12.00 WIB


def publishing(session, period, weeks_with_items: int, covered_same_day: int, activities: int):
    """Unit 33 with a website and an Instagram page; items in the first ``weeks_with_items``
    weeks of the window; ``activities`` activities, the first ``covered_same_day`` covered on
    their day and the next one a day late."""
    unit = session.get(WorkUnit, UNIT)
    site = ops.add_channel(session, unit, "website", "https://jateng.kpu.go.id/", "https://jateng.kpu.go.id/feed")
    page = ops.add_channel(session, unit, "social", "https://instagram.com/kpujateng")
    start, _end = ops.season_window(period, unit)
    for week in range(weeks_with_items):
        channel = site if week % 2 else page
        session.add(MonitorItem(channel_id=channel.id, unit_code=UNIT, link=f"https://x.example/{week}",
                                title=f"Berita {week}", published_at=noon(start + timedelta(weeks=week, days=2))))
    before = start - timedelta(days=3)   # outside the window: not counted
    session.add(MonitorItem(channel_id=site.id, unit_code=UNIT, link="https://x.example/old",
                            title="Lama", published_at=noon(before)))
    session.flush()
    for n in range(activities):
        held = start + timedelta(weeks=n, days=1)
        item = None
        if n <= covered_same_day:
            item = MonitorItem(channel_id=site.id, unit_code=UNIT, link=f"https://x.example/liputan/{n}",
                               title=f"Rapat {n}", published_at=noon(held + timedelta(days=n == covered_same_day)))
            session.add(item)
            session.flush()
        session.add(MonitorActivity(unit_code=UNIT, day=held, title=f"Rapat {n}", kind="external",
                                    item_id=item.id if item else None))
    session.commit()


def test_measured_values_over_the_window(session, period):
    publishing(session, period, weeks_with_items=26, covered_same_day=3, activities=4)
    unit = session.get(WorkUnit, UNIT)
    found = ops.measured_answers(session, period, unit, rubric_for(period).indicators)
    assert set(found) == {"minggu-berkonten", "minggu-berkonten-luar-tahapan", "liputan-hari-sama"}
    # weeks 0-25 have items (the coverage items fall in weeks 0-3 as well): 26 of 52 weeks
    assert found["minggu-berkonten"].value == 50.0
    assert found["minggu-berkonten-luar-tahapan"].value == 50.0   # no stage entered
    assert found["liputan-hari-sama"].value == 75.0                # 3 of 4 on the same day
    assert found["minggu-berkonten"].start == ops.season_window(period, unit)[0]
    ops.add_stage(session, "Kampanye", found["minggu-berkonten"].start + timedelta(weeks=26),
                  found["minggu-berkonten"].end)
    again = ops.measured_answers(session, period, unit, rubric_for(period).indicators)
    assert again["minggu-berkonten-luar-tahapan"].value == 100.0   # the 26 empty weeks are a stage


def test_nothing_is_measured_without_channels(session, period):
    unit = session.get(WorkUnit, UNIT)
    found = ops.measured_answers(session, period, unit, rubric_for(period).indicators)
    assert {m.value for m in found.values()} == {None}
    assert {m.reason for m in found.values()} == {"no_channels"}


def test_the_questionnaire_shows_and_prefills_the_measured_value(app, session, client, auth, make_user,
                                                                period):
    publishing(session, period, weeks_with_items=26, covered_same_day=3, activities=4)
    make_user(username="op-33", unit_code=UNIT)
    auth.login("op-33")
    english(client)
    pages_as_served(app)
    page = client.get(f"/kuesioner/{SLUG}/media-sosial")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-measured="minggu-berkonten"' in html and "Measured from the unit's channels" in html
    assert 'id="answer-minggu-berkonten" value="50"' in html
    assert 'id="answer-unggahan-mingguan" value=""' in html   # not measured
    # an answer the unit gave is kept; the measured value stays beside it
    sub = Submission(period_id=period.id, unit_code=UNIT, status="draft",
                     answers={"minggu-berkonten": 80}, pending={})
    session.add(sub)
    session.commit()
    html = client.get(f"/kuesioner/{SLUG}/media-sosial").get_data(as_text=True)
    assert 'id="answer-minggu-berkonten" value="80"' in html
    assert '<strong class="measured-value">50</strong>' in html
    publikasi = client.get(f"/kuesioner/{SLUG}/publikasi").get_data(as_text=True)
    assert 'value="75"' in publikasi and 'data-measure="same_day_share"' in publikasi


def test_without_channels_the_field_stays_empty_and_says_why(app, session, client, auth, make_user,
                                                             period):
    make_user(username="op-33", unit_code=UNIT)
    auth.login("op-33")
    english(client)
    pages_as_served(app)
    html = client.get(f"/kuesioner/{SLUG}/media-sosial").get_data(as_text=True)
    assert 'id="answer-minggu-berkonten" value=""' in html
    assert "the unit has registered no channel" in html


def test_judges_see_claimed_and_measured_side_by_side(app, session, client, auth, make_user, period):
    publishing(session, period, weeks_with_items=26, covered_same_day=3, activities=4)
    session.add(Submission(period_id=period.id, unit_code=UNIT, status="submitted",
                           answers={"minggu-berkonten": 80, "liputan-hari-sama": 75}, pending={}))
    judge = make_user(username="penilai1", role="judge", unit_code=None)
    session.add(JudgeAssignment(period_id=period.id, unit_code=UNIT, judge_id=judge.id))
    session.commit()
    auth.login("penilai1")
    english(client)
    pages_as_served(app)
    page = client.get(f"/penilai/{SLUG}/{UNIT}/media-sosial")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    claimed = html.split('id="ind-minggu-berkonten"')[1].split("</section>")[0]
    assert '<strong class="measured-value">50</strong>' in claimed
    assert "Claimed minus measured" in claimed and "<strong>+30</strong>" in claimed
    same_day = client.get(f"/penilai/{SLUG}/{UNIT}/publikasi").get_data(as_text=True)
    section = same_day.split('id="ind-liputan-hari-sama"')[1].split("</section>")[0]
    assert '<strong class="measured-value">75</strong>' in section and "<strong>0</strong>" in section
