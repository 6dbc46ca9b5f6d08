"""``python run.py monitor ...``: harvesting feeds (run it from cron) and election stages.

``monitor fetch`` runs in three phases with a boundary of its own between them: it reads the
channels and ends that read transaction (``transaction.commit``: a command owns its
boundary), fetches in threads with no transaction or connection held (a harvest may take
minutes; an open transaction would pin a connection and, on PostgreSQL, hold back vacuum all
that time), then stores every result in one transaction, committed when the command returns
(assessment/cli.py ``run``). A channel removed meanwhile is skipped when storing."""
from __future__ import annotations

from flask import current_app

from ..cli import CommandError
from ..models import WorkUnit
from ..operations import monitor as ops
from ..transaction import commit
from .fetch import Fetcher, parse_allow


def fetcher_for(app) -> Fetcher:
    return Fetcher(allow=parse_allow(app.config.get("MONITOR_ALLOW_HOSTS")),
                   concurrency=app.config.get("MONITOR_CONCURRENCY") or 32)


def monitor_fetch(session, args) -> int:
    """Fetch every feed (or one unit's), store new items once per link, keep failures."""
    if args.unit and session.get(WorkUnit, args.unit) is None:
        raise CommandError(f"unknown unit {args.unit!r}")
    targets = ops.harvest_targets(session, args.unit)   # plain values: threads never see the session
    commit(session)                                     # the read ends before the fetching starts
    results = fetcher_for(current_app).fetch_all(targets)
    counts = ops.store_results(session, results)        # one transaction, committed by cli.run
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
