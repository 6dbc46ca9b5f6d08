"""Fetching feeds from public addresses only, concurrently and within limits.

- **SSRF**: a host is resolved once, every address is checked (loopback, private,
  link-local, reserved, multicast and unspecified are refused), and the connection goes to
  the checked address (no second lookup that DNS rebinding could answer differently; TLS
  still verifies the host name). Redirects are followed by hand, each hop checked again.
  ``allow`` names host:port pairs let through anyway (tests and the demo:
  MONITOR_ALLOW_HOSTS).
- **Limits**: connect/read timeouts and a deadline for the whole fetch (slow responses),
  a size limit on the body as sent and on the body decompressed (gzip bombs), at most
  ``per_host`` requests to one host at once, ``concurrency`` in all.
- **Conditional GET**: ETag and Last-Modified are sent back; 304 means nothing new.
- **Less work per feed in a harvest** (``fetch_all``): a host is resolved and checked once
  per harvest (the connection still goes to the checked address), and a connection whose
  answer was read to its end is kept open and reused for the next feed on the same host
  (scheme, host and port; at most ``per_host`` of them, as requests are); a kept connection
  the server closed meanwhile is replaced once. All are closed when the harvest ends.

Nothing here touches the database: ``fetch_all`` takes plain targets and returns plain
results, so the threads never share a session.
"""
from __future__ import annotations

import calendar
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import feedparser
from defusedxml import ElementTree as DefusedET
from email.utils import parsedate_to_datetime

USER_AGENT = "BakohumasMonitor/1.0 (+https://kpu.go.id)"
TIMEOUT = 10.0             # seconds per connect and per read
DEADLINE = 30.0            # seconds for a whole fetch, redirects included
MAX_BYTES = 5 * 1024 * 1024           # body as sent
MAX_DECOMPRESSED = 20 * 1024 * 1024   # body after gzip/deflate
MAX_REDIRECTS = 5
MAX_ITEMS = 500            # items read from one feed
CONCURRENCY = 32
PER_HOST = 4
REDIRECTS = {301, 302, 303, 307, 308}
_DRAIN = 64 * 1024         # a redirect's body up to this is read, so its connection is kept
# a kept connection the server has closed meanwhile fails like this before any answer
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
          ConnectionAbortedError)


class FetchError(Exception):
    """A fetch that failed; the message is the reason kept on the channel."""


@dataclass(frozen=True)
class Target:
    key: object
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Entry:
    link: str
    title: str
    published: datetime | None


@dataclass
class Result:
    key: object
    status: str                      # ok, not_modified, failed
    entries: list[Entry] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None


def parse_allow(text: str | None) -> frozenset[tuple[str, int]]:
    """'host:port,host:port' -> {(host, port)} (MONITOR_ALLOW_HOSTS; empty by default)."""
    pairs = set()
    for part in (text or "").split(","):
        host, _, port = part.strip().rpartition(":")
        if host and port.isdigit():
            pairs.add((host.strip("[]").lower(), int(port)))
    return frozenset(pairs)


