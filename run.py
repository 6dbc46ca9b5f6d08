#!/usr/bin/env python3
"""Command line of the Bakohumas assessment system.

    python run.py [--demo] [--host H] [--port P]     serve the web application
    python run.py score RUBRIC.yaml RESPONSES.json --out RESULT.(json|csv|xlsx)
    python run.py rubric check RUBRIC.yaml
    python run.py rubric load RUBRIC.yaml
    python run.py users create USERNAME --role ROLE [--unit CODE] [--generate-password]
    python run.py users import ROSTER.xlsx [--out PASSWORDS.xlsx]
    python run.py units import UNITS.(csv|xlsx)
    python run.py period open SLUG --title T --rubric ID --opens "2025-08-01 08:00"
                  --closes "2025-08-21 23:59" [--levels provinsi,kabkota]
    python run.py period extend SLUG --closes "2025-08-28 23:59" --reason R [--unit CODE]
    python run.py status [SLUG]
    python run.py token create USERNAME [--name N] [--days D]
    python run.py reminders
    python run.py export PERIOD [--exchange FILE.json] [--out FILE.xlsx] [--scorecards DIR]
                    [--robustness [--runs N]]      with --out: the rank intervals sheet
    python run.py migrate                          upgrade the schema (and seed a new database)
    python run.py backup FILE.tar.gz               database and evidence files, one archive
    python run.py restore FILE.tar.gz [--force]

Times are WIB. The database is DATABASE_URL (default: SQLite in the instance folder).

Exit status: 0 done, 2 bad input (the message names the file, the place and the problem).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_score(args) -> int:
    import gc

    from reports.batch import (BatchError, file_sha256, output_format, render, score_file,
                               write_atomically)
    # The parsed input is millions of small acyclic objects: cyclic GC passes over them
    # would only cost time (a third of the load time at national scale), never free memory.
    gc.disable()
    out = Path(args.out)
    try:
        fmt = output_format(out)
        if not out.parent.is_dir():
            raise BatchError(f"{out}: the folder {out.parent} does not exist")
        rubric, result = score_file(args.rubric, args.responses, detail=fmt == "xlsx")
    except BatchError as exc:
        return _fail(str(exc))
    meta = {"input_sha256": file_sha256(args.responses)} if fmt == "xlsx" else {}
    write_atomically(out, render(result, rubric, fmt, **meta))
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
    shares = rubric.indicator_shares()
    for aspect in rubric.aspects:
        lines.append(f"  {aspect.id:<28} {float(aspect.weight / total) * 100:6.2f}%  {aspect.title}")
        for ind in aspect.indicators:
            pct = f"{float(shares[ind.id]) * 100:6.2f}%" if ind.scored else "     - "
            lines.append(f"    {ind.id:<26} {pct}  {ind.type:<6} evidence:{ind.evidence}")
    for award in rubric.awards:
        lines.append(f"award {award.id}: {award.title} [{award.category}; "
                     f"{', '.join(award.aspects)}; {award.winners} winners]")
    return "\n".join(lines)


def make_app(demo: bool = False, **overrides):
    from assessment import create_app
    config = {"DEMO": True} if demo else {}
    # DATABASE_URL, UPLOAD_DIR and the rest: create_app reads the environment when called
    config.update(overrides)
    return create_app(config or None)


def managed(name: str, module: str = "assessment.cli"):
    """A management command (a function of ``module``, by default assessment/cli.py), run on
    the configured database."""
    def command(args) -> int:
        import importlib

        from assessment import cli
        from assessment.config import development_secret
        # commands sign nothing; a secret is only needed to build the app
        app = make_app(SECRET_KEY=os.environ.get("SECRET_KEY") or development_secret())
        return cli.run(app, getattr(importlib.import_module(module), name), args)
    return command


def cmd_migrate(args) -> int:
    from assessment.config import development_secret
    from assessment.serving import prepare_once
    password = prepare_once(make_app(SECRET_KEY=os.environ.get("SECRET_KEY")
                                     or development_secret()))
    if password:
        print(f"Administrator account created: username 'admin', one-time password: {password}")
    print("The database schema is up to date.")
    return 0


def cmd_backup(args) -> int:
    from assessment.backup import BackupError, create_backup
    from assessment.config import development_secret
    app = make_app(SECRET_KEY=os.environ.get("SECRET_KEY") or development_secret())
    try:
        manifest = create_backup(app, args.file)
    except BackupError as exc:
        return _fail(str(exc))
    rows = sum(t["rows"] for t in manifest["tables"])
    size = sum(f["size"] for f in manifest["files"])
    print(f"{args.file}: {rows} rows in {len(manifest['tables'])} tables and "
          f"{len(manifest['files'])} files ({size / 1e6:.1f} MB), schema revision "
          f"{manifest['schema_revision']}")
    return 0


def cmd_restore(args) -> int:
    from assessment.backup import BackupError, restore_backup
    from assessment.config import development_secret
    app = make_app(SECRET_KEY=os.environ.get("SECRET_KEY") or development_secret())
    try:
        manifest = restore_backup(app, args.file, force=args.force)
    except BackupError as exc:
        return _fail(str(exc))
    rows = sum(t["rows"] for t in manifest["tables"])
    print(f"restored {args.file} (made {manifest['created_at']} on {manifest['dialect']}): "
          f"{rows} rows and {len(manifest['files'])} files")
    return 0


def instance_secret(app_instance_path: str) -> str:
    """The development server's secret: random, kept in the instance folder (0600) so that
    sessions survive a restart. Production (gunicorn) must set SECRET_KEY itself."""
    import secrets
    path = Path(app_instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def cmd_serve(args) -> int:
    from assessment.first_start import prepare
    from flask import Flask
    instance = Flask("assessment", instance_relative_config=True).instance_path
    app = make_app(demo=args.demo,
                   SECRET_KEY=os.environ.get("SECRET_KEY") or instance_secret(instance))
    password = prepare(app)
    if password and not args.demo:
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
    c = rsub.add_parser("load", help="validate a rubric edition and store it in the database")
    c.add_argument("file")
    c.set_defaults(func=managed("rubric_load"))
    add_management_commands(sub)
    return parser


def add_management_commands(sub) -> None:
    add_user_commands(sub)
    add_period_commands(sub)
    add_other_commands(sub)


def add_user_commands(sub) -> None:
    p = sub.add_parser("users", help="user accounts")
    usub = p.add_subparsers(dest="users_command", required=True)
    c = usub.add_parser("create", help="create one account (password prompted or generated)")
    c.add_argument("username")
    c.add_argument("--role", required=True, choices=("admin", "judge", "operator", "monitor"))
    c.add_argument("--unit", help="unit code: operator's unit, monitor's province, "
                                  "judge's home unit")
    c.add_argument("--name", default="")
    c.add_argument("--email", default="")
    c.add_argument("--generate-password", action="store_true",
                   help="print a random one-time password instead of asking for one")
    c.set_defaults(func=managed("users_create"))
    c = usub.add_parser("import", help="create accounts from an .xlsx roster "
                                       "(username, name, email, role, unit_code)")
    c.add_argument("file")
    c.add_argument("--out", help="where to write the one-time passwords (.xlsx; default "
                                 "ROSTER-passwords.xlsx next to the roster)")
    c.set_defaults(func=managed("users_import"))
    c = sub.add_parser("token", help="personal API tokens").add_subparsers(
        dest="token_command", required=True).add_parser(
        "create", help="print a new API token for a user (shown once)")
    c.add_argument("username")
    c.add_argument("--name", default="", help="what the token is for")
    c.add_argument("--days", type=int, help="valid for this many days (default: no expiry)")
    c.set_defaults(func=managed("token_create"))


def add_other_commands(sub) -> None:
    p = sub.add_parser("units", help="the work-unit registry")
    c = p.add_subparsers(dest="units_command", required=True).add_parser(
        "import", help="add or update units from CSV/XLSX (code, name, level, province_code, "
                       "time_zone)")
    c.add_argument("file")
    c.set_defaults(func=managed("units_import"))
    p = sub.add_parser("status", help="periods and how many units have submitted")
    p.add_argument("slug", nargs="?")
    p.set_defaults(func=managed("status"))
    p = sub.add_parser("reminders", help="send the deadline reminders that are due")
    p.set_defaults(func=managed("reminders"))
    p = sub.add_parser("migrate", help="upgrade the database schema (before starting servers)")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("backup", help="write the database and the evidence files to one archive")
    p.add_argument("file", help="the archive to write (.tar.gz)")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="load a backup archive (stop the app servers first)")
    p.add_argument("file", help="an archive written by `backup`")
    p.add_argument("--force", action="store_true",
                   help="replace the contents of a database that is not empty")
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser("export", help="write a period's exchange document, ranking workbook "
                                      "and/or unit scorecards")
    p.add_argument("period", help="period slug")
    p.add_argument("--exchange", metavar="FILE.json", help="the exchange document of the "
                   "current data (at any time)")
    p.add_argument("--out", metavar="FILE.xlsx", help="ranking workbook of the latest final "
                   "run (of the current data, with a note, when there is none)")
    p.add_argument("--scorecards", metavar="DIR", help="one PDF scorecard per ranked unit")
    p.add_argument("--robustness", action="store_true", help="add the rank intervals sheet "
                   "\"Ketahanan Peringkat\" to --out (seeded; ~30 s for 553 units x 200 runs)")
    p.add_argument("--runs", type=int, default=200, metavar="N",
                   help="resampling runs for --robustness (default 200)")
    p.set_defaults(func=managed("export", "assessment.results_export"))


def add_period_commands(sub) -> None:
    p = sub.add_parser("period", help="assessment periods")
    psub = p.add_subparsers(dest="period_command", required=True)
    c = psub.add_parser("open", help="open a period for a loaded rubric")
    c.add_argument("slug")
    c.add_argument("--title", required=True)
    c.add_argument("--rubric", required=True, help="rubric id, e.g. bakohumas-2025")
    c.add_argument("--opens", required=True, help='WIB, e.g. "2025-08-01 08:00"')
    c.add_argument("--closes", required=True, help='WIB, e.g. "2025-08-21 23:59"')
    c.add_argument("--levels", default="provinsi,kabkota", help="comma-separated levels")
    c.set_defaults(func=managed("period_open"))
    c = psub.add_parser("extend", help="extend the deadline for everyone or one unit")
    c.add_argument("slug")
    c.add_argument("--closes", required=True, help='new closing time, WIB')
    c.add_argument("--reason", required=True)
    c.add_argument("--unit", help="only this unit")
    c.set_defaults(func=managed("period_extend"))


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
