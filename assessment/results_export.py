"""``python run.py export PERIOD``: the exchange document, the ranking workbook and the
unit scorecards of a period, written atomically (a failure leaves no partial file);
``--robustness`` adds the rank intervals sheet to the workbook."""
from __future__ import annotations

import json
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


def write_scorecards(session, period, rubric, result, out_dir: Path, run, units=()) -> int:
    """One PDF per ranked unit (or per unit of ``units``), with a progress bar on stderr:
    the data and the file the feedback page gives (operations.feedback), so the web's and
    the command line's scorecards of a unit and run are the same."""
    unknown = sorted(set(units) - {row.unit.code for row in result.ranking})
    if unknown:
        raise CommandError(f"not ranked in this run: {', '.join(unknown)}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"{out_dir}: cannot create the folder: {exc.strerror or exc}") from None
    cards = [card for card in all_scorecards(session, period, result, rubric)
             if not units or card["code"] in units]
    progress, footer = text_progress(sys.stderr), scorecard_footer(period, run)
    if run is None:     # no final run: the current data, said so on every page
        footer.update(period_title=f"{period.title} \u2014 data saat ini, belum final",
                      generated_at=datetime.now(timezone.utc))
    for done, card in enumerate(cards, start=1):
        write_atomically(out_dir / scorecard_filename(card), scorecard_pdf(card, **footer))
        progress(done, len(cards))
    return len(cards)
