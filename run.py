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
    python run.py period extend SLUG --closes "2025-08-28 23:59" --reason R [--unit CODE] [--confirm]
    python run.py period archive|delete SLUG --reason R
    python run.py status [SLUG]
    python run.py token create USERNAME [--name N] [--days D]
    python run.py reminders
    python run.py mail send                        e-mail the outbox (failures retried later)
    python run.py files sweep [--dry-run]          remove files no row refers to
    python run.py monitor fetch [--unit CODE]      harvest the units' feeds (cron)
    python run.py export PERIOD [--exchange FILE.json] [--out FILE.xlsx] [--scorecards DIR
                    [--unit CODE ...]]              the scorecards of all or the named units
                    [--robustness [--runs N]]      with --out: the rank intervals sheet
    python run.py migrate [--to REVISION]          upgrade the schema (and seed a new database)
    python run.py backup FILE.tar.gz               database and evidence files, one archive
    python run.py backup --dir DIR [--keep N]      a dated archive in DIR, keeping the newest N
    python run.py restore FILE.tar.gz [--force]
    python run.py config check                     the effective settings, and whether the
                                                   database, Redis, SMTP and folders work

Times are WIB. Every command reads the same settings as the server: the environment, or the
env file named by BAKOHUMAS_ENV (e.g. BAKOHUMAS_ENV=/etc/bakohumas.env python run.py status).
Without DATABASE_URL the commands use the development database in the instance folder, and
only when it exists (made by `python run.py --demo` or `python run.py serve`): a command
never creates a database of its own.

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


NO_CONFIGURATION = (
    "no configuration: DATABASE_URL is not set{and_secret}, and there is no development "
    "database at {path}. Commands need the same settings as the server: run them as "
    "BAKOHUMAS_ENV=/etc/bakohumas.env python run.py ... (the env file the service uses), or "
    "export DATABASE_URL and SECRET_KEY first. Nothing was created.")


def configuration_problem() -> str | None:
    """Why a command must not run (it would create a new SQLite database in the code
    checkout and seed it, as a cron job without the server's environment would), or None."""
    if os.environ.get("DATABASE_URL", "").strip() or os.environ.get("FLASK_DEBUG") == "1":
        return None
    from flask import Flask
    path = Path(Flask("assessment", instance_relative_config=True).instance_path) / "bakohumas.db"
    if path.exists():   # a development or demo checkout: its database is the one to use
        return None
    secret = os.environ.get("SECRET_KEY", "").strip()
    return NO_CONFIGURATION.format(and_secret="" if secret else " (nor SECRET_KEY)", path=path)


def configured(command):
    """``command`` refusing (exit 2) when configuration_problem() finds one."""
    def guarded(args) -> int:
        problem = configuration_problem()
        return _fail(problem) if problem else command(args)
    return guarded


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
            lines.append(f"    {ind.id:<26} {pct}  {ind.type:<6} evidence:{ind.evidence}"
                         + ("  entry (condition of entry)" if ind.entry else ""))
    for award in rubric.awards:
        basis = (f"indicators {', '.join(award.indicators)}" if award.indicators
                 else ", ".join(award.aspects))
        lines.append(f"award {award.id}: {award.title} [{', '.join(award.category_ids)}; "
                     f"{basis}; {award.winners} winners]")
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
    @configured
    def command(args) -> int:
        import importlib

        from assessment import cli
        from assessment.config import development_secret
        # commands sign nothing; a secret is only needed to build the app
        app = make_app(SECRET_KEY=os.environ.get("SECRET_KEY") or development_secret())
        return cli.run(app, getattr(importlib.import_module(module), name), args)
    return command


def command_app():
    """The app a command runs on: commands sign nothing, a secret only builds the app."""
    from assessment.config import development_secret
    return make_app(SECRET_KEY=os.environ.get("SECRET_KEY") or development_secret())


@configured
def cmd_migrate(args) -> int:
    from assessment.migrate import MigrationError, current_revision, head_revision, to_revision
    from assessment.serving import prepare_once
    app = command_app()
    if args.to:
        try:
            before, after = to_revision(app, args.to)
        except MigrationError as exc:
            return _fail(str(exc))
        print(f"The database schema went from revision {before} to {after}.")
        return 0
    before = current_revision(app)
    password = prepare_once(app)
    if password:
        from assessment.first_start import announce_password
        announce_password(app, password)
    print(f"The database schema is up to date: revision {head_revision()} "
          f"(it was {before or 'empty'}).")
    return 0


@configured
def cmd_backup(args) -> int:
    from assessment.backup import BackupError, create_backup, dated_path, prune
    if bool(args.file) == bool(args.dir):
        return _fail("name either an archive (backup FILE.tar.gz) or a folder (backup --dir DIR)")
    if args.keep is not None and (not args.dir or args.keep < 1):
        return _fail("--keep N (1 or more) applies to --dir only")
    app = command_app()
    try:
        path = dated_path(args.dir) if args.dir else Path(args.file)
        manifest = create_backup(app, path)
        removed = prune(args.dir, args.keep) if args.dir and args.keep else []
    except BackupError as exc:
        return _fail(str(exc))
    rows = sum(t["rows"] for t in manifest["tables"])
    size = sum(f["size"] for f in manifest["files"])
    print(f"{path}: {rows} rows in {len(manifest['tables'])} tables and "
          f"{len(manifest['files'])} files ({size / 1e6:.1f} MB), schema revision "
          f"{manifest['schema_revision']}")
    for old in removed:
        print(f"removed the older backup {old}")
    return 0


