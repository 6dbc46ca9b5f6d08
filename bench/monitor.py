"""Harvest benchmark (issue 16): 1,659 feeds (553 units x 3) from a loopback server that
adds 50 ms of latency to every request; prints the time against the latency-bound ideal
(1,659 x 50 ms / concurrency). Target: at most 2x.

    python bench/monitor.py [--concurrency 32] [--per-host 4]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assessment.monitor.fetch import Fetcher, Target, parse_allow  # noqa: E402
from tests.monitor_support import FeedServer, rss  # noqa: E402

FEEDS, LATENCY = 553 * 3, 0.05


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--per-host", type=int, default=None,
                        help="default: the concurrency (all feeds are on one loopback host here)")
    args = parser.parse_args(argv)
    with FeedServer(latency=LATENCY) as server:
        body = rss(20)
        targets = []
        for n in range(FEEDS):
            server.routes[f"/feed/{n}"] = (200, {"Content-Type": "application/rss+xml"}, body)
            targets.append(Target(n, server.url(f"/feed/{n}")))
        fetcher = Fetcher(allow=parse_allow(server.allow), concurrency=args.concurrency,
                          per_host=args.per_host or args.concurrency)
        started = time.perf_counter()
        results = fetcher.fetch_all(targets)
        elapsed = time.perf_counter() - started
    ok = sum(r.status == "ok" for r in results)
    ideal = FEEDS * LATENCY / args.concurrency
    print(f"{FEEDS} feeds, {ok} read, concurrency {args.concurrency}: {elapsed:.2f} s; "
          f"latency-bound ideal {ideal:.2f} s; ratio {elapsed / ideal:.2f}x (target <= 2x)")
    return 0 if ok == FEEDS else 1


if __name__ == "__main__":
    sys.exit(main())
