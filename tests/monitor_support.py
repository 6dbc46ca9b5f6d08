"""A feed server on loopback for the monitoring tests and bench/monitor.py: RSS and Atom
fixtures, malformed feeds, wrong encodings, huge feeds, a gzip bomb, redirects, 304s and
slow answers. Never the internet."""
from __future__ import annotations

import zlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Berita KPU</title><link>https://kpu.example/</link>
{items}</channel></rss>"""
RSS_ITEM = """<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate></item>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Video KPU</title><id>urn:x</id>
<updated>2026-03-02T10:00:00Z</updated>
<entry><title>Sosialisasi Pemilih Pemula</title><id>urn:1</id>
<link href="https://video.example/v/1"/><published>2026-03-02T10:00:00Z</published></entry>
<entry><title>Rapat Pleno Terbuka</title><id>urn:2</id>
<link href="https://video.example/v/2"/><updated>2026-03-09T03:00:00Z</updated></entry>
</feed>"""


def rss(n: int = 3, prefix: str = "https://kpu.example/berita/") -> str:
    items = "".join(RSS_ITEM.format(title=f"Berita {i}", link=f"{prefix}{i}",
                                    date=f"Mon, {2 + (i % 20):02d} Mar 2026 09:00:00 +0700")
                    for i in range(n))
    return RSS.format(items=items)


class FeedServer:
    """Serves ``routes``: path -> (status, headers, body) or a callable(handler) -> same."""

    def __init__(self, latency: float = 0.0):
        self.routes: dict = {}
        self.hits: dict[str, int] = {}
        self.requests: list[dict] = []
        self.peers: list[tuple] = []      # the client's address of each request: its connection
        self.latency = latency
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path = self.path
                with lock:
                    server.hits[path] = server.hits.get(path, 0) + 1
                    server.requests.append(dict(self.headers))
                    server.peers.append(self.client_address)
                if server.latency:
                    time.sleep(server.latency)
                route = server.routes.get(path)
                if route is None:
                    status, headers, body = 404, {}, b"not found"
                else:
                    status, headers, body = route(self) if callable(route) else route
                if isinstance(body, str):
                    body = body.encode("utf-8")
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        lock = threading.Lock()
        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass   # clients that give up (limits, timeouts) reset their connection

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.request_queue_size = 1024
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def allow(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def gzip_bomb(size: int = 200 * 1024 * 1024) -> bytes:
    """A small gzip body that expands to ``size`` bytes of zeros."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    return b"".join(packer.compress(block) for _ in range(size // len(block))) + packer.flush()
