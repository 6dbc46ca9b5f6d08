"""Issue 15: the scoring-runs, claimed-versus-verified and judge-quality pages ask a bounded
number of queries, whatever the number of units and values, and export and score the season
once per change of its data (``operations.kept``), not once per view. Counted, never timed."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from assessment.extensions import db
from assessment.models import JudgeAssignment, Verification
from assessment.operations import kept, quality, season as season_ops
from tests.conftest import SLUG, english
from tests.test_moderation import add_submission, verify
from tests.test_quality import season  # noqa: F401 (fixture)

PAGES = {"claimed vs verified": f"/admin/moderation/{SLUG}/selisih",
         "judge quality": f"/admin/moderation/{SLUG}/penilai",
         "scoring runs": f"/admin/periode/{SLUG}/penghitungan/"}


@contextmanager
def queries(app):
    """A list that grows by one per SQL statement sent while the block runs."""
    sent = []
    with app.app_context():
        engine = db.engine

    def count(*_args, **_kw):
        sent.append(1)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def exports(monkeypatch):
    """How many times each module exported the season for scoring."""
    calls = {"quality": 0, "season": 0}
    for name, module in (("quality", quality), ("season", season_ops)):
        real = module.export_exchange

        def counted(*args, _real=real, _name=name, **kw):
            calls[_name] += 1
            return _real(*args, **kw)
        monkeypatch.setattr(module, "export_exchange", counted)
    kept.forget()
    return calls


def _views(app, client) -> dict[str, int]:
    out = {}
    for label, path in PAGES.items():
        with queries(app) as sent:
            response = client.get(path)
        assert response.status_code == 200, label
        out[label] = len(sent)
    return out


def test_pages_score_once_per_change_and_their_queries_do_not_grow_with_the_season(
        app, client, auth, session, season, make_user, exports):  # noqa: F811
    period, _admin, a, b = season
    auth.login("kepala-biro")
    english(client)
    _views(app, client)                                     # first views: worked out once
    assert exports == {"quality": 1, "season": 1}
    warm = _views(app, client)
    assert exports == {"quality": 1, "season": 1}           # warm views: nothing scored again
    assert all(count <= 40 for count in warm.values()), warm

    # more units, judges and values: worked out again once, and the same queries when warm
    c = make_user(username="penilai3", role="judge", unit_code=None, name="Cici Penilai")
    for code in ("32", "35", "36"):
        add_submission(session, period, code, {"sk-bakohumas": True, "struktur-tim": 4})
        for judge in (a, b, c):
            verify(session, period, code, judge, {"sk-bakohumas": False, "struktur-tim": 1})
    session.commit()
    page = client.get(PAGES["claimed vs verified"]).get_data(as_text=True)
    assert "35" in page                                     # the new units are counted
    _views(app, client)
    assert exports == {"quality": 2, "season": 2}
    assert _views(app, client) == warm


def test_a_changed_value_is_seen_at_once(app, client, auth, session, season, exports):  # noqa: F811
    period, _admin, a, _b = season
    auth.login("kepala-biro")
    english(client)
    before = {g.key: g for g in quality.claim_gaps(session, period)["units"]}
    assert quality.claim_gaps(session, period) is quality.claim_gaps(session, period)
    row = session.scalars(select(Verification).join(JudgeAssignment).where(
        JudgeAssignment.period_id == period.id, JudgeAssignment.judge_id == a.id,
        JudgeAssignment.unit_code == "33.74", Verification.indicator_id == "sk-bakohumas")).one()
    row.value = {"v": False}                                # same clock tick, same counts
    session.commit()
    after = {g.key: g for g in quality.claim_gaps(session, period)["units"]}
    assert before["33.74"].verified != after["33.74"].verified
    assert exports["quality"] == 2


def test_claimed_vs_verified_is_paginated_and_searched(client, auth, season, monkeypatch):  # noqa: F811
    from assessment.views import moderation as views
    monkeypatch.setattr(views, "GAP_ROWS_PER_PAGE", 2)
    auth.login("kepala-biro")
    english(client)
    first = client.get(PAGES["claimed vs verified"]).get_data(as_text=True)
    second = client.get(PAGES["claimed vs verified"] + "?page=2").get_data(as_text=True)
    codes = ['<span class="small text-muted">33</span>', '<span class="small text-muted">11</span>',
             '<span class="small text-muted">33.74</span>']
    assert [c in first for c in codes] == [True, True, False]     # largest over-claim first
    assert [c in second for c in codes] == [False, False, True]
    assert 'aria-current="page">2<' in second
    found = client.get(PAGES["claimed vs verified"] + "?q=semarang").get_data(as_text=True)
    assert "KPU Kota Semarang" in found and codes[1] not in found
    nothing = client.get(PAGES["claimed vs verified"] + "?q=zzz").get_data(as_text=True)
    assert "Nothing matches the search." in nothing
