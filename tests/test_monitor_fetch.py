"""The feed harvester against a loopback server: fixtures, hostile and broken feeds,
conditional GET, limits, redirects and SSRF refusals (assessment/monitor/fetch.py)."""
from __future__ import annotations

import socket

import pytest

from assessment.monitor.fetch import Fetcher, Target, parse_allow, refused_address
from tests.monitor_support import ATOM, FeedServer, gzip_bomb, rss


@pytest.fixture
def server():
    with FeedServer() as s:
        yield s


def fetcher(server, **kw):
    return Fetcher(allow=parse_allow(server.allow), **kw)


def fetch(server, path, **kw):
    target_kw = {k: kw.pop(k) for k in ("etag", "last_modified") if k in kw}
    return fetcher(server, **kw).fetch(Target(1, server.url(path), **target_kw))


def test_rss_and_atom_are_read(server):
    server.routes["/rss"] = (200, {"Content-Type": "application/rss+xml"}, rss(3))
    server.routes["/atom"] = (200, {"Content-Type": "application/atom+xml"}, ATOM)
    result = fetch(server, "/rss")
    assert result.status == "ok" and [e.link for e in result.entries] == [
        "https://kpu.example/berita/0", "https://kpu.example/berita/1", "https://kpu.example/berita/2"]
    assert result.entries[0].published.isoformat() == "2026-03-02T02:00:00+00:00"   # +0700 -> UTC
    atom = fetch(server, "/atom")
    assert [(e.title, e.published.day) for e in atom.entries] == [
        ("Sosialisasi Pemilih Pemula", 2), ("Rapat Pleno Terbuka", 9)]


def test_conditional_get_sends_validators_and_takes_304(server):
    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"ETag": '"v1"', "Last-Modified": "Mon, 02 Mar 2026 02:00:00 GMT"}, rss(1)
    server.routes["/feed"] = conditional
    first = fetch(server, "/feed")
    assert first.status == "ok" and first.etag == '"v1"'
    second = fetch(server, "/feed", etag=first.etag, last_modified=first.last_modified)
    assert second.status == "not_modified" and second.entries == []
    assert server.requests[-1]["If-Modified-Since"] == "Mon, 02 Mar 2026 02:00:00 GMT"


@pytest.mark.parametrize("body, reason", [
    (b"<rss><channel><item><title>x", "not a readable feed"),
    (b"this is not xml at all", "not"),
    (b"", "not"),
    (b"<html><body>Halaman</body></html>", "not"),
])
def test_malformed_feeds_fail_with_a_reason(server, body, reason):
    server.routes["/bad"] = (200, {"Content-Type": "application/xml"}, body)
    result = fetch(server, "/bad")
    assert result.status == "failed" and reason in result.error


def test_wrong_encodings_are_read(server):
    latin = rss(1).replace("Berita 0", "Peluncuran Maskot Pemilu à Jakarta") \
        .replace('encoding="utf-8"', 'encoding="iso-8859-1"').encode("latin-1")
    server.routes["/latin"] = (200, {"Content-Type": "application/xml"}, latin)
    # declared utf-8 but sent in cp1252: feedparser falls back and still reads the items
    lying = rss(1).replace("Berita 0", "Kegiatan “Pemilu” Damai").encode("cp1252")
    server.routes["/lying"] = (200, {"Content-Type": "text/xml; charset=utf-8"}, lying)
    assert fetch(server, "/latin").entries[0].title == "Peluncuran Maskot Pemilu à Jakarta"
    lied = fetch(server, "/lying")
    assert lied.status == "ok" and len(lied.entries) == 1


def test_huge_feeds_are_refused(server):
    body = rss(1).encode() + b" " * (3 * 1024 * 1024)
    server.routes["/huge"] = (200, {}, body)
    result = fetch(server, "/huge", max_bytes=1024 * 1024)
    assert result.status == "failed" and "larger than 1 MB" in result.error
    # without a Content-Length the limit holds while reading
    server.routes["/chunked"] = (200, {"Content-Length": str(len(body)), "X": "y"}, body)
    assert "larger" in fetch(server, "/chunked", max_bytes=1024 * 1024).error