def refused_address(ip: str) -> str | None:
    """Why an address is not public (None when it is)."""
    address = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for check in ("is_loopback", "is_private", "is_link_local", "is_reserved",
                  "is_multicast", "is_unspecified"):
        if getattr(address, check):
            return f"{address} is not a public address ({check[3:].replace('_', '-')})"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def resolve(host: str, port: int, allow: frozenset) -> tuple:
    """(family, socket address) to connect to, after checking every address the name
    resolves to; connecting to it needs no second lookup."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{host}: the name cannot be resolved ({exc})") from None
    if not infos:
        raise FetchError(f"{host}: the name has no address")
    if (host.lower(), port) not in allow:
        for ip in dict.fromkeys(info[4][0] for info in infos):
            why = refused_address(ip)
            if why:
                raise FetchError(f"refused: {host} resolves to {why}")
    return infos[0][0], infos[0][4]


def _connect(address: tuple, timeout: float) -> socket.socket:
    """A TCP connection to a resolved (family, socket address)."""
    family, sockaddr = address
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to an address checked beforehand, verifying the certificate for the host name."""

    def __init__(self, address, host, port, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address, self._context = address, context

    def connect(self):
        sock = _connect(self._address, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, address, host, port, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = _connect(self._address, self.timeout)


class Fetcher:
    """Fetches targets with the limits above; one instance per harvest (it holds the
    per-host semaphores)."""

    def __init__(self, allow=frozenset(), concurrency=CONCURRENCY, per_host=PER_HOST,
                 timeout=TIMEOUT, deadline=DEADLINE, max_bytes=MAX_BYTES,
                 max_decompressed=MAX_DECOMPRESSED):
        self.allow, self.concurrency, self.per_host = allow, concurrency, per_host
        self.timeout, self.deadline = timeout, deadline
        self.max_bytes, self.max_decompressed = max_bytes, max_decompressed
        self._hosts: dict[str, threading.Semaphore] = {}
        self._lock = threading.Lock()
        self._tls = ssl.create_default_context()
        self._addresses: dict[tuple[str, int], tuple] = {}   # (host, port) -> checked address
        self._idle: dict[tuple, list] = {}    # (scheme, host, port) -> kept-alive connections
        self._keep_alive = False              # only within fetch_all, which closes them all

    def fetch_all(self, targets: list[Target]) -> list[Result]:
        """Fetch every target, ``concurrency`` at once; results in the targets' order."""
        if not targets:
            return []
        self._keep_alive = True
        try:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(targets))) as pool:
                return list(pool.map(self.fetch, targets))
        finally:
            self._keep_alive = False
            self.close()

    def close(self) -> None:
        """Close the connections kept for reuse."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for conn in connections:
                conn.close()

    def fetch(self, target: Target) -> Result:
        """One feed: its new state and entries, or the reason it failed."""
        try:
            status, headers, body = self.get(target)
        except FetchError as exc:
            return Result(target.key, "failed", error=str(exc)[:300])
        except (OSError, http.client.HTTPException) as exc:
            return Result(target.key, "failed", error=_network_reason(exc))
        etag, modified = headers.get("etag"), headers.get("last-modified")
        if status == 304:
            return Result(target.key, "not_modified", etag=etag or target.etag,
                          last_modified=modified or target.last_modified)
        try:
            entries = parse_feed(body, headers.get("content-type", ""))
        except FetchError as exc:
            return Result(target.key, "failed", error=str(exc)[:300])
        return Result(target.key, "ok", entries, etag, modified)

    def get(self, target: Target) -> tuple[int, dict, bytes]:
        """GET with conditional headers, redirects followed by hand and checked at each hop."""
        started = time.monotonic()
        url = target.url
        for _hop in range(MAX_REDIRECTS + 1):
            status, headers, body = self._request(url, target, started)
            if status in REDIRECTS:
                location = headers.get("location")
                if not location:
                    raise FetchError(f"HTTP {status} without a Location")
                url = urljoin(url, location)
                continue
            if status == 304 or 200 <= status < 300:
                return status, headers, body
            raise FetchError(f"HTTP {status} from {_short(url)}")
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _request(self, url: str, target: Target, started: float):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not an http(s) address: {_short(url)}")
        host = parts.hostname
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchError(f"bad port in {_short(url)}") from None
        address = self._address(host, port)
        key = (parts.scheme, host.lower(), port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        with self._host_slot(host):
            while True:
                conn, reused = self._connection(key, address, parts.scheme, host, port)
                try:
                    conn.request("GET", path, headers=self._headers(target))
                    response = conn.getresponse()
                except _STALE:
                    conn.close()
                    if reused:
                        continue    # the server closed a kept connection: once more, fresh
                    raise
                except BaseException:
                    conn.close()
                    raise
                keep = False
                try:
                    headers = {k.lower(): v for k, v in response.getheaders()}
                    if response.status in REDIRECTS or response.status == 304:
                        body = b""
                        if response.length is not None and response.length <= _DRAIN:
                            response.read()         # a short body read, so the connection stays
                    else:
                        body = self._read(response, started)
                    keep = self._keep_alive and response.isclosed() and not response.will_close
                    return response.status, headers, body
                finally:
                    if keep:
                        self._keep(key, conn)
                    else:
                        conn.close()

    def _address(self, host: str, port: int) -> tuple:
        """The checked address of ``host:port``, resolved once per harvest (``resolve``)."""
        key = (host.lower(), port)
        with self._lock:
            found = self._addresses.get(key)
        if found is None:
            found = resolve(host, port, self.allow)
            with self._lock:
                found = self._addresses.setdefault(key, found)
        return found

    def _connection(self, key, address, scheme, host, port):
        """(a connection to ``address``, whether it is a kept one)."""
        with self._lock:
            kept = self._idle.get(key)
            if kept:
                return kept.pop(), True
        if scheme == "https":
            return _PinnedHTTPS(address, host, port, self.timeout, self._tls), False
        return _PinnedHTTP(address, host, port, self.timeout), False

    def _keep(self, key, conn) -> None:
        with self._lock:
            if self._keep_alive:
                self._idle.setdefault(key, []).append(conn)
                return
        conn.close()

    def _headers(self, target: Target) -> dict:
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate",
                   "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
        if target.etag:
            headers["If-None-Match"] = target.etag
        if target.last_modified:
            headers["If-Modified-Since"] = target.last_modified
        return headers

    def _host_slot(self, host: str) -> threading.Semaphore:
        with self._lock:
            if host not in self._hosts:
                self._hosts[host] = threading.BoundedSemaphore(self.per_host)
            return self._hosts[host]

    def _read(self, response, started: float) -> bytes:
        """The body within the size limits and the deadline, decompressed in bounded steps."""
        declared = response.getheader("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(f"the feed is larger than {self.max_bytes // 1024 // 1024} MB")
        encoding = (response.getheader("content-encoding") or "").strip().lower()
        inflate = _inflater(encoding)
        raw, out, size = 0, [], 0
        while True:
            if time.monotonic() - started > self.deadline:
                raise FetchError(f"too slow: no complete answer within {self.deadline:g} s")
            chunk = response.read(64 * 1024)
            if not chunk:
                break
            raw += len(chunk)
            if raw > self.max_bytes:
                raise FetchError(f"the feed is larger than {self.max_bytes // 1024 // 1024} MB")
            piece = _inflate(inflate, chunk, self.max_decompressed - size + 1) if inflate else chunk
            size += len(piece)
            if size > self.max_decompressed:
                raise FetchError("the feed expands beyond "
                                 f"{self.max_decompressed // 1024 // 1024} MB (a compressed bomb?)")
            out.append(piece)
        return b"".join(out)


def _inflater(encoding: str):
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchError(f"unsupported Content-Encoding {encoding[:40]!r}")


def _inflate(inflater, chunk: bytes, room: int) -> bytes:
    """Decompress a chunk producing at most ``room`` bytes (more means a bomb)."""
    try:
        piece = inflater.decompress(chunk, room)
    except zlib.error as exc:
        raise FetchError(f"the compressed body is damaged ({exc})") from None
    return piece


_ATOM = "{http://www.w3.org/2005/Atom}"


def quick_entries(body: bytes) -> list[Entry] | None:
    """Entries of a well-formed RSS 2.0 or Atom document with parseable dates, read with
    defusedxml (no entities, no DTDs) in a fraction of feedparser's time; None when anything
    is unusual, so that feedparser reads it instead."""
    try:
        root = DefusedET.fromstring(body)
    except Exception:   # malformed, forbidden constructs, undeclared encodings: feedparser
        return None
    try:
        if root.tag == "rss":
            return [_quick(i.findtext("link"), i.findtext("title"), i.findtext("pubDate"),
                           rfc822_moment) for i in root.iterfind("channel/item")][:MAX_ITEMS]
        if root.tag == _ATOM + "feed":
            return [_quick(_atom_link(e), e.findtext(_ATOM + "title"),
                           e.findtext(_ATOM + "published") or e.findtext(_ATOM + "updated"),
                           lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")))
                    for e in root.iterfind(_ATOM + "entry")][:MAX_ITEMS]
    except (TypeError, ValueError, IndexError):
        return None
    return None


_RFC822 = re.compile(r"(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) "
                     r"([+-])(\d{2})(\d{2})$")
_MONTHS = {m: n for n, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"), start=1)}


def rfc822_moment(text: str) -> datetime:
    """An RSS date: the usual 'Mon, 02 Mar 2026 09:00:00 +0700' read directly (a twentieth
    of the email parser's time, which was a third of a feed's parsing), anything else by
    email.utils (zone names, two-digit years)."""
    match = _RFC822.match(text)
    month = _MONTHS.get(match.group(2)) if match else None
    if month is None:
        return parsedate_to_datetime(text)
    day, _, year, hour, minute, second, sign, zh, zm = match.groups()
    offset = timedelta(hours=int(zh), minutes=int(zm))
    return datetime(int(year), month, int(day), int(hour), int(minute), int(second),
                    tzinfo=timezone(-offset if sign == "-" else offset))


def _atom_link(entry) -> str | None:
    for link in entry.iterfind(_ATOM + "link"):
        if link.get("rel", "alternate") == "alternate":
            return link.get("href")
    return None


def _quick(link, title, stamp, parse) -> Entry:
    link = (link or "").strip()
    if not link.startswith(("http://", "https://")):
        raise ValueError("no usable link")
    published = parse(stamp.strip()) if stamp else None
    if published is not None and published.tzinfo is None:
        raise ValueError("a date without a zone")
    return Entry(link[:1000], (title or "").strip()[:500],
                 published.astimezone(timezone.utc) if published else None)


def parse_feed(body: bytes, content_type: str = "") -> list[Entry]:
    """Entries of an RSS or Atom document: the quick reading when the document is plain,
    else feedparser (encodings declared or guessed, broken markup, odd dates)."""
    quick = quick_entries(body)
    if quick:
        return quick
    parsed = feedparser.parse(body, response_headers={"content-type": content_type or "application/xml"})
    if not parsed.get("version"):
        raise FetchError("not an RSS or Atom feed")
    entries = []
    for item in parsed.entries[:MAX_ITEMS]:
        link = (item.get("link") or item.get("id") or "").strip()
        if not link.startswith(("http://", "https://")):
            continue
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        published = datetime.fromtimestamp(calendar.timegm(stamp), timezone.utc) if stamp else None
        entries.append(Entry(link[:1000], (item.get("title") or "").strip()[:500], published))
    if parsed.bozo and not entries:   # broken beyond the items a lenient reading recovers
        reason = getattr(parsed, "bozo_exception", None)
        raise FetchError(f"not a readable feed: {type(reason).__name__}: {reason}"[:300])
    return entries


def _network_reason(exc: Exception) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."
