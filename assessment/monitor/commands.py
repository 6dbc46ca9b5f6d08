"""``python run.py monitor ...``: harvesting feeds (run it from cron) and election stages.

The fetches run in threads outside the database session; the results are then stored in
the command's one transaction (assessment/cli.py ``run``)."""
from __future__ import annotations

from flask import current_app

from ..cli import CommandError
from ..models import WorkUnit
from ..operations import monitor as ops
from .fetch import Fetcher, parse_allow


def fetcher_for(app) -> Fetcher:
    return Fetcher(allow=parse_allow(app.config.get("MONITOR_ALLOW_HOSTS")),
                   concurrency=app.config.get("MONITOR_CONCURRENCY") or 32)


def monitor_fetch(session, args) -> int:
    """Fetch every feed (or one unit's), store new items once per link, keep failures."""
    if args.unit and session.get(WorkUnit, args.unit) is None:
        raise CommandError(f"unknown unit {args.unit!r}")
    targets = ops.harvest_targets(session, args.unit)   # plain values: threads never see the session
    results = fetcher_for(current_app).fetch_all(targets)
    counts = ops.store_results(session, results)
    for result in results:
        if result.status == "failed":
            print(f"channel {result.key}: {result.error}")
    print(f"{len(targets)} feed(s): {counts['ok']} read, {counts['not_modified']} unchanged, "
          f"{counts['failed']} failed; {counts['new_items']} new item(s).")
    return 0


def monitor_stage(session, args) -> int:
    """Enter an election stage (weeks inside it are left out of the outside-stages share)."""
    stage = ops.add_stage(session, args.name, args.starts, args.ends)
    print(f"stage {stage.id}: {stage.name} {stage.starts_on} .. {stage.ends_on}")
    return 0