def test_a_gzip_bomb_is_refused_after_the_limit(server):
    server.routes["/bomb"] = (200, {"Content-Encoding": "gzip"}, gzip_bomb())
    result = fetch(server, "/bomb")
    assert result.status == "failed" and "compressed bomb" in result.error


def test_gzip_feeds_are_read(server):
    import gzip
    server.routes["/gz"] = (200, {"Content-Encoding": "gzip"}, gzip.compress(rss(2).encode()))
    assert len(fetch(server, "/gz").entries) == 2


def test_redirects_are_followed_and_checked_at_each_hop(server):
    server.routes["/feed"] = (200, {}, rss(1))
    server.routes["/moved"] = (301, {"Location": "/feed"}, b"")
    assert fetch(server, "/moved").status == "ok"
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    assert "redirects" in fetch(server, "/loop").error
    # the allowed host redirects to a private or other loopback address: refused
    for target in ("http://10.0.0.7/feed", "http://127.0.0.2:9/feed", "http://169.254.169.254/latest",
                   f"http://localhost:{server.port}/feed"):
        server.routes["/escape"] = (302, {"Location": target}, b"")
        result = fetch(server, "/escape")
        assert result.status == "failed" and "refused" in result.error, target


def test_slow_answers_time_out(server):
    import time

    def slow(handler):
        time.sleep(1.5)
        return 200, {}, rss(1)
    server.routes["/slow"] = slow
    result = fetch(server, "/slow", timeout=0.5)
    assert result.status == "failed" and "timed out" in result.error


def test_http_errors_are_reasons(server):
    assert fetch(server, "/missing").error.startswith("HTTP 404")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/feed", "http://localhost/feed", "http://[::1]/feed", "http://10.1.2.3/",
    "http://192.168.1.1/", "http://172.16.0.1/", "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0/", "http://224.0.0.1/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/",
    "http://100.64.0.1/", "http://240.0.0.1/", "file:///etc/passwd", "gopher://example.com/",
])
def test_ssrf_refusals_without_allow(url):
    result = Fetcher().fetch(Target(1, url))
    assert result.status == "failed"
    assert "refused" in result.error or "not an http(s) address" in result.error


def test_allow_names_host_and_port_exactly(server):
    server.routes["/feed"] = (200, {}, rss(1))
    other_port = Fetcher(allow=parse_allow(f"127.0.0.1:{server.port + 1}")).fetch(
        Target(1, server.url("/feed")))
    assert "refused" in other_port.error
    assert fetch(server, "/feed").status == "ok"


def test_connection_goes_to_the_checked_address(server, monkeypatch):
    """DNS rebinding: the name is resolved once; a second answer is never used."""
    server.routes["/feed"] = (200, {}, rss(1))
    answers = iter(["127.0.0.1", "10.9.9.9"])
    real = socket.getaddrinfo

    def rebinding(host, port, *a, **kw):
        if host == "feeds.example":
            return real(next(answers), port, *a, **kw)
        return real(host, port, *a, **kw)
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    f = Fetcher(allow=parse_allow(f"feeds.example:{server.port}"))
    assert f.fetch(Target(1, f"http://feeds.example:{server.port}/feed")).status == "ok"
    assert server.requests[-1]["Host"] == f"feeds.example:{server.port}"


def test_parse_allow_and_addresses():
    assert parse_allow(" a.example:80, [::1]:8080,bad, :9") == {("a.example", 80), ("::1", 8080)}
    assert parse_allow("") == frozenset()
    assert refused_address("93.184.216.34") is None
    assert "loopback" in refused_address("::ffff:127.0.0.1")


def test_per_host_and_overall_concurrency_are_bounded():
    import threading
    import time
    live, peak, lock = [0], [0], threading.Lock()
    overlapped = threading.Event()   # the first request waits for a second (no timing luck)

    def counted(handler):
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
            if live[0] > 1:
                overlapped.set()
        overlapped.wait(10)
        time.sleep(0.05)
        with lock:
            live[0] -= 1
        return 200, {}, rss(1)
    with FeedServer() as s:
        for i in range(20):
            s.routes[f"/f{i}"] = counted
        results = Fetcher(allow=parse_allow(s.allow), concurrency=10, per_host=3).fetch_all(
            [Target(i, s.url(f"/f{i}")) for i in range(20)])
    assert all(r.status == "ok" for r in results) and [r.key for r in results] == list(range(20))
    assert 1 < peak[0] <= 3


