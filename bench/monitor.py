"""Harvest benchmark (issue 16): 1,659 feeds (553 units x 3) from a loopback server that
adds 50 ms of latency to every request; prints the time against the latency-bound ideal
(1,659 x 50 ms / concurrency). Target: at most 2x.

    python bench/monitor.py [--concurrency 32] [--per-host 32] [--runs 3] [--profile FILE]
                            [--close]

The server keeps connections open between requests (HTTP/1.1 keep-alive, as web servers
do by default), so the fetcher's reuse of a connection per host counts; ``--close``
answers every request with ``Connection: close`` instead (a connection per feed).

The feed server runs in a process of its own (multiprocessing), as a real site would: in
the fetcher's process its threads would compete with the fetcher's for one interpreter
lock. ``--profile FILE`` writes a cProfile of the fetcher's process during one extra run
(read it with ``python -m pstats FILE``).
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import pstats
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assessment.monitor.fetch import Fetcher, Target, parse_allow  # noqa: E402
from tests.monitor_support import rss  # noqa: E402

FEEDS, LATENCY = 553 * 3, 0.05


def serve(ready, latency: float = LATENCY, close: bool = False) -> None:
    """The child process: every /feed/<n> answers the same 20-item RSS after ``latency``,
    on a connection kept open for the next request (``close``: closed after each answer).

    An asyncio server (one event loop, no thread per connection) keeps the server's own CPU
    small, so that the figure measures the fetcher: the threaded test server of
    tests/monitor_support.py spent tens of milliseconds accepting each connection here."""
    body = rss(20).encode("utf-8")
    closing = b"Connection: close\r\n" if close else b""
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n" + closing
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    missing = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" + closing + b"\r\n"

    async def answer(reader, writer):
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                path = request.split(b" ", 2)[1]
                await asyncio.sleep(latency)
                number = path.rpartition(b"/")[2]
                known = path.startswith(b"/feed/") and number.isdigit() and int(number) < FEEDS
                writer.write(head + body if known else missing)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(answer, "127.0.0.1", 0, backlog=1024)
        ready.send(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def profiled(fetch, profilers: list):
    """``fetch`` run under one cProfile per worker thread (cProfile sees one thread only)."""
    local = threading.local()

    def run(target):
        if not hasattr(local, "profiler"):
            local.profiler = cProfile.Profile()
            profilers.append(local.profiler)
        local.profiler.enable()
        try:
            return fetch(target)
        finally:
            local.profiler.disable()
    return run


def one_run(port: int, concurrency: int, per_host: int, profile: str | None = None) -> dict:
    base = f"http://127.0.0.1:{port}"
    targets = [Target(n, f"{base}/feed/{n}") for n in range(FEEDS)]
    fetcher = Fetcher(allow=parse_allow(f"127.0.0.1:{port}"), concurrency=concurrency,
                      per_host=per_host)
    profilers: list = []
    if profile:
        fetcher.fetch = profiled(fetcher.fetch, profilers)
    started, cpu = time.perf_counter(), time.process_time()
    results = fetcher.fetch_all(targets)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profilers:
        stats = pstats.Stats(profilers[0])
        for other in profilers[1:]:
            stats.add(other)
        stats.dump_stats(profile)
    return {"wall": elapsed, "cpu": cpu, "ok": sum(r.status == "ok" for r in results)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--per-host", type=int, default=None,
                        help="default: the concurrency (all feeds are on one loopback host here)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of one extra run to this file")
    parser.add_argument("--close", action="store_true",
                        help="the server closes every connection after one answer")
    args = parser.parse_args(argv)
    per_host = args.per_host or args.concurrency
    ideal = FEEDS * LATENCY / args.concurrency
    ready, child_end = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(child_end, LATENCY, args.close),
                                     daemon=True)
    server.start()
    times, failed = [], 0
    try:
        port = ready.recv()
        for n in range(args.runs):
            run = one_run(port, args.concurrency, per_host)
            times.append(run["wall"])
            failed += FEEDS - run["ok"]
            print(f"run {n + 1}: {FEEDS} feeds, {run['ok']} read: {run['wall']:.2f} s "
                  f"({run['wall'] / ideal:.2f}x), fetcher CPU {run['cpu']:.2f} s "
                  f"({run['cpu'] / FEEDS * 1000:.2f} ms a feed)")
        if args.profile:
            one_run(port, args.concurrency, per_host, args.profile)
            print(f"profile written to {args.profile}")
    finally:
        server.terminate()
        server.join(5)
    median = statistics.median(times)
    print(f"median of {args.runs}, concurrency {args.concurrency}"
          f"{', a connection per request' if args.close else ', connections kept'}: "
          f"{median:.2f} s; latency-bound "
          f"ideal {ideal:.2f} s; ratio {median / ideal:.2f}x (target <= 2x)")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
