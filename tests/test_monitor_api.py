"""The monitoring API and command: channels, posts, activities, the weekly activity shape,
permissions, and `run.py monitor fetch` storing items once per link across fetches."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

import run
from assessment.extensions import db
from assessment.models import MonitorActivity, MonitorChannel, MonitorItem
from assessment.operations.tokens import create_token
from tests.monitor_support import FeedServer, rss

BASE = "/api/v1/units"


def bearer(session, user) -> dict:
    _, secret = create_token(session, user, "test")
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def op33(session, make_user):
    return bearer(session, make_user(username="op-33", unit_code="33"))


def test_channels_add_list_delete(client, op33, session):
    body = {"kind": "website", "url": "https://jateng.kpu.go.id/",
            "feed_url": "https://jateng.kpu.go.id/feed"}
    created = client.post(f"{BASE}/33/channels", json=body, headers=op33)
    assert created.status_code == 201, created.json
    channel = created.json
    assert channel["id"] > 0 and channel["kind"] == "website" and channel["status"] is None
    social = client.post(f"{BASE}/33/channels", json={"kind": "social", "url": "https://instagram.com/kpujateng",
                                                      "feed_url": None}, headers=op33)
    assert social.status_code == 201
    listed = client.get(f"{BASE}/33/channels", headers=op33).json["channels"]
    assert [c["kind"] for c in listed] == ["website", "social"]
    assert client.delete(f"{BASE}/33/channels/{channel['id']}", headers=op33).status_code == 204
    assert client.delete(f"{BASE}/33/channels/{channel['id']}", headers=op33).status_code == 404
    assert session.query(MonitorChannel).count() == 1


@pytest.mark.parametrize("body, field", [
    ({"kind": "tv", "url": "https://a.example/"}, "kind"),
    ({"kind": "website", "url": "javascript:alert(1)"}, "url"),
    ({"kind": "website", "url": "https://a.example/", "feed_url": "file:///etc/passwd"}, "feed_url"),
    ({"kind": "website", "url": "https://a.example/" + "x" * 1000}, "url"),
])
def test_bad_channels_are_422_and_change_nothing(client, op33, session, body, field):
    response = client.post(f"{BASE}/33/channels", json=body, headers=op33)
    assert response.status_code == 422 and field in response.json["details"]
    assert session.query(MonitorChannel).count() == 0


def test_bodies_with_unknown_or_mistyped_fields_are_400(client, op33):
    for body in ({"kind": "website"}, {"kind": "website", "url": 5},
                 {"kind": "website", "url": "https://a.example/", "extra": 1}):
        assert client.post(f"{BASE}/33/channels", json=body, headers=op33).status_code == 400


def test_other_units_and_roles_are_refused(client, session, make_user, op33):
    other = bearer(session, make_user(username="op-34", unit_code="34"))
    monitor = bearer(session, make_user(username="monitor-33", role="monitor", unit_code="33"))
    judge = bearer(session, make_user(username="penilai1", role="judge", unit_code=None))
    body = {"kind": "website", "url": "https://a.example/"}
    assert client.post(f"{BASE}/33/channels", json=body, headers=other).status_code == 403
    assert client.post(f"{BASE}/33/channels", json=body, headers=monitor).status_code == 403
    assert client.get(f"{BASE}/33/activity", headers=judge).status_code == 403
    assert client.get(f"{BASE}/33.74/activity", headers=monitor).status_code == 200   # its regency
    assert client.get(f"{BASE}/34/activity", headers=monitor).status_code == 403
    assert client.get(f"{BASE}/33/activity").status_code == 401
    assert client.get(f"{BASE}/99.99/channels", headers=op33).status_code == 404


def test_posts_activities_and_the_activity_shape(client, op33, session):
    client.post(f"{BASE}/33/channels", json={"kind": "social", "url": "https://instagram.com/kpujateng"},
                headers=op33)
    post = {"url": "https://instagram.com/p/abc", "published": "2026-03-03", "title": "Rapat pleno"}
    first = client.post(f"{BASE}/33/posts", json=post, headers=op33)
    assert first.status_code == 201 and first.json["created"] is True
    again = client.post(f"{BASE}/33/posts", json=post, headers=op33)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    client.post(f"{BASE}/33/posts", json={"url": "https://instagram.com/p/def",
                                          "published": "2026-03-18T23:30:00+07:00"}, headers=op33)
    act = client.post(f"{BASE}/33/activities", json={"date": "2026-03-03", "title": "Rapat pleno",
                                                     "item_url": "https://instagram.com/p/abc"},
                      headers=op33)
    assert act.status_code == 201 and act.json["item_id"] == first.json["id"]
    assert client.post(f"{BASE}/33/activities", json={"date": "2026-03-05", "title": "Sosialisasi",
                                                      "item_url": None}, headers=op33).status_code == 201
    assert client.post(f"{BASE}/33/activities", json={"date": "5 Maret", "title": "x"},
                       headers=op33).status_code == 422
    body = client.get(f"{BASE}/33/activity?from=2026-03-01&to=2026-03-20", headers=op33).json
    assert body["unit"] == "33" and body["from"] == "2026-03-01" and body["to"] == "2026-03-20"
    assert body["weeks"] == [{"week": "2026-W09", "items": 0}, {"week": "2026-W10", "items": 1},
                             {"week": "2026-W11", "items": 0}, {"week": "2026-W12", "items": 1}]
    assert body["items"] == 2 and body["weeks_without_items"] == 2 and body["longest_gap_weeks"] == 1
    assert body["activities"] == 2 and body["same_day_share"] == 0.5
    assert body["channels"][0]["items"] == 2 and set(body["channels"][0]) == {
        "id", "kind", "items", "last_item", "status", "error"}
    assert client.get(f"{BASE}/33/activity?from=2026-03-20&to=2026-03-01", headers=op33).status_code == 422
    assert client.get(f"{BASE}/33/activity?from=x&to=2026-03-01", headers=op33).status_code == 422


def test_fetch_command_stores_items_once_across_fetches(app, session, monkeypatch, capsys):
    with FeedServer() as server:
        feed = {"body": rss(3)}
        server.routes["/feed"] = lambda h: (200, {}, feed["body"])
        server.routes["/broken"] = (500, {}, b"oops")
        session.add_all([MonitorChannel(unit_code="33", kind="website", url="https://a.example/",
                                        feed_url=server.url("/feed"), failures=0),
                         MonitorChannel(unit_code="33", kind="podcast", url="https://b.example/",
                                        feed_url=server.url("/broken"), failures=0),
                         MonitorChannel(unit_code="34", kind="website", url="https://c.example/",
                                        feed_url="http://127.0.0.1:1/x", failures=0)])
        session.commit()
        monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
        monkeypatch.setenv("MONITOR_ALLOW_HOSTS", server.allow)
        assert run.main(["monitor", "fetch", "--unit", "33"]) == 0
        assert "2 feed(s): 1 read, 0 unchanged, 1 failed; 3 new item(s)" in capsys.readouterr().out
        feed["body"] = rss(5)   # two new items, three seen before
        assert run.main(["monitor", "fetch"]) == 0
        out = capsys.readouterr().out
        assert "3 feed(s): 1 read, 0 unchanged, 2 failed; 2 new item(s)" in out
        assert "refused" in out   # unit 34's loopback feed on a port not allowed
    db.session.expire_all()
    assert session.query(MonitorItem).count() == 5
    broken = session.query(MonitorChannel).filter_by(kind="podcast").one()
    assert broken.status == "failed" and broken.error.startswith("HTTP 500") and broken.failures == 2
    assert run.main(["monitor", "fetch", "--unit", "99.99"]) == 2


def test_fetch_holds_no_transaction_while_fetching(app, session, monkeypatch, capsys):
    """The channels are read, that read ends, the feeds are fetched with no transaction open,
    and the results are stored in one transaction afterwards."""
    from assessment.monitor import fetch
    session.add(MonitorChannel(unit_code="33", kind="website", url="https://a.example/",
                               feed_url="https://a.example/feed", failures=0))
    session.commit()
    seen = []

    def fetch_all(self, targets):
        seen.append((db.session().in_transaction(), [t.url for t in targets]))
        return [fetch.Result(t.key, "ok", [fetch.Entry("https://a.example/1", "Satu", None)])
                for t in targets]

    monkeypatch.setattr(fetch.Fetcher, "fetch_all", fetch_all)
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    assert run.main(["monitor", "fetch"]) == 0
    assert seen == [(False, ["https://a.example/feed"])]
    assert "1 new item(s)" in capsys.readouterr().out
    db.session.expire_all()
    assert session.query(MonitorItem).count() == 1


def test_coverage_suggestions_and_confirmation(app, session):
    from assessment.models import WorkUnit
    from assessment.operations import monitor as ops
    unit = session.get(WorkUnit, "33")
    channel = ops.add_channel(session, unit, "website", "https://a.example/")
    for n, (title, day) in enumerate([("Rapat Koordinasi Bakohumas", 10), ("Pelantikan PPK", 10),
                                      ("rapat koordinasi bakohumas jateng", 12)]):
        session.add(MonitorItem(channel_id=channel.id, unit_code="33", link=f"https://a.example/{n}",
                                title=title, published_at=datetime(2026, 3, day, 5, tzinfo=timezone.utc)))
    activity = ops.add_activity(session, unit, "2026-03-10", "Rapat koordinasi Bakohumas")
    found = ops.suggestions(session, unit, activity)
    assert [i.link for i, _ in found] == ["https://a.example/0", "https://a.example/2"]
    ops.confirm_coverage(session, unit, activity, found[0][0].id)
    result = ops.unit_activity(session, unit, date(2026, 3, 9), date(2026, 3, 15))
    assert result.delays == [0] and result.measure("same_day_share") == 1.0
    session.rollback()
