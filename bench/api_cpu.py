"""CPU per API request in one process: what a save costs without gunicorn, the network or
the other clients (issue 15, the deadline rush).

    python bench/api_cpu.py [--units 120] [--root DIR] [--profile FILE]
                            [--time assessment.operations.tokens.authenticate ...]

Seeds a fresh PostgreSQL database as ``bench/season.py`` does, then sends every unit's
season through Flask's test client: /healthz, a read, three saves and a submit, the first 30
units as a warm-up. Prints each kind's median CPU (this process's clock: Python, the ORM
and the driver), the API requests' mean, the database backends' CPU per request, and with
``--time`` the mean CPU of each named function (wrapped where it is looked up). ``--root``
measures another checkout's code (run the same command with two roots, interleaved, to
compare before and after). ``--profile`` writes a cProfile (CPU clock) of the measured part.
"""
from __future__ import annotations

import argparse
import cProfile
import importlib
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

KINDS = ("healthz", "read", "save", "submit")


def wrap_timed(specs, spent: Counter, calls: Counter) -> None:
    """Replace each ``module.function`` (and every module's reference to it) by a wrapper
    that adds its CPU time to ``spent``."""
    for spec in specs:
        module_name, name = spec.rsplit(".", 1)
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def timed(*args, _original=original, _spec=spec, **kwargs):
            start = time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_spec] += time.process_time() - start
                calls[_spec] += 1
        for other in list(sys.modules.values()):
            if other is not None and getattr(other, name, None) is original:
                setattr(other, name, timed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent),
                        help="the checkout whose code is measured")
    parser.add_argument("--profile", help="write a cProfile of the measured part here")
    parser.add_argument("--time", nargs="*", default=[], metavar="MODULE.FUNCTION")
    args = parser.parse_args(argv)
    sys.path[:0] = [args.root, str(Path(args.root) / "bench")]
    import season
    from sqlalchemy import create_engine, text

    url, drop = season.create_database(season.BASE_URL)
    engine = create_engine(url)
    app = None
    try:
        app = season.app_for(url, tempfile.mkdtemp(prefix="api-cpu-"))
        seeded = season.seed(app, ["gladi"], units=args.units + 30)
        client = app.test_client()
        spent, calls = Counter(), Counter()
        wrap_timed(args.time, spent, calls)
        times = {kind: [] for kind in KINDS}

        def backends_cpu() -> float:
            with engine.connect() as conn:
                pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = "
                                         "current_database() AND pid <> pg_backend_pid()")).scalars()
                return sum(season._cpu_seconds(pid) for pid in pids)

        def timed(kind, request):
            start = time.process_time()
            response = request()
            times[kind].append(time.process_time() - start)
            assert response.status_code == 200, (kind, response.status_code, response.get_data()[:300])
            return response

        def one_unit(code):
            headers = {"Authorization": f"Bearer {seeded['tokens'][code]}"}
            path = f"/api/v1/periods/gladi/units/{code}/submission"
            timed("healthz", lambda: client.get("/healthz"))
            version = timed("read", lambda: client.get(path, headers=headers)).get_json()["version"]
            for part in season.chunks(season.answers_for(code), 3):
                body = {"answers": part, "version": version}
                version = timed("save", lambda: client.put(path, json=body, headers=headers)
                                ).get_json()["version"]
            body = dict(season.HEAD, version=version)
            timed("submit", lambda: client.post(path + "/submit", json=body, headers=headers))

        units = seeded["units"]
        for code in units[:30]:
            one_unit(code)
        for kind in KINDS:
            times[kind].clear()
        spent.clear()
        calls.clear()
        profile = cProfile.Profile(time.process_time) if args.profile else None
        database_before = backends_cpu()
        if profile:
            profile.enable()
        for code in units[30:]:
            one_unit(code)
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
        database = backends_cpu() - database_before
        api = [t for kind in KINDS[1:] for t in times[kind]]
        requests = len(api) + len(times["healthz"])
        print(f"{args.units} units, {args.root}: median CPU "
              + ", ".join(f"{kind} {1000 * statistics.median(times[kind]):.2f} ms" for kind in KINDS)
              + f"; API mean {1000 * sum(api) / len(api):.2f} ms"
              + f"; database backends {1000 * database / requests:.2f} ms a request")
        for spec in args.time:
            print(f"  {spec}: {1000 * spent[spec] / max(calls[spec], 1):.3f} ms x {calls[spec]}")
    finally:
        if app is not None:
            from assessment.extensions import db
            with app.app_context():
                db.engine.dispose()
        engine.dispose()
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