@pytest.mark.parametrize("text", ["Mon, 02 Mar 2026 09:00:00 +0700", "02 Mar 2026 09:00:00 -0330",
                                  "Mon, 02 Mar 2026 09:00:00 GMT", "Sun, 01 Mar 26 23:59:59 EST",
                                  "Tue, 2 Jun 2026 00:00:00 +0000"])
def test_rss_dates_read_directly_agree_with_the_email_parser(text):
    from email.utils import parsedate_to_datetime
    from assessment.monitor.fetch import rfc822_moment
    assert rfc822_moment(text) == parsedate_to_datetime(text)
    assert rfc822_moment(text).utcoffset() == parsedate_to_datetime(text).utcoffset()


# -- less work per feed in a harvest: one lookup per host, connections kept and reused ------

def test_a_harvest_reuses_a_connection_per_host(server):
    """Ten feeds one after another (concurrency 1): one connection carries all ten; with two
    at once to the host, at most two connections (a kept one is taken before a new one is
    made, and requests to a host are bounded by per_host)."""
    for i in range(10):
        server.routes[f"/f{i}"] = (200, {}, rss(1))
    f = fetcher(server, concurrency=1, per_host=1)
    results = f.fetch_all([Target(i, server.url(f"/f{i}")) for i in range(10)])
    assert [r.status for r in results] == ["ok"] * 10
    assert len(server.peers) == 10 and len(set(server.peers)) == 1
    assert f._idle == {}                  # closed when the harvest ended
    server.peers.clear()
    results = fetcher(server, concurrency=4, per_host=2).fetch_all(
        [Target(i, server.url(f"/f{i}")) for i in range(10)])
    assert all(r.status == "ok" for r in results) and len(server.peers) == 10
    assert 1 <= len(set(server.peers)) <= 2


def test_a_kept_connection_the_server_closed_is_replaced(server):
    """The server closes the connection after /closing without saying so (no Connection:
    close): the next feed finds it dead and goes on a new connection."""
    def closing(handler):
        handler.close_connection = True
        return 200, {}, rss(1)
    server.routes["/closing"] = closing
    server.routes["/feed"] = (200, {}, rss(2))
    results = fetcher(server, concurrency=1, per_host=1).fetch_all(
        [Target(1, server.url("/closing")), Target(2, server.url("/feed"))])
    assert [(r.status, len(r.entries)) for r in results] == [("ok", 1), ("ok", 2)]
    assert server.hits == {"/closing": 1, "/feed": 1} and len(set(server.peers)) == 2


def test_a_connection_is_not_kept_after_a_refused_answer(server):
    """A feed refused for its size is not read to its end: its connection is closed, and
    the next feed opens a new one."""
    server.routes["/huge"] = (200, {}, "x" * 2048)
    server.routes["/feed"] = (200, {}, rss(1))
    results = fetcher(server, concurrency=1, per_host=1, max_bytes=1024).fetch_all(
        [Target(1, server.url("/huge")), Target(2, server.url("/feed"))])
    assert [r.status for r in results] == ["failed", "ok"] and len(set(server.peers)) == 2


def test_a_host_is_resolved_once_per_harvest(server, monkeypatch):
    server.routes["/feed"] = (200, {}, rss(1))
    calls = []
    real = socket.getaddrinfo

    def counted(host, port, *a, **kw):
        if host == "feeds.example":
            calls.append(port)
            return real("127.0.0.1", port, *a, **kw)
        return real(host, port, *a, **kw)
    monkeypatch.setattr(socket, "getaddrinfo", counted)
    f = Fetcher(allow=parse_allow(f"feeds.example:{server.port}"), concurrency=1)
    results = f.fetch_all([Target(i, f"http://feeds.example:{server.port}/feed") for i in range(5)])
    assert [r.status for r in results] == ["ok"] * 5 and calls == [server.port]