@configured
def cmd_restore(args) -> int:
    from assessment.backup import BackupError, restore_backup
    app = command_app()
    try:
        manifest = restore_backup(app, args.file, force=args.force)
    except BackupError as exc:
        return _fail(str(exc))
    rows = sum(t["rows"] for t in manifest["tables"])
    print(f"restored {args.file} (made {manifest['created_at']} on {manifest['dialect']}): "
          f"{rows} rows and {len(manifest['files'])} files")
    return 0


def cmd_config_check(args) -> int:
    from assessment.config_check import check, settings_table
    for line in settings_table(os.environ):
        print(line)
    problem = configuration_problem()
    if problem:
        return _fail(problem)
    failures = 0
    for name, ok, detail in check(command_app()):
        failures += not ok
        print(f"{'ok ' if ok else 'FAIL'} {name}: {detail}")
    return 1 if failures else 0


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
    from assessment.security import QuietRequestHandler   # no "Server: Werkzeug/... Python/..."
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False,
            request_handler=QuietRequestHandler)
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


def add_monitor_commands(sub) -> None:
    p = sub.add_parser("monitor", help="units' public channels between seasons (issue 16)")
    msub = p.add_subparsers(dest="monitor_command", required=True)
    c = msub.add_parser("fetch", help="harvest every feed (run it from cron): new items stored "
                                      "once per link, failures kept on the channel")
    c.add_argument("--unit", metavar="CODE", help="only this unit's feeds")
    c.set_defaults(func=managed("monitor_fetch", "assessment.monitor.commands"))
    c = msub.add_parser("stage", help="enter an election stage (tahapan)")
    c.add_argument("name")
    c.add_argument("--starts", required=True, metavar="YYYY-MM-DD")
    c.add_argument("--ends", required=True, metavar="YYYY-MM-DD")
    c.set_defaults(func=managed("monitor_stage", "assessment.monitor.commands"))


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
    p = sub.add_parser("reminders", help="send the deadline reminders that are due (and e-mail "
                                          "what the outbox holds; exit 1 if e-mail failed)")
    p.set_defaults(func=managed("reminders"))
    p = sub.add_parser("mail", help="the e-mail outbox")
    c = p.add_subparsers(dest="mail_command", required=True).add_parser(
        "send", help="e-mail the notices that are due (new ones, failed ones retried with "
                     "backoff); exit 1 if any failed")
    c.set_defaults(func=managed("mail_send"))
    p = sub.add_parser("files", help="stored evidence and objection files")
    c = p.add_subparsers(dest="files_command", required=True).add_parser(
        "sweep", help="remove stored files no row refers to and stale temporary files "
                      "(older than an hour)")
    c.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    c.set_defaults(func=managed("files_sweep"))
    add_monitor_commands(sub)
    p = sub.add_parser("migrate", help="upgrade the database schema (before starting servers)")
    p.add_argument("--to", metavar="REVISION", help="go to this revision instead of the newest "
                   "(down, for a rollback: run it with the newer code, before switching back)")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("backup", help="write the database and the evidence files to one archive")
    p.add_argument("file", nargs="?", help="the archive to write (.tar.gz)")
    p.add_argument("--dir", help="write bakohumas-YYYYMMDD-HHMMSS.tar.gz into this folder")
    p.add_argument("--keep", type=int, metavar="N",
                   help="with --dir: then delete all but the newest N archives there")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("config", help="the configuration")
    c = p.add_subparsers(dest="config_command", required=True).add_parser(
        "check", help="print the effective settings (secrets hidden) and check the database, "
                      "Redis, SMTP and the folders")
    c.set_defaults(func=cmd_config_check)
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
    p.add_argument("--unit", metavar="CODE", action="append", dest="units", default=[],
                   help="with --scorecards: only this unit's scorecard (repeatable)")
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
    c = psub.add_parser("extend", help="change the deadline for everyone or one unit: later, "
                                       "or earlier with a reason (the web form's rules)")
    c.add_argument("slug")
    c.add_argument("--closes", required=True, help='new closing time, WIB')
    c.add_argument("--reason", required=True)
    c.add_argument("--unit", help="only this unit")
    c.add_argument("--confirm", action="store_true", help="close questionnaires that units "
                   "are filling in now, if the earlier time does")
    c.set_defaults(func=managed("period_extend"))
    c = psub.add_parser("archive", help="archive a period: no reminders, read-only")
    c.add_argument("slug")
    c.add_argument("--reason", required=True)
    c.set_defaults(func=managed("period_archive"))
    c = psub.add_parser("delete", help="delete a period in which no unit has a questionnaire")
    c.add_argument("slug")
    c.add_argument("--reason", required=True)
    c.set_defaults(func=managed("period_delete"))


def main(argv=None) -> int:
    from assessment.config import ConfigError, load_env_file
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        load_env_file()
        return args.func(args)
    except ConfigError as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
