"""``python run.py export PERIOD``: the exchange document, the ranking workbook and the
unit scorecards of a period, written atomically (a failure leaves no partial file);
``--robustness`` adds the rank intervals sheet to the workbook."""
from __future__ import annotations

import json
import multiprocessing
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from reports.batch import software_version, write_atomically
from reports.scorecard import scorecard_filename, scorecard_pdf, text_progress
from reports.workbook import ranking_workbook
from scoring import assessment_from_dict
from scoring.robustness import rank_intervals

from .cli import CommandError, get_period
from .operations.feedback import all_scorecards, scorecard_footer
from .operations.results import (ROBUSTNESS_RUNS, current_result, previous_ranking, run_title,
                                 run_workbook, scored_run)
from .operations.runs import dumps, export_exchange, latest_run, sha256_text


def export(session, args) -> None:
    """Write what the options ask for; at least one of --exchange, --out, --scorecards."""
    if not (args.exchange or args.out or args.scorecards):
        raise CommandError("nothing to export: give --exchange FILE.json, --out FILE.xlsx "
                           "and/or --scorecards DIR")
    robustness = getattr(args, "robustness", False)
    if robustness and not args.out:
        raise CommandError("--robustness adds a sheet to the workbook: give --out FILE.xlsx")
    runs = getattr(args, "runs", ROBUSTNESS_RUNS)
    if robustness and runs < 1:
        raise CommandError("--runs must be at least 1")
    targets = [_target(args.exchange, ".json"), _target(args.out, ".xlsx")]
    period = get_period(session, args.period)
    if args.exchange:
        text = dumps(export_exchange(session, period))
        write_atomically(targets[0], text.encode("utf-8"))
        print(f"exchange document of {period.slug} written to {targets[0]} "
              f"(sha256 {sha256_text(text)})")
    if not (args.out or args.scorecards):
        return
    rubric, result, title, source, exchange = _ranking(session, period)
    if args.out:
        intervals = None
        if robustness:
            print(f"rank robustness: {runs} seeded runs over {len(result.ranking)} units "
                  "(about 30 s for 553 units x 200 runs)...", file=sys.stderr, flush=True)
            intervals = rank_intervals(rubric, assessment_from_dict(json.loads(exchange)),
                                       runs=runs)
        run = latest_run(session, period, "final")
        data = (run_workbook(period, run, intervals, previous_ranking(session, period)[0])
                if run is not None else
                ranking_workbook(result, rubric, period_title=title, input_sha256=source,
                                 software_version=software_version(), intervals=intervals))
        write_atomically(targets[1], data)
        print(f"ranking workbook written to {targets[1]}")
    if args.scorecards:
        count = write_scorecards(session, period, rubric, result, Path(args.scorecards),
                                 latest_run(session, period, "final"), getattr(args, "units", ()))
        print(f"{count} scorecards written to {args.scorecards}")


def _target(name: str | None, suffix: str) -> Path | None:
    if not name:
        return None
    path = Path(name)
    if path.suffix.lower() != suffix:
        raise CommandError(f"{path}: the file name must end in {suffix}")
    if not path.parent.is_dir():
        raise CommandError(f"{path}: the folder {path.parent} does not exist")
    return path


def _ranking(session, period):
    """(rubric, result, title, input SHA-256, exchange text): the latest final run, or
    the current data (with a note) when the period has no final run yet."""
    run = latest_run(session, period, "final")
    if run is not None:
        rubric, result = scored_run(run)
        print(f"using final run {run.number} of {run.created_at:%Y-%m-%d %H:%M} UTC")
        return rubric, result, run_title(period, run), run.exchange_sha256, run.exchange
    print(f"note: {period.slug} has no final run yet; the ranking is computed from the "
          "current data and is not official", file=sys.stderr)
    rubric, result, exchange = current_result(session, period)
    title = f"{period.title} \u2014 data saat ini, belum final"
    return rubric, result, title, sha256_text(exchange), exchange


def write_scorecards(session, period, rubric, result, out_dir: Path, run, units=(),
                     processes: int | None = None) -> int:
    """One PDF per ranked unit (or per unit of ``units``), drawn by a pool of processes (one
    per core; ``processes`` to choose), with progress on stderr: the data and the file the
    feedback page gives (operations.feedback), so the web's and the command line's
    scorecards of a unit and run are the same."""
    unknown = sorted(set(units) - {row.unit.code for row in result.ranking})
    if unknown:
        raise CommandError(f"not ranked in this run: {', '.join(unknown)}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"{out_dir}: cannot create the folder: {exc.strerror or exc}") from None
    cards = [card for card in all_scorecards(session, period, result, rubric)
             if not units or card["code"] in units]
    progress, footer = progress_reporter(sys.stderr, "scorecards"), scorecard_footer(period, run)
    if run is None:     # no final run: the current data, said so on every page
        footer.update(period_title=f"{period.title} \u2014 data saat ini, belum final",
                      generated_at=datetime.now(timezone.utc))
    jobs = [(str(out_dir / scorecard_filename(card)), card, footer) for card in cards]
    processes = processes or cores()
    if processes < 2 or len(jobs) < 2 * processes:    # a handful: not worth starting a pool
        for done, job in enumerate(jobs, start=1):
            write_scorecard(job)
            progress(done, len(jobs))
        return len(jobs)
    # spawn, not fork: the children need no copy of this process's database connections
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for done, _path in enumerate(pool.imap_unordered(write_scorecard, jobs, chunksize=4),
                                     start=1):
            progress(done, len(jobs))
    return len(jobs)


def write_scorecard(job) -> str:
    """One scorecard PDF (a pool's task: ``(path, card, footer)``)."""
    path, card, footer = job
    write_atomically(Path(path), scorecard_pdf(card, **footer))
    return path


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not Linux
        return os.cpu_count() or 1


def progress_reporter(stream, what: str):
    """``progress(done, total)``: a bar redrawn in place on a terminal; in a log (not a
    TTY) one line at every tenth of the way, so a log is not flooded."""
    if getattr(stream, "isatty", lambda: False)():
        return text_progress(stream)
    state = {"tenth": 0}

    def progress(done: int, total: int) -> None:
        tenth = 10 if not total else 10 * done // total
        if tenth > state["tenth"] or (done == total and state["tenth"] < 10):
            state["tenth"] = tenth
            pct = 100 * done // total if total else 100
            stream.write(f"{what}: {done}/{total} ({pct}%)\n")
            stream.flush()
    return progress
