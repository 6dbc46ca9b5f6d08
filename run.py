#!/usr/bin/env python3
"""Command line of the Bakohumas assessment system.

    python run.py [--demo] [--host H] [--port P]     serve the web application
    python run.py score RUBRIC.yaml RESPONSES.json --out RESULT.(json|csv|xlsx)
    python run.py rubric check RUBRIC.yaml

Exit status: 0 done, 2 bad input (the message names the file, the place and the problem).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_score(args) -> int:
    from reports.batch import BatchError, output_format, render, score_file, write_atomically
    out = Path(args.out)
    try:
        fmt = output_format(out)
        if not out.parent.is_dir():
            raise BatchError(f"{out}: the folder {out.parent} does not exist")
        rubric, result = score_file(args.rubric, args.responses)
    except BatchError as exc:
        return _fail(str(exc))
    write_atomically(out, render(result, rubric, fmt))
    ranked = len(result.ranking)
    print(f"{ranked} units ranked in {len(result.categories)} categories, "
          f"{len(result.not_submitted)} not submitted; written to {out}")
    return 0


def cmd_rubric_check(args) -> int:
    from rubrics import RubricError, load_rubric
    try:
        rubric = load_rubric(args.file)
    except RubricError as exc:
        return _fail(str(exc))
    print(rubric_summary(rubric))
    return 0


def rubric_summary(rubric) -> str:
    """A readable summary: aspects, indicators and their weights as % of the total."""
    total = sum(a.weight for a in rubric.aspects)
    lines = [f"{rubric.id}: {rubric.title}", f"sha256 {rubric.sha256}",
             f"{len(rubric.aspects)} aspects, {sum(len(a.scored_indicators) for a in rubric.aspects)}"
             f" scored indicators, {len(rubric.indicators)} in all; aggregate {rubric.aggregate}",
             "stages: " + ", ".join(f"{s.id} ({float(s.weight):g})" for s in rubric.stages),
             "predicates: " + ", ".join(f"{p.label} >= {float(p.min):g}" for p in rubric.predicates)]
    for aspect in rubric.aspects:
        share = aspect.weight / total
        lines.append(f"  {aspect.id:<28} {float(share) * 100:6.2f}%  {aspect.title}")
        inner = sum(i.weight for i in aspect.scored_indicators)
        for ind in aspect.indicators:
            pct = f"{float(share * ind.weight / inner) * 100:6.2f}%" if ind.scored else "     - "
            lines.append(f"    {ind.id:<26} {pct}  {ind.type:<6} evidence:{ind.evidence}")
    for award in rubric.awards:
        lines.append(f"award {award.id}: {award.title} [{award.category}; "
                     f"{', '.join(award.aspects)}; {award.winners} winners]")
    return "\n".join(lines)


def make_app(demo: bool = False):
    from assessment import create_app
    return create_app({"DEMO": demo} if demo else None)


def cmd_serve(args) -> int:
    from assessment.first_start import prepare
    app = make_app(demo=args.demo)
    password = prepare(app)
    if password:
        print(f"Administrator account created: username 'admin', one-time password: {password}")
        print("Change it after the first login; it is not shown again.")
    if args.demo:
        from assessment.demo import create_demo
        with app.app_context():
            print(create_demo(app))
    print(f"Serving on http://{args.host}:{args.port}/")
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)
    return 0


def add_serve_options(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--demo", action="store_true",
                        help="also create a demo period with accounts and synthetic answers")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_serve_options(parser)
    parser.set_defaults(func=cmd_serve)
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("serve", help="serve the web application (the default)")
    add_serve_options(p)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("score", help="score an exchange-format response file offline")
    p.add_argument("rubric", help="rubric edition (YAML)")
    p.add_argument("responses", help="responses in the exchange format (JSON)")
    p.add_argument("--out", required=True, help="result file: .json, .csv or .xlsx")
    p.set_defaults(func=cmd_score)
    p = sub.add_parser("rubric", help="rubric editions")
    rsub = p.add_subparsers(dest="rubric_command", required=True)
    c = rsub.add_parser("check", help="validate a rubric and print its summary")
    c.add_argument("file")
    c.set_defaults(func=cmd_rubric_check)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
